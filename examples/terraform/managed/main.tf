# A managed installation token, for values that must persist between runs (Terraform < 1.10,
# outputs, resources without write-only attributes). It lives in state, so the state is
# encrypted (OpenTofu >= 1.7); `tofu apply` replaces the token before it expires, creating
# the new one before the old one is revoked.
terraform {
  required_providers {
    githubapp = {
      source = "registry.opentofu.org/githubapp/githubapp"
    }
  }

  encryption {
    key_provider "pbkdf2" "state" {
      passphrase = var.state_passphrase
    }
    method "aes_gcm" "state" {
      keys = key_provider.pbkdf2.state
    }
    state {
      method   = method.aes_gcm.state
      enforced = true
    }
    plan {
      method   = method.aes_gcm.state
      enforced = true
    }
  }
}

variable "state_passphrase" {
  type        = string
  sensitive   = true
  description = "At least 16 characters; keep it in your secret store (TF_VAR_state_passphrase)."
}

variable "repository" {
  type        = string
  description = "`owner/name` of the repository whose installation to use."
}

provider "githubapp" {}

resource "githubapp_installation_token" "deploy" {
  repository   = var.repository
  repositories = [split("/", var.repository)[1]]
  permissions  = { contents = "write", pull_requests = "write" }
  renew_before = 1800

  lifecycle {
    create_before_destroy = true
  }
}

# A consumer: replaced whenever the token is, after the new token exists.
resource "terraform_data" "deploy_key_rotation" {
  triggers_replace = githubapp_installation_token.deploy.id
}

output "expires_at" {
  value = githubapp_installation_token.deploy.expires_at
}

output "token" {
  value     = githubapp_installation_token.deploy.token
  sensitive = true
}
