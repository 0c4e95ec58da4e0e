import { storageKey } from '../../../simulator/kinds/registry.js';
import type { KubeObject } from '../../../simulator/store/object.js';
import { writeOwned } from './controller-writes.js';
import { KUBE_DNS, KUBE_SYSTEM, nodeNameOf, type Obj, type Settling } from './settling.js';

/**
 * The kube-dns Service's EndpointSlice and Endpoints, as the endpoint
 * controllers keep them: the addresses of the Running coredns Pods the
 * CoreDNS step left. Nothing without a coredns Deployment or a kube-dns
 * Service.
 */

/** The label EndpointSlices carry for their Service, and the controller that manages them. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
const ENDPOINTS_CONTROLLER = 'endpoint-controller';

export function ensureDnsEndpoints(s: Settling): void {
  const { cluster, kinds, now } = s;
  if (!s.dnsPods) return;
  const service = cluster.resources.find(kinds.service, KUBE_SYSTEM, KUBE_DNS);
  if (!service) return;
  const ports = (((service.spec as Obj | undefined)?.ports ?? []) as Obj[]).map((p) => ({ name: p.name ?? '', port: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' }));
  const pods = [...s.dnsPods].sort((a, b) => String((a.status as Obj).podIP).localeCompare(String((b.status as Obj).podIP)));
  const existing = cluster.resources.store
    .list(storageKey(kinds.endpointSlice), KUBE_SYSTEM)
    .map((e) => e.object)
    .find((o) => o.metadata.labels?.[SERVICE_NAME_LABEL] === KUBE_DNS);
  // Strings of this cluster's own (the Service's uid, the Pods' names, uids and nodes): the field sets are shared.
  const own = [service.metadata.uid, ...pods.flatMap((p) => [p.metadata.name, p.metadata.uid, nodeNameOf(p)])].filter((v): v is string => typeof v === 'string');
  writeOwned(cluster, kinds.endpointSlice, existing, endpointSlice(service, pods, ports), now, own);
  writeOwned(cluster, kinds.endpoints, cluster.resources.find(kinds.endpoints, KUBE_SYSTEM, KUBE_DNS), endpoints(service, pods, ports), now, own);
}

interface Port {
  readonly name: unknown;
  readonly port: unknown;
  readonly protocol: unknown;
}

function targetRef(pod: KubeObject): Obj {
  return { kind: 'Pod', namespace: KUBE_SYSTEM, name: pod.metadata.name, uid: pod.metadata.uid };
}

function endpointSlice(service: KubeObject, pods: readonly KubeObject[], ports: readonly Port[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${KUBE_DNS}-`,
      namespace: KUBE_SYSTEM,
      labels: { ...service.metadata.labels, [MANAGED_BY_LABEL]: ENDPOINTSLICE_CONTROLLER, [SERVICE_NAME_LABEL]: KUBE_DNS },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: KUBE_DNS, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: pods.map((p) => ({
      addresses: [(p.status as Obj).podIP],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: nodeNameOf(p),
      targetRef: targetRef(p),
    })),
    ports: [...ports].sort((a, b) => String(a.name).localeCompare(String(b.name))),
  };
}

function endpoints(service: KubeObject, pods: readonly KubeObject[], ports: readonly Port[]): KubeObject {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBE_DNS, namespace: KUBE_SYSTEM, labels: { ...service.metadata.labels, [ENDPOINTS_MANAGED_BY_LABEL]: ENDPOINTS_CONTROLLER } },
  };
  // No Running Pod: an Endpoints without subsets, as the controller writes it.
  if (pods.length) {
    object.subsets = [{ addresses: pods.map((p) => ({ ip: (p.status as Obj).podIP, nodeName: nodeNameOf(p), targetRef: targetRef(p) })), ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })) }];
  }
  return object;
}
