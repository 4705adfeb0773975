output "resource_group_name" {
  description = "Name of the environment's resource group."
  value       = azurerm_resource_group.rg.name
}

output "acr_name" {
  description = "Name of the environment's container registry (for az acr login)."
  value       = azurerm_container_registry.acr.name
}

output "acr_login_server" {
  description = "Login server of the container registry, the prefix of every image reference."
  value       = azurerm_container_registry.acr.login_server
}

output "database_fqdn" {
  description = "Fully qualified domain name of the PostgreSQL flexible server."
  value       = azurerm_postgresql_flexible_server.db.fqdn
}

output "database_name" {
  description = "Name of the application database."
  value       = azurerm_postgresql_flexible_server_database.app.name
}

output "database_connection_string" {
  description = "DATABASE_URL of the backend, including the password. Read it with terraform output -raw database_connection_string."
  value       = local.database_url
  sensitive   = true
}

output "backend_fqdn" {
  description = "Public FQDN of the backend Container App."
  value       = azurerm_container_app.backend.ingress[0].fqdn
}

output "backend_url" {
  description = "Public HTTPS URL of the backend."
  value       = "https://${azurerm_container_app.backend.ingress[0].fqdn}"
}

output "frontend_fqdn" {
  description = "Public FQDN of the frontend Container App."
  value       = azurerm_container_app.frontend.ingress[0].fqdn
}

output "frontend_url" {
  description = "Public HTTPS URL of the frontend."
  value       = "https://${azurerm_container_app.frontend.ingress[0].fqdn}"
}

output "backend_image" {
  description = "Image reference the backend runs."
  value       = local.backend_image
}

output "frontend_image" {
  description = "Image reference the frontend runs."
  value       = local.frontend_image
}
