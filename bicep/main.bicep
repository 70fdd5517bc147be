// MtaServerless on Azure: storage (the contract), the pipeline on Flex Consumption, N SMTP edges on
// Azure Container Instances, a registry for the edge image, a vault per kind of reader, optional DNS records,
// and Application Insights with a workbook and alerts.
// With the Azure Developer CLI: azd up (azure.yaml, hooks/). By hand: README, "Deploy to Azure".

import { checkedNamePrefix } from 'modules/names.bicep'

// Regions that offer Flex Consumption (az functionapp list-flexconsumption-locations; the list of the Azure-Samples
// Flex Consumption template), all of which offer Container Instances too. A region outside it fails validation
// before anything is created, and azd offers only these. No default: the resource group's region may not be one.
@description('Region of every resource; Flex Consumption must be offered there.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Short prefix of every resource name: lowercase letters and digits, starting with a letter.')
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

@description('The longest wait of the Functions queue trigger between polls of an empty queue (host.json extensions.queues.maxPollingInterval): an idle app sees a message within it (250 -> delivered p50 about half of it), and each running instance polls each of the two queues that often when idle (at 1 second, 172,800 Get Messages a day, about $2 a month).')
param queuePollingInterval string = '00:00:01'

@description('Days a spool blob outlives the maximum queue lifetime before the lifecycle rule deletes it (time for the final bounce and for inspection), counted from its last modification: the sweeper refreshes the blobs of unfinished messages twice a day.')
@minValue(1)
param spoolRetentionMarginDays int = 2

@description('The edge image, built from edge/Dockerfile into this deployment\'s registry (modules/container-registry.bicep): <registry>.azurecr.io/mtaserverless-edge:<tag>. The edges pull it with their identities.')
param edgeImage string

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

@description('Resource id of an existing action group the alerts notify; empty: one is made for alertEmail.')
param actionGroupId string = ''

@description('Where the alerts send e-mail when no actionGroupId is given; empty (and no actionGroupId): the alerts only show in Azure Monitor.')
param alertEmail string = ''

@description('Bounce rate (percent of final outcomes in an hour) over which the alert fires.')
@minValue(1)
@maxValue(100)
param bounceRatePercentThreshold int = 10

@description('Growth of the delivery queue within an hour over which the deferred-backlog alert fires.')
@minValue(1)
param deferredBacklogGrowthThreshold int = 500

@minValue(30)
param logRetentionInDays int = 30

@description('Share of traces the edges and the Function App export whole, from 0 to 1 as a decimal string (Telemetry:TraceSamplingRatio); failed spans, events, warnings, errors and metrics are exported whatever it says.')
param telemetryTraceSamplingRatio string = '0.01'

@description('Domain whose RSA DKIM key (mta dkim add) seals received mail that a relay route forwards with an ARC set (Authentication:ArcSealDomain); empty: no sealing.')
param arcSealDomain string = ''

param tags object = {}

@description('Object id of the person (or pipeline) who operates the MTA: they get the data roles the mta CLI and the vault commands need. Empty: nobody (azd passes the signed-in account).')
param principalId string = ''

param principalType 'User' | 'ServicePrincipal' = 'User'

@description('Resource group of an Azure DNS zone named mailDomain, to create the MX, SPF and edge name records in; empty: publish DNS_RECORDS yourself. Never this deployment\'s own resource group, which azd down deletes.')
param dnsZoneResourceGroup string = ''

@description('The smarthost\'s SPF domain, for the SPF record (v=spf1 include:<it> -all): outbound mail leaves through the smarthost. Empty: no SPF record.')
param smarthostSpfInclude string = ''

@description('More TXT values to keep at the zone apex when the deployment writes its TXT record set (domain verifications).')
param dnsApexTxtValues string[] = []

var prefix = checkedNamePrefix(namePrefix)
var suffix = uniqueString(resourceGroup().id, prefix)
var edgeTelemetryRoleName = loadJsonContent('monitoring/telemetry.json').roles.edge.cloudRoleName
var functionAppName = '${prefix}-func-${suffix}'
var edgeHostLabels = [for i in range(0, edgeCount): 'mx${i + 1}']
var dnsRecordsResourceGroup = empty(dnsZoneResourceGroup)
  ? resourceGroup().name
  : dnsZoneResourceGroup != resourceGroup().name
      ? dnsZoneResourceGroup
      : fail('dnsZoneResourceGroup must be another resource group than the deployment\'s: azd down deletes this one, and the zone with it.')

module functionsIdentity 'modules/identity.bicep' = {
  name: 'functions-identity'
  params: {
    name: '${prefix}-id-functions'
    location: location
    tags: tags
  }
}

