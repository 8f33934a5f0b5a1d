# An ephemeral installation token: minted when OpenTofu opens it (in plan and in apply),
# revoked when it closes it, and never written to a plan file or to state.
terraform {
  required_providers {
    githubapp = {
      source = "registry.opentofu.org/githubapp/githubapp"
    }
  }
}

variable "owner" {
  type        = string
  description = "The org or user the app is installed on."
}

variable "repository" {
  type        = string
  description = "A repository name (without the owner) the token is limited to."
  default     = "infra"
}

# The app comes from GITHUB_APP_ID, GITHUB_APP_PEM_FILE and GITHUB_BASE_URL.
provider "githubapp" {}

data "githubapp_installation" "org" {
  owner = var.owner
}

ephemeral "githubapp_installation_token" "ci" {
  installation_id = data.githubapp_installation.org.installation_id
  repositories    = [var.repository]
  permissions     = { contents = "read" }
}

# Used by a provisioner: the token reaches the command's environment only, and OpenTofu hides
# the command's output since that environment holds an ephemeral value; `curl -f` fails the
# apply unless GitHub accepts the token. With a real GitHub the token would more often feed
# `provider "github" { token = ... }` (see docs/terraform.md).
resource "terraform_data" "list_repositories" {
  input = var.repository
  provisioner "local-exec" {
    command = "curl -fsS -o /dev/null -H \"Authorization: Bearer $GITHUB_TOKEN\" \"$${GITHUB_BASE_URL:-https://api.github.com}/installation/repositories\""
    environment = {
      GITHUB_TOKEN = ephemeral.githubapp_installation_token.ci.token
    }
  }
}

output "installation" {
  value = "${data.githubapp_installation.org.account} (${data.githubapp_installation.org.installation_id}): ${data.githubapp_installation.org.repository_selection}"
}
