#!/usr/bin/env bash
# The main job: a real `pulumi up` of the root project against the local GitHub
# emulator, then renewal, then destroy.  Run through `make demo`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PY="$REPO/.venv/bin/python"
DEMO="$REPO/.cache/demo"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1/11 Setting up: the virtualenv is ready; getting the Pulumi CLI (the first run builds it from Go modules)"
eval "$("$REPO/tools/pulumi-offline/pulumi-cli.sh")"
pulumi version

rm -rf "$DEMO" && mkdir -p "$DEMO/project" "$DEMO/state"
"$PY" -m github_app_emulator --port 0 >"$DEMO/emulator.json" 2>"$DEMO/emulator.log" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$DEMO/emulator.json" ] && break; sleep 0.1; done
field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$DEMO/emulator.json" "$1"; }
BASE_URL="$(field base_url)"
control() { # control VERB PATH [JSON]: the emulator's test controls
    "$PY" - "$BASE_URL/_emulator/$2" "$1" "${3:-}" <<'PYEOF'
import json, sys, urllib.request
url, method, body = sys.argv[1:4]
req = urllib.request.Request(url, method=method, data=body.encode() or None,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode())
PYEOF
}
step "2/11 Started a local GitHub emulator at $BASE_URL: app $(field app_id), installation $(field installation_id) on '$(field account)'"

# A copy of the root project, so the demo's stack config stays out of the tree.
cp "$REPO/Pulumi.yaml" "$REPO/__main__.py" "$DEMO/project/"
sed -i "s|virtualenv: .venv|virtualenv: $REPO/.venv|" "$DEMO/project/Pulumi.yaml"
export PULUMI_BACKEND_URL="file://$DEMO/state"
# The providers follow the emulator's clock: its shipped launchers go first on PATH
# (docs/emulator.md, "Test renewal of your own stack").
"$PY" -m github_app_emulator launcher --bin "$DEMO/bin" --emulator "$BASE_URL" >/dev/null
export PATH="$DEMO/bin:$PATH"
# Naming the launcher's directory keeps the engine from warning that it came from PATH.
printf 'plugins:\n  providers:\n    - name: pulumi-python\n      path: %s\n' "$DEMO/bin" \
    >>"$DEMO/project/Pulumi.yaml"
cd "$DEMO/project"
pulumi stack init demo --non-interactive >/dev/null
pulumi config set appId "$(field app_id)"
pulumi config set installationId "$(field installation_id)"
pulumi config set baseUrl "$BASE_URL"
pulumi config set --path 'repositories[0]' infra
pulumi config set --path 'permissions.contents' read
pulumi config set --secret privateKey -- "$(cat "$(field private_key_path)")"
step "3/11 Configured stack 'demo' from the emulator; the private key is stored encrypted"

pulumi up --yes --skip-preview
step "4/11 pulumi up minted a token scoped to 'infra' with contents:read; outputs (the token stays masked):"
pulumi stack output
OLD_TOKEN="$(pulumi stack output token --show-secrets)"

control POST clock '{"shift": 1900}' >/dev/null
step "5/11 Moved the emulator's clock 1900 s ahead: the token has 1700 s left, less than renew_before (1800 s)"

step "6/11 pulumi preview shows the token will be replaced (create the new one first, then delete the old):"
pulumi preview --diff | grep -E "replace|expires_at|Resources:|to replace" || true

pulumi up --yes --skip-preview
NEW_TOKEN="$(pulumi stack output token --show-secrets)"
OLD_STATE="$(control POST token-state "{\"token\": \"$OLD_TOKEN\"}")"
NEW_STATE="$(control POST token-state "{\"token\": \"$NEW_TOKEN\"}")"
step "7/11 pulumi up re-minted the token; GitHub now says old: $OLD_STATE, new: $NEW_STATE"

pulumi refresh --yes --skip-preview >/dev/null
step "8/11 pulumi refresh checked the live token with one cheap call and kept it: $(pulumi stack output expiresAt)"

pulumi destroy --yes --skip-preview
step "9/11 pulumi destroy revoked the token; GitHub says: $(control POST token-state "{\"token\": \"$NEW_TOKEN\"}")"
pulumi stack rm demo --yes >/dev/null

# The same app from a YAML program, through the provider plugin (its launcher, on the emulator's
# clock, is in $DEMO/bin too): the key is set once per stack.
mkdir -p "$DEMO/yaml" && cp "$REPO/examples/yaml/Pulumi.yaml" "$DEMO/yaml/" && cd "$DEMO/yaml"
sed -i "s|path: ../../.venv/bin|path: $DEMO/bin|" Pulumi.yaml   # the plugin's launcher
pulumi stack init demo --non-interactive >/dev/null
pulumi config set github-app-token:appId "$(field app_id)"
pulumi config set github-app-token:baseUrl "$BASE_URL"
pulumi config set --secret github-app-token:privateKey -- "$(cat "$(field private_key_path)")"
pulumi config set owner "$(field account)"
pulumi up --yes --skip-preview
step "10/11 A runtime: yaml stack minted two tokens of different scopes through the plugin (pulumi-resource-github-app-token):"
pulumi stack output

READER="$(pulumi stack output readerToken --show-secrets)"
pulumi destroy --yes --skip-preview >/dev/null
step "11/11 pulumi destroy of the YAML stack revoked its tokens; GitHub says of the reader's: $(control POST token-state "{\"token\": \"$READER\"}")"
pulumi stack rm demo --yes >/dev/null

# The same app from OpenTofu, through terraform-provider-githubapp (examples/terraform).
TOFU="$("$REPO/tools/opentofu/tofu.sh")"
mkdir -p "$DEMO/tofu" && cp -r "$REPO/examples/terraform/ephemeral" "$REPO/examples/terraform/managed" "$DEMO/tofu/"
cat >"$DEMO/tofu/tofu.rc" <<RC
provider_installation {
  dev_overrides {
    "registry.opentofu.org/githubapp/githubapp" = "$REPO/.venv/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$DEMO/tofu/tofu.rc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
GITHUB_APP_ID="$(field app_id)"; GITHUB_APP_PEM_FILE="$(field private_key_path)"
export GITHUB_APP_ID GITHUB_APP_PEM_FILE GITHUB_BASE_URL="$BASE_URL"
export TF_VAR_state_passphrase="demo passphrase, 16+ characters"
cd "$DEMO/tofu/ephemeral"
"$TOFU" apply -auto-approve -no-color -var "owner=$(field account)" | sed -n '/: Reading\.\.\./,$p' | grep -v '^$' || true
step "OpenTofu 1/2: tofu apply of examples/terraform/ephemeral minted a token in the plan phase and one in the apply phase, used one with curl, and revoked both; GitHub's ledger: $(control GET ledger)"
cd "$DEMO/tofu/managed"
"$TOFU" apply -auto-approve -no-color -var "repository=$(field account)/infra" >/dev/null
step "OpenTofu 2/2: examples/terraform/managed keeps its token in an encrypted state (expires $("$TOFU" output -raw expires_at)); destroy revokes it:"
"$TOFU" destroy -auto-approve -no-color -var "repository=$(field account)/infra" | tail -n 1
echo "GitHub's ledger: $(control GET ledger)"
