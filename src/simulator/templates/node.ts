import type { KubeObject } from '../store/object.js';

/**
 * What a registered node looks like to clients: Ready, no pressure, a
 * kubelet of the cluster's version, addresses and capacity. The operator
 * layers roles, static pods and etcd members on top.
 */
export interface NodeSpec {
  readonly name: string;
  readonly providerID?: string;
  /** systemUUID reported in nodeInfo. */
  readonly uuid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly taints?: readonly Record<string, string>[];
  readonly kubeletVersion: string;
  readonly ready?: boolean;
  readonly internalIP?: string;
}

/** Capacity every fake node reports; big enough that nothing a test schedules is refused. */
const NODE_CAPACITY = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi', 'hugepages-2Mi': '0' } as const;
const NODE_INFO = {
  architecture: 'amd64',
  operatingSystem: 'linux',
  osImage: 'Fake OS (metal3-fkas)',
  kernelVersion: '6.1.0-fake',
  containerRuntimeVersion: 'containerd://1.7.0-fake',
} as const;

export function nodeObject(spec: NodeSpec, now: string): KubeObject {
  const ready = spec.ready ?? true;
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': NODE_INFO.operatingSystem,
        'kubernetes.io/arch': NODE_INFO.architecture,
        'beta.kubernetes.io/os': NODE_INFO.operatingSystem,
        'beta.kubernetes.io/arch': NODE_INFO.architecture,
        ...spec.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...spec.annotations },
    },
    spec: {
      ...(spec.providerID ? { providerID: spec.providerID } : {}),
      ...(spec.taints?.length ? { taints: spec.taints } : {}),
    },
    status: {
      capacity: { ...NODE_CAPACITY },
      allocatable: { ...NODE_CAPACITY },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', 'False', 'KubeletNotReady', 'kubelet is not ready (set by the fake node)'),
      ],
      addresses: [
        ...(spec.internalIP ? [{ type: 'InternalIP', address: spec.internalIP }] : []),
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: (spec.uuid ?? spec.name).replaceAll('-', ''),
        systemUUID: spec.uuid ?? '',
        bootID: spec.uuid ?? spec.name,
        kernelVersion: NODE_INFO.kernelVersion,
        osImage: NODE_INFO.osImage,
        containerRuntimeVersion: NODE_INFO.containerRuntimeVersion,
        kubeletVersion: spec.kubeletVersion,
        kubeProxyVersion: spec.kubeletVersion,
        operatingSystem: NODE_INFO.operatingSystem,
        architecture: NODE_INFO.architecture,
      },
    },
  };
}
