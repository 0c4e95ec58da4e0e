import type { KubeClient, ResourcePath } from '../../src/operator/kube/client.js';

/**
 * BareMetalHosts, Metal3Machines, CAPI Machines and Clusters shaped the way
 * baremetal-operator, CAPM3 and CAPI write them, so reconciler specs can walk
 * them through a provisioning lifecycle without those controllers.
 */

export const BMH = { apiVersion: 'metal3.io/v1alpha1', plural: 'baremetalhosts' } as const;
export const M3M = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', plural: 'metal3machines' } as const;
export const MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machines' } as const;
export const CLUSTER = { apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'clusters' } as const;
export const FAKE_NODES = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes' } as const;
export const FAKE_API_SERVERS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers' } as const;

export interface Meta {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
}

export const at = (kind: { apiVersion: string; plural: string }, namespace: string, name?: string): ResourcePath => ({ ...kind, namespace, ...(name ? { name } : {}) });

/** A host as BMO registers it: inspected and available, nobody's. */
export async function createHost(client: KubeClient, namespace: string, name: string): Promise<{ metadata: Meta }> {
  const host = await client.create<{ metadata: Meta }>(at(BMH, namespace), {
    apiVersion: BMH.apiVersion,
    kind: 'BareMetalHost',
    metadata: { name, namespace },
    spec: { online: true, bootMACAddress: '00:5c:52:31:3a:9c', bmc: { address: `redfish+http://192.168.111.1:8000/redfish/v1/Systems/${name}`, credentialsName: `${name}-bmc-secret` } },
  });
  await setHostState(client, namespace, name, 'available');
  return host;
}

/** What BMO writes to status.provisioning.state as it works (status is a subresource). */
export async function setHostState(client: KubeClient, namespace: string, name: string, state: string): Promise<void> {
  await client.patch({ ...at(BMH, namespace, name), subresource: 'status' }, 'merge', {
    status: { errorCount: 0, errorMessage: '', operationalStatus: 'OK', poweredOn: state !== 'available', provisioning: { ID: `ironic-${name}`, state } },
  });
}

/** CAPM3 choosing a host for a Metal3Machine: consumerRef and an image to deploy. */
export async function claimHost(client: KubeClient, namespace: string, host: string, m3m: string, consumerKind = 'Metal3Machine'): Promise<void> {
  await client.patch(at(BMH, namespace, host), 'merge', {
    spec: {
      consumerRef: { apiVersion: M3M.apiVersion, kind: consumerKind, name: m3m, namespace },
      image: { url: 'http://172.22.0.1/images/node.qcow2', checksum: 'http://172.22.0.1/images/node.qcow2.sha256sum', checksumType: 'sha256' },
    },
  });
}

/** CAPM3 releasing a host after deprovisioning. */
export async function releaseHost(client: KubeClient, namespace: string, host: string): Promise<void> {
  await client.patch(at(BMH, namespace, host), 'merge', { spec: { consumerRef: null, image: null } });
}

export async function createMachine(
  client: KubeClient,
  namespace: string,
  name: string,
  opts: { cluster: string; controlPlane?: boolean; version?: string; infrastructure?: { kind: string; name: string; apiGroup: string } },
): Promise<{ metadata: Meta }> {
  const labels: Record<string, string> = { 'cluster.x-k8s.io/cluster-name': opts.cluster, ...(opts.controlPlane ? { 'cluster.x-k8s.io/control-plane': '' } : {}) };
  return client.create(at(MACHINE, namespace), {
    apiVersion: MACHINE.apiVersion,
    kind: 'Machine',
    metadata: { name, namespace, labels },
    spec: {
      clusterName: opts.cluster,
      version: opts.version ?? 'v1.33.1',
      bootstrap: { dataSecretName: `${name}-bootstrap` },
      infrastructureRef: opts.infrastructure ?? { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'Metal3Machine', name },
    },
  });
}

/** CAPI copying the infrastructure machine's readiness and providerID onto the Machine. */
export async function machineProvisioned(client: KubeClient, namespace: string, name: string, providerID?: string): Promise<void> {
  if (providerID) await client.patch(at(MACHINE, namespace, name), 'merge', { spec: { providerID } });
  await client.patch({ ...at(MACHINE, namespace, name), subresource: 'status' }, 'merge', { status: { initialization: { infrastructureProvisioned: true } } });
}

/** A Metal3Machine as CAPI's MachineSet/KCP creates it from a template: labelled, owned by its Machine. */
export async function createMetal3Machine(client: KubeClient, namespace: string, name: string, machine: { metadata: Meta } | undefined, cluster: string, controlPlane = false): Promise<{ metadata: Meta }> {
  return client.create(at(M3M, namespace), {
    apiVersion: M3M.apiVersion,
    kind: 'Metal3Machine',
    metadata: {
      name,
      namespace,
      labels: { 'cluster.x-k8s.io/cluster-name': cluster, ...(controlPlane ? { 'cluster.x-k8s.io/control-plane': '' } : {}) },
      ...(machine ? { ownerReferences: [{ apiVersion: MACHINE.apiVersion, kind: 'Machine', name: machine.metadata.name, uid: machine.metadata.uid, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: { image: { url: 'http://172.22.0.1/images/node.qcow2', checksum: 'http://172.22.0.1/images/node.qcow2.sha256sum', checksumType: 'sha256' } },
  });
}
