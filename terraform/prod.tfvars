# Production environment. Secrets are not here: CI passes them as TF_VAR_db_password and
# TF_VAR_gemini_api_key from the Prod environments' secrets; image tags come from -var.
environment = "prod"
location    = "westeurope"
app_name    = "stockapp"

# General Purpose PostgreSQL with 30 days of geo-redundant backups.
postgres_sku_name              = "GP_Standard_D2ds_v5"
postgres_storage_mb            = 65536
postgres_backup_retention_days = 30
postgres_geo_redundant_backup  = true

acr_sku            = "Standard"
log_retention_days = 90

# Always at least one warm replica.
backend_min_replicas  = 1
backend_max_replicas  = 5
frontend_min_replicas = 1
frontend_max_replicas = 3

tags = {
  "cost-center" = "stockapp-prod"
}
