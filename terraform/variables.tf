# Input variables for one environment of the stack.
#
# Defaults are the production-grade values, so that leaving a variable out never makes an
# environment weaker than intended; test.tfvars opts out where the test environment is
# deliberately cheaper. Secrets have no default and are never written into a .tfvars file:
# CI passes them as TF_VAR_db_password and TF_VAR_gemini_api_key.
#
# Some validations compare two variables (for example "prod needs min replicas >= 1"),
# which needs Terraform 1.9 or later (see required_version in main.tf).

variable "environment" {
  type        = string
  description = "Deployment environment: test or prod. Used in resource names, tags and the state key."

  validation {
    condition     = contains(["test", "prod"], var.environment)
    error_message = "The environment must be \"test\" or \"prod\"."
  }
}

variable "location" {
  type        = string
  description = "Azure region for every resource of the environment, e.g. westeurope."
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "The location must be an Azure region name in lower case without spaces, e.g. westeurope."
  }
}

variable "app_name" {
  type        = string
  description = "Short application name used to derive resource names, e.g. rg-<app_name>-<environment>."
  default     = "stockapp"

  validation {
    # Container App names are limited to 32 characters: ca-<app>-<env>-frontend must fit.
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.app_name))
    error_message = "The app_name must be 2-12 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "name_suffix" {
  type        = string
  description = "Optional suffix for the globally unique names (container registry, PostgreSQL server) when the plain names are taken."
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9]{0,6}$", var.name_suffix))
    error_message = "The name_suffix must be at most 6 lower-case letters or digits."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource. The keys environment, app and managed-by are always set by the configuration and cannot be overridden here."
  default     = {}
}

# --- Database -------------------------------------------------------------------------

variable "db_username" {
  type        = string
  description = "Administrator login of the PostgreSQL flexible server."
  default     = "stockadmin"

  validation {
    condition = (
      can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_username)) &&
      !startswith(var.db_username, "pg_") &&
      !contains(["admin", "administrator", "azure_pg_admin", "azure_superuser", "guest", "public", "root", "sa", "superuser"], var.db_username)
    )
    error_message = "The db_username must be 1-63 lower-case letters, digits or underscores starting with a letter, must not start with pg_ and must not be a name that Azure reserves (admin, administrator, root, ...)."
  }
}

variable "db_password" {
  type        = string
  description = "Administrator password of the PostgreSQL flexible server. Pass it as TF_VAR_db_password; never put it in a .tfvars file."
  sensitive   = true

  validation {
    condition = (
      length(var.db_password) >= 12 &&
      length(var.db_password) <= 128 &&
      !can(regex("\\s", var.db_password)) &&
      sum([for class in ["[a-z]", "[A-Z]", "[0-9]", "[^a-zA-Z0-9]"] : can(regex(class, var.db_password)) ? 1 : 0]) >= 3
    )
    error_message = "The db_password must be 12-128 characters without whitespace and use at least three of: lower case, upper case, digits, symbols."
  }
}

variable "db_name" {
  type        = string
  description = "Name of the application database created on the server."
  default     = "appdb"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name)) && !contains(["postgres", "azure_maintenance", "azure_sys"], var.db_name)
    error_message = "The db_name must be 1-63 lower-case letters, digits or underscores starting with a letter, and not a built-in database name."
  }
}

variable "database_url_scheme" {
  type        = string
  description = "URL scheme of DATABASE_URL as the backend's driver expects it (postgresql, postgresql+psycopg, postgresql+asyncpg)."
  default     = "postgresql"

  validation {
    condition     = contains(["postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"], var.database_url_scheme)
    error_message = "The database_url_scheme must be one of postgresql, postgres, postgresql+psycopg, postgresql+psycopg2, postgresql+asyncpg."
  }
}

variable "database_url_query" {
  type        = string
  description = "Query string appended to DATABASE_URL (without the ?). TLS is required by the server, so keep sslmode=require (asyncpg spells it ssl=require)."
  default     = "sslmode=require"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+=[A-Za-z0-9_-]+(&[A-Za-z0-9_]+=[A-Za-z0-9_-]+)*$", var.database_url_query))
    error_message = "The database_url_query must look like key=value&key2=value2."
  }
}

variable "postgres_version" {
  type        = string
  description = "Major version of PostgreSQL."
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16"], var.postgres_version)
    error_message = "The postgres_version must be 14, 15 or 16."
  }
}

variable "postgres_sku_name" {
  type        = string
  description = "SKU of the PostgreSQL flexible server as <tier>_<size>: B_ (Burstable, test only), GP_ (General Purpose) or MO_ (Memory Optimized), e.g. GP_Standard_D2ds_v5."
  default     = "GP_Standard_D2ds_v5"

  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", var.postgres_sku_name))
    error_message = "The postgres_sku_name must start with B_Standard_, GP_Standard_ or MO_Standard_, e.g. B_Standard_B1ms or GP_Standard_D2ds_v5."
  }

  validation {
    condition     = var.environment != "prod" || !startswith(var.postgres_sku_name, "B_")
    error_message = "Prod must not use a Burstable (B_) PostgreSQL SKU."
  }
}

variable "postgres_storage_mb" {
  type        = number
  description = "Storage of the PostgreSQL flexible server in MB (it can only grow)."
  default     = 32768

  validation {
    condition     = contains([32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408], var.postgres_storage_mb)
    error_message = "The postgres_storage_mb must be one of the sizes Azure offers: 32768, 65536, 131072, 262144, 524288, 1048576, ..."
  }
}

