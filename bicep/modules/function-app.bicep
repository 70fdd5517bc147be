// The pipeline: an isolated-worker .NET 10 Function App on Flex Consumption (FC1). It reaches storage,
// Key Vault and Application Insights as its user-assigned identity; no key or connection string with a
// secret is stored in its settings.

param planName string
param name string
param location string
param tags object

@description('The azure.yaml service this app is: azd deploys the Functions package to the site tagged azd-service-name.')
param azdServiceName string

param identityId string
param identityClientId string

param storageBlobServiceUri string
param storageQueueServiceUri string
param storageTableServiceUri string
param deploymentContainerUri string

param applicationInsightsName string

@description('Share of traces exported whole, 0 to 1 (Telemetry:TraceSamplingRatio); the edges take the same, so that a message\'s trace is kept or dropped whole.')
param traceSamplingRatio string

param keyVaultName string
@description('The same vault\'s URI: the DKIM private keys are its secrets, which the functions read at run time (Dkim:KeyVaultUri).')
param keyVaultUri string
@description('Names of the Key Vault secrets that hold the smarthost login (not the values).')
param smarthostVaultItems { userName: string, password: string }

@description('The name Deliver gives in EHLO to next hops (Pipeline:HostName).')
param pipelineHostName string

@description('Authentication:ArcSealDomain: the domain whose DKIM key seals forwarded received mail; empty: none.')
param arcSealDomain string

@description('Delays before each retry, comma-separated TimeSpans (Pipeline:Backoff).')
param pipelineBackoff string

@description('How long a recipient may stay deferred before it bounces, in days (Pipeline:MaxLifetime).')
param pipelineMaxLifetimeDays int

@description('host.json\'s extensions.queues.maxPollingInterval, overridden as the Functions host takes app settings.')
param queuePollingInterval string

@minValue(1)
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storageBlobServiceUri }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storageQueueServiceUri }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storageTableServiceUri }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'MtaStorage__blobServiceUri', value: storageBlobServiceUri }
        { name: 'MtaStorage__queueServiceUri', value: storageQueueServiceUri }
        { name: 'MtaStorage__tableServiceUri', value: storageTableServiceUri }
        { name: 'MtaStorage__credential', value: 'managedidentity' }
        { name: 'MtaStorage__clientId', value: identityClientId }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'Telemetry__TraceSamplingRatio', value: traceSamplingRatio }
        { name: 'Pipeline__HostName', value: pipelineHostName }
        { name: 'Authentication__ArcSealDomain', value: arcSealDomain }
        { name: 'Pipeline__Backoff', value: pipelineBackoff }
        { name: 'Pipeline__MaxLifetime', value: '${pipelineMaxLifetimeDays}.00:00:00' }
        { name: 'AzureFunctionsJobHost__extensions__queues__maxPollingInterval', value: queuePollingInterval }
        // A route whose CredentialRef is 'smarthost' logs in with Credentials:smarthost:*; the platform
        // resolves these Key Vault references with the app's identity, so the pipeline reads plain configuration.
        {
          name: 'Credentials__smarthost__UserName'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${smarthostVaultItems.userName})'
        }
        {
          name: 'Credentials__smarthost__Password'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${smarthostVaultItems.password})'
        }
        // DKIM keys are added by mta dkim while the app runs, so they are no Key Vault references (those are
        // resolved at start): the pipeline reads each secret with its identity once per instance and keeps it.
        { name: 'Dkim__KeyVaultUri', value: keyVaultUri }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUri
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }

  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
