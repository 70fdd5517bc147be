// The registry the edge image is built into (az acr build) and that the edges pull from with their own identities.
// It is deployed on its own first, by azd's preprovision hook or by hand, because the image must be in it before
// main.bicep creates the edges; main.bicep then deploys it again unchanged. So its name depends only on what both
// callers know: the resource group and the name prefix.

import { checkedNamePrefix } from 'names.bicep'

param namePrefix string
param location string = resourceGroup().location
param tags object = {}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: '${checkedNamePrefix(namePrefix)}cr${uniqueString(resourceGroup().id, namePrefix)}'
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    // Pulls and builds use Entra ID (the edges' identities, az acr build): no shared admin password.
    adminUserEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