module edgeIdentities 'modules/identity.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-identity-${i + 1}'
    params: {
      name: '${prefix}-id-edge-${i + 1}'
      location: location
      tags: tags
    }
  }
]

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('${prefix}st${suffix}', 24)
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    spoolRetentionDays: pipelineMaxLifetimeDays + spoolRetentionMarginDays
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${prefix}-log-${suffix}'
    applicationInsightsName: '${prefix}-appi-${suffix}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module registry 'modules/container-registry.bicep' = {
  name: 'container-registry'
  params: {
    namePrefix: prefix
    location: location
    tags: tags
  }
}

// Vault names are global, and a deleted vault keeps its name for the 90 days of soft delete (purge protection: nobody
// can purge it sooner). So the names come from the functions identity's object id, which is new whenever the
// resource group is built anew: after azd down, azd up gets vaults with fresh names, while every update of a running
// deployment finds the same ones.
var vaultToken = uniqueString(functionsIdentity.outputs.principalId)

module edgeVault 'modules/key-vault.bicep' = {
  name: 'edge-vault'
  params: {
    name: take('${prefix}-kve-${vaultToken}', 24)
    location: location
    tags: tags
  }
}

module pipelineVault 'modules/key-vault.bicep' = {
  name: 'pipeline-vault'
  params: {
    name: take('${prefix}-kvp-${vaultToken}', 24)
    location: location
    tags: tags
  }
}

// The functions read and re-enqueue on every queue (update and send need more than the trigger's
// reader roles), read routes and users and write deliveries, keep the host's leases in blobs and read
// the deployment package: account-wide data roles, nothing on the control plane. They read the pipeline's
// vault (the smarthost login, the DKIM private keys), never the edges' (their TLS private key); no edge reads it.
module functionsAccess 'modules/role-assignments.bicep' = {
  name: 'functions-access'
  params: {
    principalId: functionsIdentity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    accountRoles: [
      'Storage Blob Data Owner'
      'Storage Queue Data Contributor'
      'Storage Table Data Contributor'
    ]
    keyVaultRoles: [
      { name: pipelineVault.outputs.name, role: 'Key Vault Secrets User' }
    ]
    applicationInsightsRoles: ['Monitoring Metrics Publisher']
  }
}

// An edge only writes spool blobs, sends to inbound, and reads routes and users; it reads its
// certificate from the edges' vault (never the smarthost login: an edge faces the internet) and pulls its image.
module edgeAccess 'modules/role-assignments.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-access-${i + 1}'
    params: {
      principalId: edgeIdentities[i].outputs.principalId
      storageAccountName: storage.outputs.name
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
      keyVaultRoles: [
        { name: edgeVault.outputs.name, role: 'Key Vault Secrets User' }
      ]
      applicationInsightsRoles: ['Monitoring Metrics Publisher']
      containerRegistryName: registry.outputs.name
      containerRegistryRoles: ['AcrPull']
    }
  }
]

