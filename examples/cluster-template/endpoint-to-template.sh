#!/usr/bin/env bash
# From a FakeAPIServer's .status.endpoint to a cluster template: the endpoint is the control
# plane endpoint CAPI writes into the Cluster and the kubeconfig it generates.
# Usage: examples/cluster-template/endpoint-to-template.sh CLUSTER [NAMESPACE] [TEMPLATE]
#   needs kubectl (current context: the management cluster) and clusterctl on the PATH.
set -euo pipefail
cluster=${1:?usage: $0 CLUSTER [NAMESPACE] [TEMPLATE]}
namespace=${2:-default}
template=${3:-$(dirname "$0")/cluster-template.yaml}

# 1. The FakeAPIServer for the cluster (the operator creates <cluster>-ca and <cluster>-etcd, CAPI adopts them).
kubectl apply -f - <<YAML
apiVersion: fkas.metal3.io/v1alpha1
kind: FakeAPIServer
metadata:
  name: ${cluster}
  namespace: ${namespace}
spec:
  kubernetesVersion: v1.32.0
YAML
kubectl -n "$namespace" wait --for=condition=Ready "fas/$cluster" --timeout=60s

# 2. Its endpoint, into the variables cluster templates read.
CLUSTER_APIENDPOINT_HOST=$(kubectl -n "$namespace" get fas "$cluster" -o jsonpath='{.status.endpoint.host}')
CLUSTER_APIENDPOINT_PORT=$(kubectl -n "$namespace" get fas "$cluster" -o jsonpath='{.status.endpoint.port}')
export CLUSTER_APIENDPOINT_HOST CLUSTER_APIENDPOINT_PORT
echo "control plane endpoint: https://$CLUSTER_APIENDPOINT_HOST:$CLUSTER_APIENDPOINT_PORT" >&2

# 3. The cluster, rendered with them.
clusterctl generate cluster "$cluster" --target-namespace "$namespace" --kubernetes-version v1.32.0 \
  --control-plane-machine-count 1 --worker-machine-count 1 --from "$template"
