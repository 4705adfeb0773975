# One environment (test or prod) of the application: resource group, container registry,
# PostgreSQL flexible server, Log Analytics, Container Apps environment and the backend and
# frontend Container Apps. Each environment has its own state file in the azurerm backend:
#
#   terraform init -backend-config=key=test.tfstate ...   # or key=prod.tfstate
#   terraform apply -var-file=test.tfvars                 # or prod.tfvars
#
# See README.md in this folder for the state backend, CI and identities.

terraform {
  # 1.9+ is what the language needs (validations that compare two variables, variables.tf);
  # 1.11 is the oldest release this configuration is tested with. The workflows pin one
  # exact newer 1.x (TERRAFORM_VERSION), as the azurerm 5 upgrade guide recommends.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 5.x: the 4.x line gets no more releases. See README.md for what 5.0 changed here.
      version = "~> 5.12"
    }
  }

  # Partial configuration: resource_group_name, storage_account_name, container_name and
  # key (test.tfstate / prod.tfstate) are given with -backend-config at init.
  backend "azurerm" {}
}

provider "azurerm" {
  features {}
  # Credentials and the subscription come from the environment: ARM_SUBSCRIPTION_ID,
  # ARM_TENANT_ID, ARM_CLIENT_ID and ARM_USE_OIDC=true in CI, or `az login` locally.

  # Since azurerm 5.0 the provider registers no resource providers by default (4.x
  # registered about sixty). These are the ones the resources below need, so a fresh
  # subscription works; Microsoft.Resources and Microsoft.Authorization are always
  # registered. Registering needs */register/action, which Contributor includes.
  resource_providers_to_register = [
    "Microsoft.App",
    "Microsoft.ContainerRegistry",
    "Microsoft.DBforPostgreSQL",
    "Microsoft.ManagedIdentity",
    "Microsoft.OperationalInsights",
  ]
}

locals {
  name = "${var.app_name}-${var.environment}"

  # Globally unique names: the registry allows letters and digits only.
  acr_name      = replace("acr${var.app_name}${var.environment}${var.name_suffix}", "-", "")
  postgres_name = "psql-${local.name}${var.name_suffix == "" ? "" : "-${var.name_suffix}"}"

  # The three required keys come last so that var.tags cannot override them.
  tags = merge(var.tags, {
    environment  = var.environment
    app          = var.app_name
    "managed-by" = "terraform"
  })

  backend_image  = "${azurerm_container_registry.acr.login_server}/${var.backend_image_name}:${var.backend_image_tag}"
  frontend_image = "${azurerm_container_registry.acr.login_server}/${var.frontend_image_name}:${var.frontend_image_tag}"

  database_url = format(
    "%s://%s:%s@%s:5432/%s?%s",
    var.database_url_scheme,
    var.db_username,
    urlencode(var.db_password),
    azurerm_postgresql_flexible_server.db.fqdn,
    azurerm_postgresql_flexible_server_database.app.name,
    var.database_url_query,
  )
}

resource "azurerm_resource_group" "rg" {
  name     = "rg-${var.app_name}-${var.environment}"
  location = var.location
  tags     = local.tags
}

# --- Container registry and pull identity -----------------------------------------------

resource "azurerm_container_registry" "acr" {
  # Premium-only hardening is skipped: Premium costs about ten times Standard, and this app
  # pulls by managed identity from a registry that holds only commit-SHA-tagged images.
  #checkov:skip=CKV_AZURE_139:Public network access stays on: GitHub-hosted runners push and Consumption-plan Container Apps without a VNet pull over it; turning it off needs Premium plus private endpoints.
  #checkov:skip=CKV_AZURE_164:Content trust (Notary v1) is Premium-only and deprecated by Azure; deployments reference immutable commit-SHA tags instead.
  #checkov:skip=CKV_AZURE_165:Geo-replication is Premium-only; the app runs in one region and images can be rebuilt from git.
  #checkov:skip=CKV_AZURE_166:Quarantine is Premium-only and needs a scanner that releases each image; without one every pushed image would stay unpullable.
  #checkov:skip=CKV_AZURE_167:Retention of untagged manifests is Premium-only; every deployed image is tagged with its commit SHA.
  #checkov:skip=CKV_AZURE_233:Zone redundancy is Premium-only; a zone outage only delays new pulls, running revisions keep their image.
  #checkov:skip=CKV_AZURE_237:Dedicated data endpoints are Premium-only and only help clients behind firewall rules, which this setup does not have.
  name                = local.acr_name
  resource_group_name = azurerm_resource_group.rg.name
  location            = azurerm_resource_group.rg.location
  sku                 = var.acr_sku
  # The admin user is a shared, non-auditable password; pulls use the managed identity below.
  admin_enabled = var.acr_admin_enabled
  tags          = local.tags
}

resource "azurerm_user_assigned_identity" "apps" {
  name                = "id-${local.name}-apps"
  resource_group_name = azurerm_resource_group.rg.name
  location            = azurerm_resource_group.rg.location
  tags                = local.tags
}

resource "azurerm_role_assignment" "apps_acr_pull" {
  scope                = azurerm_container_registry.acr.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.apps.principal_id
  principal_type       = "ServicePrincipal"
}

# --- PostgreSQL -------------------------------------------------------------------------

