// MtaServerless on Azure: storage (the contract), the pipeline on Flex Consumption, N SMTP edges on
// Azure Container Instances, Key Vault, and Application Insights with a workbook and alerts.
// Deploy into a resource group: az deployment group create -g <rg> -f bicep/main.bicep -p @bicep/main.parameters.sample.json

@description('Region of every resource; Flex Consumption must be offered there.')
param location string = resourceGroup().location

@description('Short prefix of every resource name (lowercase letters and digits).')
@minLength(2)
@maxLength(8)
param namePrefix string = 'mta'

@description('The mail domain this MTA serves; the edges are mx1.<domain>, mx2.<domain>, ...')
param mailDomain string

@description('The name Deliver gives in EHLO to next hops (Pipeline:HostName).')
param pipelineHostName string = 'mail.${mailDomain}'

@description('Delays before each retry, comma-separated TimeSpans; the last one repeats (Pipeline:Backoff).')
param pipelineBackoff string = '00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,02:00:00,04:00:00'

@description('How long a recipient may stay deferred before it bounces, in days (Pipeline:MaxLifetime).')
@minValue(1)
@maxValue(30)
param pipelineMaxLifetimeDays int = 5

@description('Days a spool blob outlives the maximum queue lifetime before the lifecycle rule deletes it (time for the final bounce and for inspection), counted from its last modification: the sweeper refreshes the blobs of unfinished messages twice a day.')
@minValue(1)
param spoolRetentionMarginDays int = 2

@description('The edge image, e.g. myregistry.azurecr.io/mtaserverless-edge:1.0 (built from edge/Dockerfile).')
param edgeImage string

@description('An Azure Container Registry in this resource group that holds edgeImage; the edges pull with their identities (AcrPull is granted). Empty for a public image.')
param edgeRegistryName string = ''

@description('How many edge container groups (each its own public IP, MX of equal preference).')
@minValue(1)
@maxValue(10)
param edgeCount int = 2

@description('CPU cores per edge.')
@minValue(1)
@maxValue(4)
param edgeCpuCores int = 1

@description('Memory per edge in GB, as a decimal string.')
param edgeMemoryInGB string = '1.5'

@description('Image of the init container that fetches the TLS certificate from Key Vault.')
param keyVaultFetchImage string = 'mcr.microsoft.com/azure-cli:2.70.0'

@description('Name of the Key Vault certificate (PKCS#12) the edges present on STARTTLS and on port 465.')
param tlsCertificateName string = 'edge-tls'

@description('Names of the Key Vault secrets that hold the smarthost login (the values are set after the deployment).')
param smarthostVaultItems { userName: string, password: string } = {
  userName: 'smarthost-username'
  password: 'smarthost-password'
}

@description('Upper bound of Function App instances.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('Resource id of an existing action group the alerts notify; empty for none.')
param actionGroupId string = ''

@description('Bounce rate (percent of final outcomes in an hour) over which the alert fires.')
@minValue(1)
@maxValue(100)
param bounceRatePercentThreshold int = 10

@description('Growth of the delivery queue within an hour over which the deferred-backlog alert fires.')
@minValue(1)
param deferredBacklogGrowthThreshold int = 500

@minValue(30)
param logRetentionInDays int = 30

param tags object = {}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var edgeTelemetryRoleName = loadJsonContent('monitoring/telemetry.json').roles.edge.cloudRoleName
var functionAppName = '${namePrefix}-func-${suffix}'

module functionsIdentity 'modules/identity.bicep' = {
  name: 'functions-identity'
  params: {
    name: '${namePrefix}-id-functions'
    location: location
    tags: tags
  }
}

module edgeIdentities 'modules/identity.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-identity-${i + 1}'
    params: {
      name: '${namePrefix}-id-edge-${i + 1}'
      location: location
      tags: tags
    }
  }
]

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('${namePrefix}st${suffix}', 24)
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    spoolRetentionDays: pipelineMaxLifetimeDays + spoolRetentionMarginDays
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${namePrefix}-log-${suffix}'
    applicationInsightsName: '${namePrefix}-appi-${suffix}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: take('${namePrefix}-kv-${suffix}', 24)
    location: location
    tags: tags
  }
}

// The functions read and re-enqueue on every queue (update and send need more than the trigger's
// reader roles), read routes and users and write deliveries, keep the host's leases in blobs and read
// the deployment package: account-wide data roles, nothing on the control plane.
module functionsAccess 'modules/role-assignments.bicep' = {
  name: 'functions-access'
  params: {
    principalId: functionsIdentity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    accountRoles: [
      'Storage Blob Data Owner'
      'Storage Queue Data Contributor'
      'Storage Table Data Contributor'
    ]
    keyVaultRoles: ['Key Vault Secrets User']
    applicationInsightsRoles: ['Monitoring Metrics Publisher']
  }
}

