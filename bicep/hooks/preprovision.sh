#!/bin/sh
# azd preprovision: puts the edge image where main.bicep will look for it. Container Instances pulls the image when
# it creates a group and is no azd host kind, so the image must be built before the deployment: this deploys the
# registry's own module (main.bicep deploys the same module again, unchanged), builds the image in the registry with
# az acr build (no local Docker), and hands its reference to main.bicep as EDGE_IMAGE (bicep/main.parameters.json).
set -eu
cd "$(dirname "$0")/../.."

: "${AZURE_ENV_NAME:?run this hook through azd: azd up, or azd provision}"
: "${AZURE_LOCATION:?no region: run azd up, which asks for one, or azd env set AZURE_LOCATION <region>}"
name_prefix=${MTA_NAME_PREFIX:-mta}
run_as_root=${EDGE_RUN_AS_ROOT:-false}
case $run_as_root in
  true | false) ;;
  *) echo "EDGE_RUN_AS_ROOT must be true or false, not '$run_as_root'" >&2; exit 2 ;;
esac

# azd up asks for the resource group before this hook runs; azd provision on a new environment does not.
if [ -z "${AZURE_RESOURCE_GROUP:-}" ]; then
  AZURE_RESOURCE_GROUP=rg-$AZURE_ENV_NAME
  azd env set AZURE_RESOURCE_GROUP "$AZURE_RESOURCE_GROUP"
fi
if [ "$(az group exists --name "$AZURE_RESOURCE_GROUP")" != true ]; then
  az group create --name "$AZURE_RESOURCE_GROUP" --location "$AZURE_LOCATION" \
    --tags "azd-env-name=$AZURE_ENV_NAME" --output none
fi

registry_outputs=$(az deployment group create --resource-group "$AZURE_RESOURCE_GROUP" --name container-registry \
  --template-file bicep/modules/container-registry.bicep \
  --parameters namePrefix="$name_prefix" location="$AZURE_LOCATION" \
  --query "join(' ', [properties.outputs.name.value, properties.outputs.loginServer.value])" --output tsv)
# shellcheck disable=SC2086 # two words: the registry's name and its login server
set -- $registry_outputs
registry=$1
login_server=$2

# The tag is a digest of everything edge/Dockerfile copies, and of the user it runs as: an unchanged edge keeps its
# tag, so a new azd up neither rebuilds it nor restarts the edges (a restart may move a group to a new address).
edge_sources="edge/Dockerfile Directory.Build.props Directory.Packages.props .editorconfig edge/MtaServerless.Edge functions/MtaServerless.Core functions/MtaServerless.Telemetry"
digest() {
  if command -v sha256sum > /dev/null; then sha256sum; else shasum -a 256; fi
}
# shellcheck disable=SC2086 # the list is split into paths on purpose
tag=$(
  {
    echo "run-as-root=$run_as_root"
    find $edge_sources -type f ! -path '*/bin/*' ! -path '*/obj/*' | LC_ALL=C sort | while IFS= read -r file; do
      echo "$file"
      digest < "$file"
    done
  } | digest | cut -c1-16
)
image=mtaserverless-edge:$tag

if az acr repository show --name "$registry" --image "$image" --output none 2> /dev/null; then
  echo "The edge image $image is in $registry already."
elif [ "$run_as_root" = true ]; then
  az acr build --registry "$registry" --image "$image" --file edge/Dockerfile --build-arg EDGE_USER=root .
else
  az acr build --registry "$registry" --image "$image" --file edge/Dockerfile .
fi

azd env set EDGE_IMAGE "$login_server/$image"
