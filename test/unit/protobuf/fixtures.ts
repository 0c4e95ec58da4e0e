/**
 * Objects as a CAPI controller would send them. Each is encoded by client-go
 * (bin/pbencode) in the tests; the JSON here is only the input to client-go.
 */

const metadata = (name: string, namespace?: string): Record<string, unknown> => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: '3c1b6d8e-8a1f-4c0e-9d2a-6f1e2b3c4d5e',
  resourceVersion: '1234',
  generation: 1_099_511_627_776, // 2^40: an int64 beyond 32 bits
  creationTimestamp: '2024-01-02T03:04:05Z',
  labels: { 'cluster.x-k8s.io/cluster-name': 'test-1', app: 'demo' },
  annotations: { 'example.com/note': 'ünïcode ✓' },
  finalizers: ['example.com/cleanup'],
});

/** Every byte value, so base64 of []byte is exercised fully. */
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');

export const secretWithBinaryData = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: metadata('kubeconfig', 'default'),
  type: 'cluster.x-k8s.io/secret',
  data: { value: allBytes, empty: '', 'tls.key': Buffer.from('-----BEGIN KEY-----\n').toString('base64') },
  immutable: false,
};

export const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    ...metadata('kubeadm-config', 'kube-system'),
    ownerReferences: [
      {
        apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2',
        kind: 'KubeadmControlPlane',
        name: 'cp',
        uid: '11111111-2222-3333-4444-555555555555',
        controller: true,
        blockOwnerDeletion: false,
      },
    ],
    managedFields: [
      {
        manager: 'capi-controller',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2024-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:ClusterConfiguration': {} } },
      },
    ],
  },
  data: { ClusterConfiguration: 'apiServer:\n  certSANs: []\n', empty: '' },
  binaryData: { blob: Buffer.from([0, 1, 2, 250, 251, 252]).toString('base64') },
  immutable: true,
};

export const nodeWithStatus = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: metadata('worker-0'),
  spec: {
    podCIDR: '10.244.1.0/24',
    podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    providerID: 'metal3://default/host-0/worker-0',
    unschedulable: true,
    taints: [
      { key: 'node.cluster.x-k8s.io/uninitialized', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoExecute', timeAdded: '2024-01-02T03:04:06Z' },
    ],
  },
  status: {
    capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100G', 'hugepages-2Mi': '0' },
    allocatable: { cpu: '3500m', memory: '15.5Gi', pods: '110' },
    phase: 'Running',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        lastHeartbeatTime: '2024-01-02T03:04:05Z',
        lastTransitionTime: '1970-01-01T00:00:00Z',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
      },
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2024-01-02T03:04:05Z' },
    ],
    addresses: [
      { type: 'InternalIP', address: '192.168.111.20' },
      { type: 'Hostname', address: 'worker-0' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: 'm',
      systemUUID: 's',
      bootID: 'b',
      kernelVersion: '6.1.0',
      osImage: 'Ubuntu 24.04',
      containerRuntimeVersion: 'containerd://1.7.0',
      kubeletVersion: 'v1.34.0',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
    images: [{ names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320368 }],
    volumesInUse: [],
  },
};

const container = {
  name: 'app',
  image: 'registry.example.com/app:v1',
  command: ['/app'],
  args: ['--port=8080', '--verbose'],
  workingDir: '/work',
  ports: [
    { name: 'http', containerPort: 8080, protocol: 'TCP' },
    { containerPort: 9090, hostPort: 0, hostIP: '' },
  ],
  env: [
    { name: 'PLAIN', value: 'x' },
    { name: 'EMPTY', value: '' },
    { name: 'FROM_FIELD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    {
      name: 'FROM_RESOURCE',
      valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
    },
    { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
  ],
  envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cm' } }],
  resources: {
    limits: { cpu: '1', memory: '512Mi' },
    requests: { cpu: '250m', memory: '128974848', 'nvidia.com/gpu': '0' },
  },
  volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true, subPath: 'x' }],
  livenessProbe: {
    httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    failureThreshold: 3,
    terminationGracePeriodSeconds: 0,
  },
  readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1, successThreshold: 1 },
  startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
  lifecycle: { preStop: { sleep: { seconds: 3 } } },
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  imagePullPolicy: 'IfNotPresent',
  securityContext: {
    runAsUser: 0,
    runAsNonRoot: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
  stdin: false,
  tty: false,
};

