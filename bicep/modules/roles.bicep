// Built-in role definitions the deployment grants, by name, so that every grant reads as what it allows.
// Compile-time import only: nothing here is deployed.

@export()
@description('The built-in roles this deployment may grant; nothing broader (no Owner, no Contributor).')
type roleName =
  | 'Storage Blob Data Owner'
  | 'Storage Blob Data Contributor'
  | 'Storage Queue Data Contributor'
  | 'Storage Queue Data Message Sender'
  | 'Storage Table Data Contributor'
  | 'Storage Table Data Reader'
  | 'Key Vault Secrets User'
  | 'Key Vault Secrets Officer'
  | 'Key Vault Certificates Officer'
  | 'Monitoring Metrics Publisher'
  | 'AcrPull'

@export()
@description('A role on one named resource: a container, a queue or a table of the storage account, or a Key Vault.')
type scopedRole = {
  name: string
  role: roleName
}

@export()
var roleDefinitionIds = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  'Storage Table Data Reader': '76199698-9eea-4c19-bc75-cec21354c6b6'
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6'
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  'Key Vault Certificates Officer': 'a4417e6f-fecd-4de8-b567-7b0420556985'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}