resource "azurerm_postgresql_flexible_server" "db" {
  #checkov:skip=CKV2_AZURE_57:No private endpoint: the Consumption-plan Container Apps environment has no VNet, so the apps reach the server over its public endpoint, limited to Azure services by the firewall rule below and with TLS required.
  name                          = local.postgres_name
  resource_group_name           = azurerm_resource_group.rg.name
  location                      = azurerm_resource_group.rg.location
  version                       = var.postgres_version
  sku_name                      = var.postgres_sku_name
  storage_mb                    = var.postgres_storage_mb
  backup_retention_days         = var.postgres_backup_retention_days
  geo_redundant_backup_enabled  = var.postgres_geo_redundant_backup
  administrator_login           = var.db_username
  administrator_password        = var.db_password
  public_network_access_enabled = true
  tags                          = local.tags

  authentication {
    password_auth_enabled = true
  }

  lifecycle {
    # Azure picks the zone when none is given and may move the server after a fail-over.
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}

resource "azurerm_postgresql_flexible_server_database" "app" {
  name      = var.db_name
  server_id = azurerm_postgresql_flexible_server.db.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# 0.0.0.0-0.0.0.0 is Azure's "allow access from Azure services" rule, which the Container
# Apps need; it does not open the server to the internet.
resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  #checkov:skip=CKV2_AZURE_26:The check treats any rule starting at 0.0.0.0 as open; 0.0.0.0-0.0.0.0 is Azure's special "Azure services" rule, and azprov's policy flags the real open range 0.0.0.0-255.255.255.255.
  name             = "AllowAzureServices"
  server_id        = azurerm_postgresql_flexible_server.db.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}

# --- Logs and the Container Apps environment ---------------------------------------------

resource "azurerm_log_analytics_workspace" "logs" {
  name                = "log-${local.name}"
  resource_group_name = azurerm_resource_group.rg.name
  location            = azurerm_resource_group.rg.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

resource "azurerm_container_app_environment" "env" {
  name                = "cae-${local.name}"
  resource_group_name = azurerm_resource_group.rg.name
  location            = azurerm_resource_group.rg.location
  # Required with a workspace since azurerm 5.0: left out, the environment defaults to
  # streaming-only logs instead of being inferred from log_analytics_workspace_id.
  logs_destination           = "log-analytics"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.logs.id
  tags                       = local.tags
}

# --- Backend ----------------------------------------------------------------------------

resource "azurerm_container_app" "backend" {
  name                         = "ca-${local.name}-backend"
  resource_group_name          = azurerm_resource_group.rg.name
  container_app_environment_id = azurerm_container_app_environment.env.id
  revision_mode                = "Single"
  tags                         = local.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.apps.id]
  }

  registry {
    server   = azurerm_container_registry.acr.login_server
    identity = azurerm_user_assigned_identity.apps.id
  }

  # Secrets live in the app's secret store; the container sees them only through
  # env entries that name the secret (secret_name), never as plain values.
  secret {
    name  = "database-url"
    value = local.database_url
  }

  secret {
    name  = "gemini-api-key"
    value = var.gemini_api_key
  }

  ingress {
    external_enabled = true
    target_port      = 8000
    transport        = "auto"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.backend_min_replicas
    max_replicas = var.backend_max_replicas

    container {
      name   = "backend"
      image  = local.backend_image
      cpu    = 0.5
      memory = "1Gi"

      env {
        name        = "DATABASE_URL"
        secret_name = "database-url"
      }

      env {
        name        = "GEMINI_API_KEY"
        secret_name = "gemini-api-key"
      }

      env {
        name  = "ENVIRONMENT"
        value = var.environment
      }

      liveness_probe {
        transport = "TCP"
        port      = 8000
      }

      readiness_probe {
        transport = "TCP"
        port      = 8000
      }
    }
  }

  # The identity must be allowed to pull before the first revision starts.
  depends_on = [azurerm_role_assignment.apps_acr_pull]
}

# --- Frontend ---------------------------------------------------------------------------

resource "azurerm_container_app" "frontend" {
  name                         = "ca-${local.name}-frontend"
  resource_group_name          = azurerm_resource_group.rg.name
  container_app_environment_id = azurerm_container_app_environment.env.id
  revision_mode                = "Single"
  tags                         = local.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.apps.id]
  }

  registry {
    server   = azurerm_container_registry.acr.login_server
    identity = azurerm_user_assigned_identity.apps.id
  }

  ingress {
    external_enabled = true
    target_port      = 80
    transport        = "auto"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.frontend_min_replicas
    max_replicas = var.frontend_max_replicas

    container {
      name   = "frontend"
      image  = local.frontend_image
      cpu    = 0.25
      memory = "0.5Gi"

      # nginx renders this into /config.json at start-up (dockerfiles/frontend/nginx.conf),
      # so one image serves every environment.
      env {
        name  = "VITE_API_URL"
        value = "https://${azurerm_container_app.backend.ingress[0].fqdn}"
      }

      liveness_probe {
        transport = "HTTP"
        port      = 80
        path      = "/healthz"
      }

      readiness_probe {
        transport = "HTTP"
        port      = 80
        path      = "/healthz"
      }
    }
  }

  depends_on = [azurerm_role_assignment.apps_acr_pull]
}
