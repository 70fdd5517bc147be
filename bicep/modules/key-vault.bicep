// A vault in RBAC mode: access is granted by role assignments (role-assignments.bicep), never by access policies.
// The deployment makes one vault per kind of reader, because a role on a vault reaches every secret in it: the
// edges' vault holds their TLS certificate only, the pipeline's the smarthost login and the DKIM private keys.

param name string
param location string
param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
