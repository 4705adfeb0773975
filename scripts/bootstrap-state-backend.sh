#!/usr/bin/env bash
# Create the Azure storage that holds the Terraform state of every environment, once.
#
# Creates (only what is missing, so it is safe to run again):
#   - a resource group for the state,
#   - a StorageV2 account: HTTPS only, TLS 1.2+, no public blob access, no shared keys
#     (Entra ID only), blob versioning, soft delete for blobs and containers,
#   - a private blob container,
#   - a CanNotDelete lock on the account,
# and grants the signed-in identity (and any --grant principal) "Storage Blob Data
# Contributor" on the account, which Entra-only access needs. It then prints the
# -backend-config settings for `terraform init`.
#
# Usage: scripts/bootstrap-state-backend.sh [options]
#   -g, --resource-group NAME   resource group       (env TFSTATE_RESOURCE_GROUP, default rg-tfstate)
#   -l, --location REGION       Azure region         (env TFSTATE_LOCATION, default westeurope)
#   -a, --storage-account NAME  storage account      (env TFSTATE_STORAGE_ACCOUNT, default
#                               sttfstate + 12 characters derived from the subscription ID)
#   -c, --container NAME        blob container       (env TFSTATE_CONTAINER, default tfstate)
#   -r, --retention-days N      soft-delete days     (env TFSTATE_RETENTION_DAYS, default 30)
#   -s, --subscription ID       subscription to use  (env AZURE_SUBSCRIPTION_ID, default: az's current one)
#       --grant OBJECT_ID       also grant Storage Blob Data Contributor to this principal
#                               (e.g. the CI identity); repeatable
#       --no-lock               do not put a CanNotDelete lock on the storage account
#   -h, --help                  show this help
#
# Needs the Azure CLI, signed in (`az login`) as someone who may create resource groups
# and role assignments in the subscription (Owner, or Contributor plus User Access
# Administrator).

set -euo pipefail

die() {
    echo "bootstrap-state-backend: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

resource_group="${TFSTATE_RESOURCE_GROUP:-rg-tfstate}"
location="${TFSTATE_LOCATION:-westeurope}"
storage_account="${TFSTATE_STORAGE_ACCOUNT:-}"
container="${TFSTATE_CONTAINER:-tfstate}"
retention_days="${TFSTATE_RETENTION_DAYS:-30}"
subscription="${AZURE_SUBSCRIPTION_ID:-}"
lock=true
grants=()

need_value() {
    [ "$#" -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"
}

while [ "$#" -gt 0 ]; do
    case "$1" in
    -g | --resource-group) need_value "$@"; resource_group="$2"; shift 2 ;;
    -l | --location) need_value "$@"; location="$2"; shift 2 ;;
    -a | --storage-account) need_value "$@"; storage_account="$2"; shift 2 ;;
    -c | --container) need_value "$@"; container="$2"; shift 2 ;;
    -r | --retention-days) need_value "$@"; retention_days="$2"; shift 2 ;;
    -s | --subscription) need_value "$@"; subscription="$2"; shift 2 ;;
    --grant) need_value "$@"; grants+=("$2"); shift 2 ;;
    --no-lock) lock=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
    esac
done

command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is not installed"

[[ "$retention_days" =~ ^[0-9]+$ ]] && [ "$retention_days" -ge 1 ] && [ "$retention_days" -le 365 ] ||
    die "--retention-days must be a whole number from 1 to 365, got '$retention_days'"
[[ "$container" =~ ^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])?$ ]] ||
    die "--container must be 3-63 lower-case letters, digits or hyphens, got '$container'"

if [ -n "$subscription" ]; then
    az account set --subscription "$subscription" ||
        die "cannot select subscription '$subscription' (run az login?)"
fi
subscription_id="$(az account show --query id --output tsv)" ||
    die "not signed in to Azure: run az login first"

if [ -z "$storage_account" ]; then
    # Deterministic per subscription, so a second run finds the account it created.
    storage_account="sttfstate$(printf '%s' "$subscription_id" | tr -d '-' | cut -c1-12)"
fi
[[ "$storage_account" =~ ^[a-z0-9]{3,24}$ ]] ||
    die "--storage-account must be 3-24 lower-case letters or digits, got '$storage_account'"

echo "Subscription:    $subscription_id"
echo "Resource group:  $resource_group ($location)"
echo "Storage account: $storage_account"
echo "Container:       $container"
echo

