// One SMTP edge: an Azure Container Instances group with its own public IP and DNS label. ACI hands
// the container the client's TCP connection unchanged, so the edge sees the real client address
// (Container Apps' TCP ingress would replace it with a proxy's). Scale out = more groups, each its
// own A record and MX of equal preference.

param name string
param location string
param tags object

@description('The edge image, e.g. myregistry.azurecr.io/mtaserverless-edge:1.0.')
param image string

@description('Login server of the registry pulled with the group\'s identity; empty for a public image.')
param imageRegistryServer string

@description('The name this edge gives in its greeting and in Received: (its A and PTR name).')
param hostName string

@description('Globally unique within the region: the FQDN is <label>.<region>.azurecontainer.io.')
param dnsNameLabel string

param identityId string
param identityClientId string

param storageBlobServiceUri string
param storageQueueServiceUri string
param storageTableServiceUri string

param applicationInsightsName string

@description('OpenTelemetry service name: the cloud_RoleName the workbook and the edge-not-reporting alert look for.')
param telemetryRoleName string

param keyVaultName string

@description('The Key Vault certificate with the edge\'s TLS key; its secret (PKCS#12) is fetched at start.')
param tlsCertificateName string

@description('Image of the sidecar that fetches the certificate with the group\'s identity (needs the Azure CLI).')
param keyVaultFetchImage string

param cpuCores int
param memoryInGB string

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var tlsDirectory = '/run/tls'
var tlsFile = '${tlsDirectory}/edge.pfx'

// A sidecar, because Container Instances gives no managed identity to init containers: it fetches the
// certificate with the group's identity as soon as it is in the vault (the first deployment creates
// the vault empty) and again every hour, and swaps the file in whole; the edge reloads a changed file
// (Edge:Tls:PfxPath; Key Vault exports the PFX without a password).
var fetchCertificate = 'until az login --identity --username "$AZURE_CLIENT_ID" --allow-no-subscriptions > /dev/null; do sleep 10; done; while true; do if az keyvault secret download --vault-name "$VAULT_NAME" --name "$CERTIFICATE_NAME" --encoding base64 --file "$TLS_FILE.new"; then chmod 0444 "$TLS_FILE.new" && mv -f "$TLS_FILE.new" "$TLS_FILE"; sleep 3600; else rm -f "$TLS_FILE.new"; echo "waiting for certificate $CERTIFICATE_NAME in $VAULT_NAME"; sleep 30; fi; done'

// The edge starts once the certificate is there, so that its TLS listeners never come up without one. It execs the
// image's entry point, the apphost that holds CAP_NET_BIND_SERVICE (edge/Dockerfile): the image runs as a non-root
// user and Container Instances maps no ports, so the edge binds 25, 587 and 465 itself.
var startEdge = 'until [ -s "$Edge__Tls__PfxPath" ]; do sleep 2; done; exec /app/MtaServerless.Edge'

// Liveness is the MX listener accepting a connection: Container Instances offers exec and HTTP probes only, so bash
// opens the socket. Before the certificate is there the edge is not started on purpose and the probe passes: on the
// first deployment the vault is empty, and restarts would not bring the certificate sooner but would add the
// restart back-off to the start once it is imported. It names the file itself: an exec probe is not promised the
// container's environment variables.
var probeMxListener = '[ ! -s ${tlsFile} ] || exec 3<>/dev/tcp/127.0.0.1/25'

resource group 'Microsoft.ContainerInstance/containerGroups@2023-05-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    osType: 'Linux'
    sku: 'Standard'
    restartPolicy: 'Always'
    imageRegistryCredentials: empty(imageRegistryServer)
      ? []
      : [
          {
            server: imageRegistryServer
            identity: identityId
          }
        ]
    ipAddress: {
      type: 'Public'
      dnsNameLabel: dnsNameLabel
      ports: [
        { port: 25, protocol: 'TCP' }
        { port: 587, protocol: 'TCP' }
        { port: 465, protocol: 'TCP' }
      ]
    }
    volumes: [
      {
        name: 'tls'
        emptyDir: {}
      }
    ]
    containers: [
      {
        name: 'edge'
        properties: {
          image: image
          command: ['/bin/sh', '-c', startEdge]
          ports: [
            { port: 25, protocol: 'TCP' }
            { port: 587, protocol: 'TCP' }
            { port: 465, protocol: 'TCP' }
          ]
          resources: {
            requests: {
              cpu: cpuCores
              memoryInGB: json(memoryInGB)
            }
          }
          volumeMounts: [
            { name: 'tls', mountPath: tlsDirectory, readOnly: true }
          ]
          livenessProbe: {
            exec: {
              command: ['/bin/bash', '-c', probeMxListener]
            }
            initialDelaySeconds: 15
            periodSeconds: 30
            failureThreshold: 3
            timeoutSeconds: 5
          }
          environmentVariables: [
            { name: 'Edge__HostName', value: hostName }
            { name: 'Edge__Listeners__0__Name', value: 'mx' }
            { name: 'Edge__Listeners__0__Role', value: 'mx' }
            { name: 'Edge__Listeners__0__Address', value: '0.0.0.0' }
            { name: 'Edge__Listeners__0__Port', value: '25' }
            { name: 'Edge__Listeners__1__Name', value: 'submission' }
            { name: 'Edge__Listeners__1__Role', value: 'submission' }
            { name: 'Edge__Listeners__1__Address', value: '0.0.0.0' }
            { name: 'Edge__Listeners__1__Port', value: '587' }
            { name: 'Edge__Listeners__2__Name', value: 'submissions' }
            { name: 'Edge__Listeners__2__Role', value: 'submissions' }
            { name: 'Edge__Listeners__2__Address', value: '0.0.0.0' }
            { name: 'Edge__Listeners__2__Port', value: '465' }
            { name: 'Edge__Tls__PfxPath', value: tlsFile }
            { name: 'MtaStorage__blobServiceUri', value: storageBlobServiceUri }
            { name: 'MtaStorage__queueServiceUri', value: storageQueueServiceUri }
            { name: 'MtaStorage__tableServiceUri', value: storageTableServiceUri }
            { name: 'MtaStorage__credential', value: 'managedidentity' }
            { name: 'MtaStorage__clientId', value: identityClientId }
            { name: 'AZURE_CLIENT_ID', value: identityClientId }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
            { name: 'OTEL_SERVICE_NAME', value: telemetryRoleName }
            { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'service.instance.id=${name}' }
          ]
        }
      }
      {
        name: 'tls-from-key-vault'
        properties: {
          image: keyVaultFetchImage
          command: ['/bin/sh', '-c', fetchCertificate]
          resources: {
            requests: {
              cpu: json('0.25')
              memoryInGB: json('0.5')
            }
          }
          environmentVariables: [
            { name: 'AZURE_CLIENT_ID', value: identityClientId }
            { name: 'VAULT_NAME', value: keyVaultName }
            { name: 'CERTIFICATE_NAME', value: tlsCertificateName }
            { name: 'TLS_FILE', value: tlsFile }
          ]
          volumeMounts: [
            { name: 'tls', mountPath: tlsDirectory }
          ]
        }
      }
    ]
  }
}

output name string = group.name
output fqdn string = group.properties.ipAddress.fqdn
output ipAddress string = group.properties.ipAddress.ip
output hostName string = hostName
