#!/bin/sh
# azd postprovision: restarts the functions, so that they resolve their Key Vault references now (App Service
# refetches them only every 24 hours, or on a restart or a configuration change), then says what is left to do.
# Run it again after setting or changing a secret: azd hooks run postprovision.
set -eu

: "${AZURE_RESOURCE_GROUP:?run this hook through azd}"
: "${AZURE_FUNCTIONAPP_NAME:?no AZURE_FUNCTIONAPP_NAME: provision first (azd provision)}"

az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTIONAPP_NAME"
echo "Restarted $AZURE_FUNCTIONAPP_NAME: it reads the smarthost login from $PIPELINE_KEY_VAULT_NAME again."

echo
if [ "$DNS_RECORDS_CREATED" = true ]; then
  echo "DNS: these records are in the zone $MAIL_DOMAIN (resource group $DNS_ZONE_RESOURCE_GROUP):"
else
  echo "DNS: publish these records in the zone of $MAIL_DOMAIN:"
fi
printf '%s\n' "$DNS_RECORDS"
echo "The MX records name the edges' Azure names, which follow their addresses; keep them so."

cat << EOT

Secrets, once (each edge waits for its certificate; the functions need the login before a smarthost route works):
  az keyvault certificate import --vault-name $EDGE_KEY_VAULT_NAME --name $TLS_CERTIFICATE_NAME --file mx.pfx
  az keyvault secret set --vault-name $PIPELINE_KEY_VAULT_NAME --name smarthost-username --value <user>
  az keyvault secret set --vault-name $PIPELINE_KEY_VAULT_NAME --name smarthost-password --value <password>
  azd hooks run postprovision

Routes and users (mta CLI):
  dotnet run --project infra/MtaServerless.Cli -- routes list --account $MtaStorage__accountName
EOT
