#!/bin/sh
# azd postdown: what azd down leaves behind on purpose, and how to deal with it.
set -eu

cat << EOT
The vaults $EDGE_KEY_VAULT_NAME and $PIPELINE_KEY_VAULT_NAME are soft-deleted, with purge protection: nobody can
purge them, and their names stay taken for 90 days. The next azd up makes vaults with new names, so import the
certificate and set the smarthost login again. To have these vaults back with their secrets within the 90 days,
create the resource group $AZURE_RESOURCE_GROUP again and run:
  az keyvault recover --name $EDGE_KEY_VAULT_NAME
  az keyvault recover --name $PIPELINE_KEY_VAULT_NAME
EOT

if [ "${DNS_RECORDS_CREATED:-false}" = true ]; then
  cat << EOT

The DNS records in $MAIL_DOMAIN (resource group $DNS_ZONE_RESOURCE_GROUP) are still there and name edges that are
gone (no one else can take those names). Keep them for an azd up into the same resource group, or delete them (the
apex TXT record set holds the SPF record and the values of dnsApexTxtValues):
  az network dns record-set mx delete --resource-group $DNS_ZONE_RESOURCE_GROUP --zone-name $MAIL_DOMAIN --name @ --yes
  az network dns record-set txt delete --resource-group $DNS_ZONE_RESOURCE_GROUP --zone-name $MAIL_DOMAIN --name @ --yes
EOT
  for host in $EDGE_HOST_LABELS; do
    echo "  az network dns record-set cname delete --resource-group $DNS_ZONE_RESOURCE_GROUP --zone-name $MAIL_DOMAIN --name $host --yes"
  done
fi