const podSpec = {
  containers: [container, { name: 'sidecar', image: 'busybox', resources: {} }],
  initContainers: [{ name: 'init', image: 'busybox', restartPolicy: 'Always' }],
  volumes: [
    { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    { name: 'cfg', configMap: { name: 'cm', defaultMode: 420, items: [{ key: 'a', path: 'a.txt', mode: 256 }] } },
    { name: 'sec', secret: { secretName: 's', optional: false } },
    { name: 'host', hostPath: { path: '/var/lib', type: 'DirectoryOrCreate' } },
    {
      name: 'proj',
      projected: {
        sources: [{ serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } }],
      },
    },
  ],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  activeDeadlineSeconds: 600,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'default',
  automountServiceAccountToken: false,
  nodeName: 'worker-0',
  hostNetwork: true,
  securityContext: { runAsUser: 1000, fsGroup: 2000, supplementalGroups: [1, 2, 3], sysctls: [] },
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
        ],
      },
    },
  },
  tolerations: [
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ],
  priorityClassName: 'system-node-critical',
  priority: -5,
  enableServiceLinks: true,
  preemptionPolicy: 'PreemptLowerPriority',
  overhead: { cpu: '10m' },
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {} },
  ],
};

export const fullPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { ...metadata('etcd-cp0', 'kube-system'), deletionTimestamp: '2024-01-02T03:10:00Z', deletionGracePeriodSeconds: 0 },
  spec: podSpec,
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-02T03:04:07Z' },
      { type: 'PodScheduled', status: 'True', observedGeneration: 1 },
    ],
    hostIP: '192.168.111.20',
    hostIPs: [{ ip: '192.168.111.20' }],
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00::5' }],
    startTime: '2024-01-02T03:04:05Z',
    qosClass: 'Burstable',
    containerStatuses: [
      {
        name: 'app',
        state: { running: { startedAt: '2024-01-02T03:04:06Z' } },
        lastState: {
          terminated: {
            exitCode: 137,
            signal: 9,
            reason: 'OOMKilled',
            startedAt: '2024-01-02T03:00:00Z',
            finishedAt: '2024-01-02T03:04:00Z',
            containerID: 'containerd://abc',
          },
        },
        ready: true,
        restartCount: 2,
        image: 'registry.example.com/app:v1',
        imageID: 'sha256:0123',
        containerID: 'containerd://def',
        started: true,
        allocatedResources: { cpu: '250m' },
      },
      {
        name: 'sidecar',
        state: { waiting: { reason: 'ContainerCreating' } },
        ready: false,
        restartCount: 0,
        image: 'busybox',
        imageID: '',
      },
    ],
  },
};

export const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: metadata('web', 'default'),
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    minReadySeconds: 0,
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    paused: false,
  },
  status: {
    observedGeneration: 1,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 2,
    availableReplicas: 2,
    unavailableReplicas: 1,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        lastUpdateTime: '2024-01-02T03:04:05Z',
        lastTransitionTime: '2024-01-02T03:04:05Z',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      },
    ],
  },
};

export const clusterRole = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: metadata('capi-manager'),
  rules: [
    { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['cluster.x-k8s.io'], resources: ['*'], verbs: ['*'], resourceNames: ['a'] },
    { nonResourceURLs: ['/healthz', '/version'], verbs: ['get'] },
  ],
  aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }] },
};

export const clusterRoleBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: metadata('capi-manager'),
  subjects: [
    { kind: 'ServiceAccount', name: 'capi-manager', namespace: 'capi-system' },
    { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'kubernetes-admin' },
  ],
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'capi-manager' },
};

export const role = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: metadata('kubeadm:get-nodes', 'kube-system'),
  rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
};

export const roleBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: metadata('kubeadm:get-nodes', 'kube-system'),
  subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:bootstrappers:kubeadm:default-node-token' }],
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:get-nodes' },
};

export const lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: metadata('controller-leader-election-capi', 'capi-system'),
  spec: {
    holderIdentity: 'manager-0_7d2f',
    leaseDurationSeconds: 15,
    acquireTime: '2024-01-02T03:04:05.000000Z',
    renewTime: '2024-01-02T03:04:05.123456Z',
    leaseTransitions: 0,
  },
};

export const eviction = {
  apiVersion: 'policy/v1',
  kind: 'Eviction',
  metadata: { name: 'etcd-cp0', namespace: 'kube-system' },
  deleteOptions: {
    gracePeriodSeconds: 0,
    preconditions: { uid: '3c1b6d8e-8a1f-4c0e-9d2a-6f1e2b3c4d5e', resourceVersion: '1234' },
    propagationPolicy: 'Background',
    dryRun: ['All'],
  },
};

