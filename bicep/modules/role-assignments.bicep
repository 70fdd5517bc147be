// Grants one principal its roles, each on the narrowest scope that works: a single container, queue or
// table where the data plane allows it, the account only where a service needs account-wide access, and
// a vault only to whom may read everything in it (the vaults are split by reader for that reason).
// Names are guid(scope, principal, role), so a redeployment finds the same assignment.

import { roleName, scopedRole, roleDefinitionIds } from 'roles.bicep'

param principalId string

@description('A workload identity, or the person (or pipeline) who deployed and operates the MTA.')
param principalType 'ServicePrincipal' | 'User' = 'ServicePrincipal'

param storageAccountName string
param applicationInsightsName string

@description('Roles on the whole storage account.')
param accountRoles roleName[] = []

@description('Roles on single blob containers.')
param containerRoles scopedRole[] = []

@description('Roles on single queues.')
param queueRoles scopedRole[] = []

@description('Roles on single tables.')
param tableRoles scopedRole[] = []

@description('Roles on Key Vaults of this resource group, by vault name.')
param keyVaultRoles scopedRole[] = []

@description('Roles on the Application Insights component (Entra-authenticated telemetry).')
param applicationInsightsRoles roleName[] = []

@description('An Azure Container Registry in this resource group; empty for none (then its roles are not granted).')
param containerRegistryName string = ''

@description('Roles on that registry.')
param containerRegistryRoles roleName[] = []

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }

  resource queueService 'queueServices' existing = {
    name: 'default'
  }

  resource tableService 'tableServices' existing = {
    name: 'default'
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [
  for grant in containerRoles: {
    parent: account::blobService
    name: grant.name
  }
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' existing = [
  for grant in queueRoles: {
    parent: account::queueService
    name: grant.name
  }
]

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2024-01-01' existing = [
  for grant in tableRoles: {
    parent: account::tableService
    name: grant.name
  }
]

resource vaults 'Microsoft.KeyVault/vaults@2023-07-01' existing = [
  for grant in keyVaultRoles: {
    name: grant.name
  }
]

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(containerRegistryName)) {
  name: containerRegistryName
}

resource onAccount 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in accountRoles: {
    name: guid(account.id, principalId, roleDefinitionIds[role])
    scope: account
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[role])
    }
  }
]

resource onContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in containerRoles: {
    name: guid(containers[i].id, principalId, roleDefinitionIds[grant.role])
    scope: containers[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
    }
  }
]

resource onQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in queueRoles: {
    name: guid(queues[i].id, principalId, roleDefinitionIds[grant.role])
    scope: queues[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
    }
  }
]

resource onTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in tableRoles: {
    name: guid(tables[i].id, principalId, roleDefinitionIds[grant.role])
    scope: tables[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
    }
  }
]

resource onVaults 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in keyVaultRoles: {
    name: guid(vaults[i].id, principalId, roleDefinitionIds[grant.role])
    scope: vaults[i]
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
    }
  }
]

resource onInsights 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in applicationInsightsRoles: {
    name: guid(insights.id, principalId, roleDefinitionIds[role])
    scope: insights
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[role])
    }
  }
]

resource onRegistry 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in (empty(containerRegistryName) ? [] : containerRegistryRoles): {
    name: guid(registry.id, principalId, roleDefinitionIds[role])
    scope: registry
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[role])
    }
  }
]