// An edge only writes spool blobs, sends to inbound, and reads routes and users; it reads its
// certificate from the vault and pulls its image.
module edgeAccess 'modules/role-assignments.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-access-${i + 1}'
    params: {
      principalId: edgeIdentities[i].outputs.principalId
      storageAccountName: storage.outputs.name
      keyVaultName: keyVault.outputs.name
      applicationInsightsName: monitoring.outputs.applicationInsightsName
      containerRoles: [
        { name: storage.outputs.spoolContainerName, role: 'Storage Blob Data Contributor' }
      ]
      queueRoles: [
        { name: storage.outputs.inboundQueueName, role: 'Storage Queue Data Message Sender' }
      ]
      tableRoles: [
        { name: storage.outputs.routesTableName, role: 'Storage Table Data Reader' }
        { name: storage.outputs.usersTableName, role: 'Storage Table Data Reader' }
      ]
      keyVaultRoles: ['Key Vault Secrets User']
      applicationInsightsRoles: ['Monitoring Metrics Publisher']
      containerRegistryName: edgeRegistryName
      containerRegistryRoles: ['AcrPull']
    }
  }
]

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  dependsOn: [functionsAccess]
  params: {
    planName: '${namePrefix}-plan-${suffix}'
    name: functionAppName
    location: location
    tags: tags
    identityId: functionsIdentity.outputs.id
    identityClientId: functionsIdentity.outputs.clientId
    storageBlobServiceUri: storage.outputs.blobServiceUri
    storageQueueServiceUri: storage.outputs.queueServiceUri
    storageTableServiceUri: storage.outputs.tableServiceUri
    deploymentContainerUri: storage.outputs.deploymentContainerUri
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    smarthostVaultItems: smarthostVaultItems
    pipelineHostName: pipelineHostName
    pipelineBackoff: pipelineBackoff
    pipelineMaxLifetimeDays: pipelineMaxLifetimeDays
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
  }
}

module edges 'modules/edge-group.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-${i + 1}'
    dependsOn: [edgeAccess[i]]
    params: {
      name: '${namePrefix}-edge-${i + 1}'
      location: location
      tags: tags
      image: edgeImage
      imageRegistryServer: empty(edgeRegistryName) ? '' : '${edgeRegistryName}${environment().suffixes.acrLoginServer}'
      hostName: 'mx${i + 1}.${mailDomain}'
      dnsNameLabel: '${namePrefix}-mx${i + 1}-${suffix}'
      identityId: edgeIdentities[i].outputs.id
      identityClientId: edgeIdentities[i].outputs.clientId
      storageBlobServiceUri: storage.outputs.blobServiceUri
      storageQueueServiceUri: storage.outputs.queueServiceUri
      storageTableServiceUri: storage.outputs.tableServiceUri
      applicationInsightsName: monitoring.outputs.applicationInsightsName
      telemetryRoleName: edgeTelemetryRoleName
      keyVaultName: keyVault.outputs.name
      tlsCertificateName: tlsCertificateName
      keyVaultFetchImage: keyVaultFetchImage
      cpuCores: edgeCpuCores
      memoryInGB: edgeMemoryInGB
    }
  }
]

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    name: guid(resourceGroup().id, namePrefix, 'mta-workbook')
    displayName: 'MtaServerless: mail flow'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: namePrefix
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupId: actionGroupId
    edgeCount: edgeCount
    bounceRatePercentThreshold: bounceRatePercentThreshold
    deferredBacklogGrowthThreshold: deferredBacklogGrowthThreshold
  }
}

// Named for the settings that consume them (MtaStorage__* for the CLI or a local run against Azure).
output MtaStorage__accountName string = storage.outputs.name
output MtaStorage__blobServiceUri string = storage.outputs.blobServiceUri
output MtaStorage__queueServiceUri string = storage.outputs.queueServiceUri
output MtaStorage__tableServiceUri string = storage.outputs.tableServiceUri
output AZURE_FUNCTIONAPP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output WORKBOOK_ID string = workbook.outputs.id
output ALERT_RULE_NAMES string[] = alerts.outputs.names
output EDGE_HOST_NAMES string[] = [for i in range(0, edgeCount): edges[i].outputs.hostName]
output EDGE_FQDNS string[] = [for i in range(0, edgeCount): edges[i].outputs.fqdn]
output EDGE_IP_ADDRESSES string[] = [for i in range(0, edgeCount): edges[i].outputs.ipAddress]