export const deleteOptions = {
  apiVersion: 'v1',
  kind: 'DeleteOptions',
  gracePeriodSeconds: 30,
  preconditions: { uid: '3c1b6d8e-8a1f-4c0e-9d2a-6f1e2b3c4d5e', resourceVersion: '42' },
  propagationPolicy: 'Foreground',
  orphanDependents: false,
};

export const podDisruptionBudget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: metadata('etcd', 'kube-system'),
  spec: {
    minAvailable: '50%',
    selector: { matchLabels: { component: 'etcd' } },
    unhealthyPodEvictionPolicy: 'AlwaysAllow',
  },
  status: {
    observedGeneration: 3,
    disruptedPods: { 'etcd-cp1': '2024-01-02T03:04:05Z' },
    disruptionsAllowed: 0,
    currentHealthy: 2,
    desiredHealthy: 2,
    expectedPods: 3,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: 'False',
        observedGeneration: 3,
        lastTransitionTime: '2024-01-02T03:04:05Z',
        reason: 'InsufficientPods',
        message: '',
      },
    ],
  },
};

export const podDisruptionBudgetWithMaxUnavailable = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web', namespace: 'default' },
  spec: { maxUnavailable: 1, selector: {} },
};

export const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: metadata('kubernetes', 'default'),
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.1',
    clusterIPs: ['10.96.0.1'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }, { name: 'web', port: 80, targetPort: 'http' }],
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    internalTrafficPolicy: 'Cluster',
  },
  status: { loadBalancer: {} },
};

export const controllerRevision = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: metadata('web-5d4f', 'default'),
  data: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } }, list: [1, 'two', null, true] },
  revision: 7,
};

export const certificateSigningRequest = {
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: metadata('csr-node-worker-0'),
  spec: {
    request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n').toString('base64'),
    signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
    expirationSeconds: 86400,
    usages: ['digital signature', 'client auth'],
    username: 'system:bootstrap:abcdef',
    groups: ['system:bootstrappers', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': ['JTI=1'], empty: [] },
  },
  status: {
    conditions: [
      { type: 'Approved', status: 'True', reason: 'AutoApproved', lastUpdateTime: '2024-01-02T03:04:05Z' },
    ],
    certificate: Buffer.from('cert').toString('base64'),
  },
};

export const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web.17a', namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
  reason: 'Started',
  message: 'Started container web',
  source: { component: 'kubelet', host: 'worker-0' },
  firstTimestamp: '2024-01-02T03:04:05Z',
  lastTimestamp: '2024-01-02T03:04:09Z',
  count: 2,
  type: 'Normal',
  eventTime: '2024-01-02T03:04:05.000001Z',
  series: { count: 2, lastObservedTime: '2024-01-02T03:04:09.500000Z' },
  reportingComponent: 'kubelet',
  reportingInstance: 'worker-0',
};

export const eventsV1Event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'cp.17b', namespace: 'default' },
  eventTime: '2024-01-02T03:04:05.999999Z',
  reportingController: 'cluster.x-k8s.io/kcp',
  reportingInstance: 'kcp-0',
  action: 'Scale',
  reason: 'ScalingUp',
  regarding: { kind: 'KubeadmControlPlane', name: 'cp', namespace: 'default' },
  note: 'scaling up to 3',
  type: 'Normal',
  deprecatedCount: 0,
};

export const endpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: metadata('kubernetes', 'default'),
  addressType: 'IPv4',
  endpoints: [
    {
      addresses: ['192.168.111.20'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'cp0',
      zone: 'a',
      hints: { forZones: [{ name: 'a' }] },
    },
  ],
  ports: [{ name: 'https', port: 6443, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' }],
};

export const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: metadata('db', 'default'),
  spec: {
    replicas: 1,
    serviceName: 'db',
    selector: { matchLabels: { app: 'db' } },
    template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'standard' },
      },
    ],
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: '10%' } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
    ordinals: { start: 0 },
  },
};

export const customResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                properties: {
                  replicas: { type: 'integer', format: 'int32', minimum: 0, maximum: 10.5, default: 1 },
                  port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  mode: { type: 'string', enum: ['a', 'b'] },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  extra: { type: 'object', additionalProperties: { type: 'string' } },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, additionalProperties: false },
                },
                'x-kubernetes-validations': [{ rule: 'self.replicas >= 0', message: 'no negatives' }],
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
    conversion: { strategy: 'None' },
  },
};

export const podList = {
  apiVersion: 'v1',
  kind: 'PodList',
  metadata: { resourceVersion: '99', continue: 'abc', remainingItemCount: 5 },
  items: [
    { metadata: { name: 'a', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    { metadata: { name: 'b', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  ],
};
