# Test environment: cheap and disposable. Secrets are not here: CI passes them as
# TF_VAR_db_password and TF_VAR_gemini_api_key; image tags come from -var at apply.
environment = "test"
location    = "westeurope"
app_name    = "stockapp"

# Burstable PostgreSQL, shortest backup retention, no geo-redundant copies.
postgres_sku_name              = "B_Standard_B1ms"
postgres_storage_mb            = 32768
postgres_backup_retention_days = 7
postgres_geo_redundant_backup  = false

acr_sku            = "Basic"
log_retention_days = 30

# Scale to zero when idle.
backend_min_replicas  = 0
backend_max_replicas  = 2
frontend_min_replicas = 0
frontend_max_replicas = 2

tags = {
  "cost-center" = "stockapp-test"
}
