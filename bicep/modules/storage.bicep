// The one storage account of the storage contract (MtaServerless.Core StorageNames): containers, queues
// (the poison queues too, so that no identity needs rights to create them) and tables, plus the
// Flex Consumption deployment container. Keys are off: every client signs in with Entra ID.

param name string
param location string
param tags object

@description('The Flex Consumption deployment package container.')
param deploymentContainerName string

@description('Spool blobs not modified for this long are deleted: the pipeline\'s maximum queue lifetime plus a margin. The sweeper refreshes the blobs of unfinished messages twice a day, so no blob a recipient still needs is deleted.')
@minValue(1)
param spoolRetentionDays int

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource spool 'containers' = {
      name: 'spool'
    }

    resource mailboxes 'containers' = {
      name: 'mailboxes'
    }

    resource quarantine 'containers' = {
      name: 'quarantine'
    }

    resource deployment 'containers' = {
      name: deploymentContainerName
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource inbound 'queues' = {
      name: 'inbound'
    }

    resource inboundPoison 'queues' = {
      name: 'inbound-poison'
    }

    resource delivery 'queues' = {
      name: 'delivery'
    }

    resource deliveryPoison 'queues' = {
      name: 'delivery-poison'
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource routes 'tables' = {
      name: 'routes'
    }

    resource users 'tables' = {
      name: 'users'
    }

    resource deliveries 'tables' = {
      name: 'deliveries'
    }

    // Selectors and public keys of the DKIM keys; the private keys are in the pipeline's vault.
    resource dkimKeys 'tables' = {
      name: 'dkimkeys'
    }
  }

  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'expire-spool'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: ['blockBlob']
                prefixMatch: ['${account::blobService::spool.name}/']
              }
              actions: {
                baseBlob: {
                  // From the last modification, not the creation: the sweeper touches the blob of a message whose
                  // recipients are not all final twice a day, however long that takes (a changed lifetime, an outage).
                  delete: {
                    daysAfterModificationGreaterThan: spoolRetentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
  }
}

output name string = account.name
output blobServiceUri string = account.properties.primaryEndpoints.blob
output queueServiceUri string = account.properties.primaryEndpoints.queue
output tableServiceUri string = account.properties.primaryEndpoints.table
output spoolContainerName string = account::blobService::spool.name
output mailboxesContainerName string = account::blobService::mailboxes.name
output deploymentContainerUri string = '${account.properties.primaryEndpoints.blob}${account::blobService::deployment.name}'
output inboundQueueName string = account::queueService::inbound.name
output deliveryQueueName string = account::queueService::delivery.name
output routesTableName string = account::tableService::routes.name
output usersTableName string = account::tableService::users.name
output deliveriesTableName string = account::tableService::deliveries.name
output dkimKeysTableName string = account::tableService::dkimKeys.name