# --- resource group -----------------------------------------------------------------------
if az group show --name "$resource_group" --output none 2>/dev/null; then
    echo "Resource group $resource_group exists."
else
    echo "Creating resource group $resource_group ..."
    az group create --name "$resource_group" --location "$location" \
        --tags purpose=terraform-state managed-by=bootstrap-state-backend \
        --output none
fi

# --- storage account ----------------------------------------------------------------------
if az storage account show --name "$storage_account" --resource-group "$resource_group" --output none 2>/dev/null; then
    echo "Storage account $storage_account exists."
else
    echo "Creating storage account $storage_account ..."
    az storage account create \
        --name "$storage_account" \
        --resource-group "$resource_group" \
        --location "$location" \
        --kind StorageV2 \
        --sku Standard_GRS \
        --min-tls-version TLS1_2 \
        --allow-blob-public-access false \
        --https-only true \
        --allow-shared-key-access false \
        --tags purpose=terraform-state managed-by=bootstrap-state-backend \
        --output none
fi
account_id="$(az storage account show --name "$storage_account" --resource-group "$resource_group" --query id --output tsv)"

# Versioning keeps every earlier state; soft delete protects blobs and the container.
echo "Enabling blob versioning and soft delete ($retention_days days) ..."
az storage account blob-service-properties update \
    --account-name "$storage_account" \
    --resource-group "$resource_group" \
    --enable-versioning true \
    --enable-delete-retention true \
    --delete-retention-days "$retention_days" \
    --enable-container-delete-retention true \
    --container-delete-retention-days "$retention_days" \
    --output none

# --- data-plane access (Entra ID only: shared keys are off) -----------------------------------
grant_blob_contributor() {
    local principal="$1"
    local existing
    existing="$(az role assignment list --assignee "$principal" --role "Storage Blob Data Contributor" \
        --scope "$account_id" --query "length(@)" --output tsv)"
    if [ "$existing" != "0" ]; then
        echo "Principal $principal already has Storage Blob Data Contributor."
        return
    fi
    echo "Granting Storage Blob Data Contributor to $principal ..."
    az role assignment create --assignee "$principal" --role "Storage Blob Data Contributor" \
        --scope "$account_id" --output none
}

if [ "$(az account show --query user.type --output tsv)" = "servicePrincipal" ]; then
    me="$(az ad sp show --id "$(az account show --query user.name --output tsv)" --query id --output tsv)"
else
    me="$(az ad signed-in-user show --query id --output tsv)"
fi
grant_blob_contributor "$me"
# (The ${a[@]+...} form keeps bash 3.2, macOS's default, happy with an empty array.)
for principal in ${grants[@]+"${grants[@]}"}; do
    grant_blob_contributor "$principal"
done

# --- container (role assignments can take a few minutes to apply, hence the retries) --------
attempt=1
until az storage container show --name "$container" --account-name "$storage_account" \
    --auth-mode login --output none 2>/dev/null; do
    if az storage container create --name "$container" --account-name "$storage_account" \
        --auth-mode login --public-access off --output none 2>/dev/null; then
        echo "Created container $container."
        break
    fi
    if [ "$attempt" -ge 10 ]; then
        die "cannot reach container $container with Entra ID auth; check the role assignment and run again"
    fi
    echo "Waiting for the role assignment to take effect (attempt $attempt of 10) ..."
    attempt=$((attempt + 1))
    sleep "${BOOTSTRAP_RETRY_SECONDS:-15}"
done
echo "Container $container is ready."

if [ "$lock" = true ]; then
    az lock create --name tfstate-cannot-delete --lock-type CanNotDelete \
        --resource-group "$resource_group" \
        --resource-type Microsoft.Storage/storageAccounts \
        --resource "$storage_account" \
        --notes "Holds the Terraform state of every environment." \
        --output none
    echo "CanNotDelete lock is on $storage_account."
fi

cat <<EOF

Terraform state backend is ready. Backend settings for terraform init:

  resource_group_name  = "$resource_group"
  storage_account_name = "$storage_account"
  container_name       = "$container"

  terraform -chdir=terraform init \\
    -backend-config="resource_group_name=$resource_group" \\
    -backend-config="storage_account_name=$storage_account" \\
    -backend-config="container_name=$container" \\
    -backend-config="key=test.tfstate" \\
    -backend-config="use_azuread_auth=true"

GitHub repository variables: TFSTATE_RESOURCE_GROUP=$resource_group
  TFSTATE_STORAGE_ACCOUNT=$storage_account TFSTATE_CONTAINER=$container
EOF