// The operator manages routes and users and reads deliveries (mta routes, users, trace), lists and replays queues
// (mta queues, poison), imports the edges' certificate and sets the pipeline's secrets (the smarthost login, and the
// DKIM keys that mta dkim generates into the vault beside their rows in dkimkeys). Data roles only: deploying
// needs control-plane rights the operator has already.
module operatorAccess 'modules/role-assignments.bicep' = if (!empty(principalId)) {
  name: 'operator-access'
  params: {
    principalId: principalId
    principalType: principalType
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    accountRoles: ['Storage Queue Data Contributor']
    tableRoles: [
      { name: storage.outputs.routesTableName, role: 'Storage Table Data Contributor' }
      { name: storage.outputs.usersTableName, role: 'Storage Table Data Contributor' }
      { name: storage.outputs.deliveriesTableName, role: 'Storage Table Data Reader' }
      { name: storage.outputs.dkimKeysTableName, role: 'Storage Table Data Contributor' }
    ]
    keyVaultRoles: [
      { name: edgeVault.outputs.name, role: 'Key Vault Certificates Officer' }
      { name: pipelineVault.outputs.name, role: 'Key Vault Secrets Officer' }
    ]
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  dependsOn: [functionsAccess]
  params: {
    planName: '${prefix}-plan-${suffix}'
    name: functionAppName
    location: location
    tags: tags
    azdServiceName: 'pipeline'
    identityId: functionsIdentity.outputs.id
    identityClientId: functionsIdentity.outputs.clientId
    storageBlobServiceUri: storage.outputs.blobServiceUri
    storageQueueServiceUri: storage.outputs.queueServiceUri
    storageTableServiceUri: storage.outputs.tableServiceUri
    deploymentContainerUri: storage.outputs.deploymentContainerUri
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    traceSamplingRatio: telemetryTraceSamplingRatio
    keyVaultName: pipelineVault.outputs.name
    keyVaultUri: pipelineVault.outputs.uri
    smarthostVaultItems: smarthostVaultItems
    pipelineHostName: pipelineHostName
    arcSealDomain: arcSealDomain
    pipelineBackoff: pipelineBackoff
    pipelineMaxLifetimeDays: pipelineMaxLifetimeDays
    queuePollingInterval: queuePollingInterval
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
  }
}

module edges 'modules/edge-group.bicep' = [
  for i in range(0, edgeCount): {
    name: 'edge-${i + 1}'
    dependsOn: [edgeAccess[i]]
    params: {
      name: '${prefix}-edge-${i + 1}'
      location: location
      tags: tags
      image: edgeImage
      imageRegistryServer: registry.outputs.loginServer
      hostName: '${edgeHostLabels[i]}.${mailDomain}'
      dnsNameLabel: '${prefix}-${edgeHostLabels[i]}-${suffix}'
      identityId: edgeIdentities[i].outputs.id
      identityClientId: edgeIdentities[i].outputs.clientId
      storageBlobServiceUri: storage.outputs.blobServiceUri
      storageQueueServiceUri: storage.outputs.queueServiceUri
      storageTableServiceUri: storage.outputs.tableServiceUri
      applicationInsightsName: monitoring.outputs.applicationInsightsName
      telemetryRoleName: edgeTelemetryRoleName
      traceSamplingRatio: telemetryTraceSamplingRatio
      keyVaultName: edgeVault.outputs.name
      tlsCertificateName: tlsCertificateName
      keyVaultFetchImage: keyVaultFetchImage
      cpuCores: edgeCpuCores
      memoryInGB: edgeMemoryInGB
    }
  }
]

module dnsRecords 'modules/dns-records.bicep' = {
  name: 'dns-records'
  scope: resourceGroup(dnsRecordsResourceGroup)
  params: {
    zoneName: mailDomain
    createRecords: !empty(dnsZoneResourceGroup)
    edgeHostLabels: edgeHostLabels
    edgeFqdns: [for i in range(0, edgeCount): edges[i].outputs.fqdn]
    spfInclude: smarthostSpfInclude
    apexTxtValues: dnsApexTxtValues
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    name: guid(resourceGroup().id, prefix, 'mta-workbook')
    displayName: 'MtaServerless: mail flow'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: prefix
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupId: actionGroupId
    alertEmail: alertEmail
    edgeCount: edgeCount
    bounceRatePercentThreshold: bounceRatePercentThreshold
    deferredBacklogGrowthThreshold: deferredBacklogGrowthThreshold
  }
}

// Named for the settings that consume them (MtaStorage__* for the CLI or a local run against Azure), and for what
// azd and its hooks read (azd keeps every output in the environment).
output MtaStorage__accountName string = storage.outputs.name
output MtaStorage__blobServiceUri string = storage.outputs.blobServiceUri
output MtaStorage__queueServiceUri string = storage.outputs.queueServiceUri
output MtaStorage__tableServiceUri string = storage.outputs.tableServiceUri
output AZURE_FUNCTIONAPP_NAME string = functionApp.outputs.name
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output EDGE_KEY_VAULT_NAME string = edgeVault.outputs.name
output PIPELINE_KEY_VAULT_NAME string = pipelineVault.outputs.name
output TLS_CERTIFICATE_NAME string = tlsCertificateName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output WORKBOOK_ID string = workbook.outputs.id
output ALERT_RULE_NAMES string[] = alerts.outputs.names
output ALERT_ACTION_GROUP_ID string = alerts.outputs.actionGroupId
output EDGE_HOST_NAMES string[] = [for i in range(0, edgeCount): edges[i].outputs.hostName]
output EDGE_FQDNS string[] = [for i in range(0, edgeCount): edges[i].outputs.fqdn]
output EDGE_IP_ADDRESSES string[] = [for i in range(0, edgeCount): edges[i].outputs.ipAddress]
@description('The mail domain\'s records in zone-file form, one per line: created in the zone of dnsZoneResourceGroup, or to publish.')
output DNS_RECORDS string = join(dnsRecords.outputs.records, '\n')
output DNS_RECORDS_CREATED bool = !empty(dnsZoneResourceGroup)
output DNS_ZONE_RESOURCE_GROUP string = dnsZoneResourceGroup
output MAIL_DOMAIN string = mailDomain
@description('The edges\' names in the mail domain, space-separated for the hooks: mx1 mx2 ...')
output EDGE_HOST_LABELS string = join(edgeHostLabels, ' ')