variable "postgres_backup_retention_days" {
  type        = number
  description = "Days of point-in-time backups kept for the PostgreSQL server (7-35; prod needs at least 30)."
  default     = 30

  validation {
    condition     = var.postgres_backup_retention_days >= 7 && var.postgres_backup_retention_days <= 35 && floor(var.postgres_backup_retention_days) == var.postgres_backup_retention_days
    error_message = "The postgres_backup_retention_days must be a whole number from 7 to 35."
  }

  validation {
    condition     = var.environment != "prod" || var.postgres_backup_retention_days >= 30
    error_message = "Prod must keep PostgreSQL backups for at least 30 days."
  }
}

variable "postgres_geo_redundant_backup" {
  type        = bool
  description = "Store PostgreSQL backups geo-redundantly in the paired region (required in prod; cannot be changed after creation)."
  default     = true

  validation {
    condition     = var.environment != "prod" || var.postgres_geo_redundant_backup
    error_message = "Prod must use geo-redundant PostgreSQL backups."
  }
}

# --- Registry and logs ----------------------------------------------------------------

variable "acr_sku" {
  type        = string
  description = "SKU of the environment's container registry: Basic, Standard or Premium."
  default     = "Standard"

  validation {
    condition     = contains(["Basic", "Standard", "Premium"], var.acr_sku)
    error_message = "The acr_sku must be Basic, Standard or Premium."
  }
}

variable "acr_admin_enabled" {
  type        = bool
  description = "Enable the registry's admin user. Keep false: the Container Apps pull with a managed identity (AcrPull) and CI pushes with its own Entra identity (see README)."
  default     = false
}

variable "log_retention_days" {
  type        = number
  description = "Days the Log Analytics workspace keeps container logs (30-730)."
  default     = 30

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "The log_retention_days must be between 30 and 730."
  }
}

# --- Container Apps -------------------------------------------------------------------

variable "backend_image_name" {
  type        = string
  description = "Repository name of the backend image in the registry."
  default     = "backend"

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.backend_image_name))
    error_message = "The backend_image_name must be a valid lower-case image repository name."
  }
}

variable "frontend_image_name" {
  type        = string
  description = "Repository name of the frontend (nginx) image in the registry."
  default     = "frontend"

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.frontend_image_name))
    error_message = "The frontend_image_name must be a valid lower-case image repository name."
  }
}

variable "backend_image_tag" {
  type        = string
  description = "Tag of the backend image to deploy; CI passes the commit SHA. Mutable tags such as latest are refused."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.backend_image_tag)) && var.backend_image_tag != "latest"
    error_message = "The backend_image_tag must be a valid image tag other than latest (CI uses the commit SHA)."
  }
}

variable "frontend_image_tag" {
  type        = string
  description = "Tag of the frontend image to deploy; CI passes the commit SHA. Mutable tags such as latest are refused."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.frontend_image_tag)) && var.frontend_image_tag != "latest"
    error_message = "The frontend_image_tag must be a valid image tag other than latest (CI uses the commit SHA)."
  }
}

variable "gemini_api_key" {
  type        = string
  description = "Google Gemini API key for the backend, stored as a Container App secret. Pass it as TF_VAR_gemini_api_key; never put it in a .tfvars file."
  sensitive   = true

  validation {
    condition     = length(trimspace(var.gemini_api_key)) > 0
    error_message = "The gemini_api_key must not be empty."
  }
}

variable "backend_min_replicas" {
  type        = number
  description = "Minimum replicas of the backend Container App (0 allows scale to zero; prod needs at least 1)."
  default     = 1

  validation {
    condition     = var.backend_min_replicas >= 0 && var.backend_min_replicas <= 300 && floor(var.backend_min_replicas) == var.backend_min_replicas
    error_message = "The backend_min_replicas must be a whole number from 0 to 300."
  }

  validation {
    condition     = var.environment != "prod" || var.backend_min_replicas >= 1
    error_message = "Prod must keep at least one backend replica running."
  }
}

variable "backend_max_replicas" {
  type        = number
  description = "Maximum replicas of the backend Container App."
  default     = 5

  validation {
    condition     = var.backend_max_replicas >= 1 && var.backend_max_replicas <= 300 && var.backend_max_replicas >= var.backend_min_replicas
    error_message = "The backend_max_replicas must be from 1 to 300 and not below backend_min_replicas."
  }
}

variable "frontend_min_replicas" {
  type        = number
  description = "Minimum replicas of the frontend Container App (0 allows scale to zero; prod needs at least 1)."
  default     = 1

  validation {
    condition     = var.frontend_min_replicas >= 0 && var.frontend_min_replicas <= 300 && floor(var.frontend_min_replicas) == var.frontend_min_replicas
    error_message = "The frontend_min_replicas must be a whole number from 0 to 300."
  }

  validation {
    condition     = var.environment != "prod" || var.frontend_min_replicas >= 1
    error_message = "Prod must keep at least one frontend replica running."
  }
}

variable "frontend_max_replicas" {
  type        = number
  description = "Maximum replicas of the frontend Container App."
  default     = 3

  validation {
    condition     = var.frontend_max_replicas >= 1 && var.frontend_max_replicas <= 300 && var.frontend_max_replicas >= var.frontend_min_replicas
    error_message = "The frontend_max_replicas must be from 1 to 300 and not below frontend_min_replicas."
  }
}
