import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { KubeClient } from '../../../src/operator/kube/client.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { CHART, find, helmTemplate, idOf, kustomize, permissions, sh, SYSTEM_NAMESPACE, type PolicyRule } from './support.js';

/**
 * What users install: config/ (kustomize), the rendered k8s/*.yaml, and the
 * Helm chart. They render, a real kube-apiserver accepts them (server-side
 * dry run), the checked-in files are what `make manifests` makes, and the
 * chart renders the same objects and RBAC as kustomize.
 */

const RBAC_KINDS = ['ClusterRole', 'Role'];
const BINDING_KINDS = ['ClusterRoleBinding', 'RoleBinding'];
const DEPLOYMENT = 'metal3-fkas-controller-manager';

type PodSpec = { containers: { args: string[]; image: string }[] } & Record<string, unknown>;
type DeploymentSpec = { selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
const deploymentSpec = (objects: readonly KubeObject[]): DeploymentSpec => find(objects, 'Deployment', DEPLOYMENT).spec as DeploymentSpec;
const podSpec = (objects: readonly KubeObject[]): PodSpec => deploymentSpec(objects).template.spec;

const SERVICE_SELECTOR_FLAG = '--service-selector=';
/** The operator's --service-selector as labels: it must name the pods its own Deployment selects. */
const serviceSelector = (spec: PodSpec): Record<string, string> =>
  Object.fromEntries(
    (spec.containers[0]!.args.find((a) => a.startsWith(SERVICE_SELECTOR_FLAG)) ?? SERVICE_SELECTOR_FLAG)
      .slice(SERVICE_SELECTOR_FLAG.length)
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
/** The pod spec but for --service-selector: the chart's selector also names its release (chart-releases.test.ts). */
const withoutServiceSelector = (spec: PodSpec): PodSpec => ({
  ...spec,
  containers: spec.containers.map((c) => ({ ...c, args: c.args.filter((a) => !a.startsWith(SERVICE_SELECTOR_FLAG)) })),
});

/** The kustomize objects the chart must also render: all but the Namespace (Helm installs into one: `--create-namespace`). */
const chartCounterparts = (objects: readonly KubeObject[]): KubeObject[] => objects.filter((o) => o.kind !== 'Namespace');

function expectSameObjects(chart: readonly KubeObject[], kustomized: readonly KubeObject[]): void {
  expect(chart.map(idOf).sort()).to.deep.equal(chartCounterparts(kustomized).map(idOf).sort());
  for (const k of kustomized) {
    const c = chart.find((o) => idOf(o) === idOf(k));
    if (RBAC_KINDS.includes(k.kind!)) {
      expect(permissions((c as unknown as { rules: PolicyRule[] }).rules), `${idOf(k)} rules`).to.deep.equal(
        permissions((k as unknown as { rules: PolicyRule[] }).rules),
      );
      expect(c!.metadata.labels ?? {}, `${idOf(k)} aggregation labels`).to.include(
        Object.fromEntries(Object.entries(k.metadata.labels ?? {}).filter(([l]) => l.startsWith('rbac.authorization.k8s.io/'))),
      );
    }
    if (BINDING_KINDS.includes(k.kind!)) {
      const pick = (o: KubeObject): unknown => ({ roleRef: (o as { roleRef?: unknown }).roleRef, subjects: (o as { subjects?: unknown }).subjects });
      expect(pick(c!), `${idOf(k)} roleRef and subjects`).to.deep.equal(pick(k));
    }
    if (k.kind === 'CustomResourceDefinition') expect(c!.spec, `${idOf(k)} schema`).to.deep.equal(k.spec);
  }
  expect(withoutServiceSelector(podSpec(chart)), 'the operator pod spec').to.deep.equal(withoutServiceSelector(podSpec(kustomized)));
  for (const [what, objects] of [
    ['chart', chart],
    ['kustomize', kustomized],
  ] as const) {
    expect(serviceSelector(podSpec(objects)), `${what}: --service-selector is the Deployment's selector`).to.deep.equal(
      deploymentSpec(objects).selector.matchLabels,
    );
  }
}

describe('shipping manifests: kustomize config/, k8s/*.yaml and the Helm chart', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane | undefined;
  let admin: KubeClient;
  let defaultObjects: KubeObject[] = [];
  let metal3Objects: KubeObject[] = [];
  let fileStoreObjects: KubeObject[] = [];
  let etcdStoreObjects: KubeObject[] = [];

  before(async () => {
    // The chart specs need helm: built once from its Go module, then copied from the tools cache.
    await sh('bash', [join(REPO_ROOT, 'hack/tools/helm.sh')]);
    [defaultObjects, metal3Objects, fileStoreObjects, etcdStoreObjects] = await Promise.all([
      kustomize('default'),
      kustomize('metal3'),
      kustomize('file-store'),
      kustomize('etcd-store'),
    ]);
    cp = await startControlPlane();
    admin = KubeClient.fromFile(cp.kubeconfigPath);
  });
  after(async () => {
    admin?.close();
    await cp?.stop();
  });

  const dryRun = (objects: readonly KubeObject[]): Promise<string> =>
    sh('kubectl', ['--kubeconfig', cp!.kubeconfigPath, 'apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: objects.map((o) => JSON.stringify(o)).join('\n'),
    });

  describe('kustomize', () => {
    it('renders config/default: the CRDs, the operator identity and roles, and its Deployment', () => {
      expect(defaultObjects.map(idOf)).to.include.members([
        'Namespace/metal3-fkas-system',
        'CustomResourceDefinition/fakeapiservers.fkas.metal3.io',
        'CustomResourceDefinition/fakenodes.fkas.metal3.io',
        `ServiceAccount/${SYSTEM_NAMESPACE}/metal3-fkas-controller-manager`,
        'ClusterRole/metal3-fkas-manager-role',
        'ClusterRoleBinding/metal3-fkas-manager-rolebinding',
        `Role/${SYSTEM_NAMESPACE}/metal3-fkas-leader-election-role`,
        `RoleBinding/${SYSTEM_NAMESPACE}/metal3-fkas-leader-election-rolebinding`,
        'ClusterRole/metal3-fkas-admin-role',
        'ClusterRole/metal3-fkas-editor-role',
        'ClusterRole/metal3-fkas-viewer-role',
        `Deployment/${SYSTEM_NAMESPACE}/${DEPLOYMENT}`,
      ]);
      const pod = podSpec(defaultObjects);
      expect(pod.containers[0]!.args).to.include.members(['operator', '--leader-elect']);
      expect(JSON.stringify(pod)).to.include('"fieldPath":"status.podIP"');
    });

    it('renders config/metal3: the default plus --metal3-reconciler and its ClusterRole bound to the operator', () => {
      expect(metal3Objects.map(idOf).sort()).to.deep.equal(
        [...defaultObjects.map(idOf), 'ClusterRoleBinding/metal3-fkas-metal3-reconciler-rolebinding'].sort(),
      );
      expect(podSpec(metal3Objects).containers[0]!.args).to.include('--metal3-reconciler');
      expect(podSpec(defaultObjects).containers[0]!.args).to.not.include('--metal3-reconciler');
    });

    it('renders config/file-store: the default plus --store file: on a PersistentVolumeClaim, recreated rather than rolled', () => {
      expect(fileStoreObjects.map(idOf).sort()).to.deep.equal(
        [...defaultObjects.map(idOf), `PersistentVolumeClaim/${SYSTEM_NAMESPACE}/metal3-fkas-store`].sort(),
      );
      const pod = podSpec(fileStoreObjects);
      expect(pod.containers[0]!.args).to.include('--store=file:/var/lib/fkas');
      expect(JSON.stringify(pod.volumes)).to.include('"claimName":"metal3-fkas-store"');
      expect(JSON.stringify(pod.containers[0])).to.include('"mountPath":"/var/lib/fkas"');
      expect((find(fileStoreObjects, 'Deployment', DEPLOYMENT) as unknown as { spec: { strategy: unknown } }).spec.strategy).to.deep.equal({
        type: 'Recreate',
      });
      expect(podSpec(defaultObjects).containers[0]!.args.some((a) => a.startsWith('--store'))).to.equal(false);
    });

    it('renders config/etcd-store: the default plus --store etcd: with the client certificate files of a mounted Secret', () => {
      expect(etcdStoreObjects.map(idOf).sort()).to.deep.equal(defaultObjects.map(idOf).sort());
      const pod = podSpec(etcdStoreObjects);
      expect(pod.containers[0]!.args).to.include.members([
        '--store=etcd:https://etcd.metal3-fkas-system.svc:2379',
        '--etcd-cafile=/etc/fkas/etcd/ca.crt',
        '--etcd-certfile=/etc/fkas/etcd/tls.crt',
        '--etcd-keyfile=/etc/fkas/etcd/tls.key',
      ]);
      expect(pod.volumes).to.deep.include({ name: 'etcd-client', secret: { secretName: 'metal3-fkas-etcd-client' } });
      expect(JSON.stringify(pod.containers[0])).to.include('"mountPath":"/etc/fkas/etcd"');
    });

    it('takes the CRDs from crds/ unchanged (the single source of truth)', async () => {
      const files = (await readdir(join(REPO_ROOT, 'crds'))).filter((n) => n.endsWith('.yaml'));
      const sources = await Promise.all(files.map(async (n) => load(await readFile(join(REPO_ROOT, 'crds', n), 'utf8')) as KubeObject));
      const rendered = await kustomize('crd');
      expect(rendered.map((o) => o.spec)).to.have.deep.members(sources.map((o) => o.spec));
    });

    it('keeps config/samples a plain folder: `kubectl apply -f config/samples/` must not meet a kustomization.yaml', async () => {
      expect(await readdir(join(REPO_ROOT, 'config/samples'))).to.not.include('kustomization.yaml');
    });

    it('has k8s/*.yaml and the chart CRDs as `make manifests` renders them', async () => {
      await sh('bash', [join(REPO_ROOT, 'hack/manifests.sh'), '--check']);
    });
  });

  describe('a real kube-apiserver accepts them (server-side dry run)', () => {
    before(async () => {
      // A dry run creates nothing, so namespaced objects need their namespace for real.
      await admin.create({ apiVersion: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } });
    });

    it('config/default', async () => {
      expect(await dryRun(defaultObjects)).to.include(`deployment.apps/${DEPLOYMENT} serverside-applied (server dry run)`);
    });
    it('config/file-store', async () => {
      expect(await dryRun(fileStoreObjects)).to.include(`persistentvolumeclaim/metal3-fkas-store serverside-applied (server dry run)`);
    });
    it('config/etcd-store', async () => {
      expect(await dryRun(etcdStoreObjects)).to.include(`deployment.apps/${DEPLOYMENT} serverside-applied (server dry run)`);
    });
    it('config/metal3', async () => {
      expect(await dryRun(metal3Objects)).to.include(
        'clusterrolebinding.rbac.authorization.k8s.io/metal3-fkas-metal3-reconciler-rolebinding serverside-applied (server dry run)',
      );
    });
    it('the Helm chart, with every switch on', async () => {
      const out = await dryRun(
        await helmTemplate([
          'metal3Reconciler.enabled=true',
          'machineNodes.enabled=true',
          'replicaCount=2',
          'extraArgs[0]=--concurrency=4',
          'sharding.enabled=true',
          'store.type=etcd',
          'store.etcd.endpoints={https://etcd-0.etcd:2379}',
        ]),
      );
      expect(out).to.include(`deployment.apps/${DEPLOYMENT} serverside-applied (server dry run)`);
      expect(out).to.include('clusterrole.rbac.authorization.k8s.io/metal3-fkas-sharding-role serverside-applied (server dry run)');
    });
  });

  describe('the Helm chart', () => {
    it('passes helm lint', async () => {
      expect(await sh(join(REPO_ROOT, 'bin/helm'), ['lint', CHART])).to.include('0 chart(s) failed');
    });
    it('renders the objects of config/default with its default values (kinds, names, RBAC rules, bindings, pod spec)', async () => {
      expectSameObjects(await helmTemplate(), defaultObjects);
    });
    it('renders the objects of config/metal3 with metal3Reconciler.enabled=true', async () => {
      expectSameObjects(await helmTemplate(['metal3Reconciler.enabled=true']), metal3Objects);
    });
    it('renders the objects of config/file-store with store.type=file', async () => {
      expectSameObjects(await helmTemplate(['store.type=file']), fileStoreObjects);
    });
    it('renders the objects of config/etcd-store with store.type=etcd, its endpoints and certSecret', async () => {
      expectSameObjects(
        await helmTemplate([
          'store.type=etcd',
          'store.etcd.endpoints[0]=https://etcd.metal3-fkas-system.svc:2379',
          'store.etcd.certSecret=metal3-fkas-etcd-client',
        ]),
        etcdStoreObjects,
      );
    });
    it('refuses store.type=etcd without endpoints, and a store.type it does not know, saying which value to set', async () => {
      const err = await helmTemplate(['store.type=etcd']).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.include('store.etcd.endpoints');
      const unknown = await helmTemplate(['store.type=sqlite']).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(unknown?.message).to.include('store.type sqlite is not one of memory, file, etcd');
    });
    it('runs the replicas as shard members with sharding.enabled: --sharding under the pod name, member Leases and EndpointSlices granted', async () => {
      const objects = await helmTemplate(['sharding.enabled=true', 'replicaCount=3', 'store.type=etcd', 'store.etcd.endpoints={https://etcd-0.etcd:2379}']);
      const c = podSpec(objects).containers[0]! as unknown as { args: string[]; env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] };
      expect(c.args).to.include('--sharding').and.not.include('--leader-elect');
      expect(c.env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal('metadata.name');
      const leases = find(objects, 'Role', 'metal3-fkas-sharding-role') as unknown as { rules: PolicyRule[] };
      expect(leases.rules).to.deep.equal([
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
      ]);
      const slices = find(objects, 'ClusterRole', 'metal3-fkas-sharding-role') as unknown as { rules: PolicyRule[] };
      expect(slices.rules).to.deep.equal([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'create', 'patch', 'delete'] }]);
      for (const kind of BINDING_KINDS)
        expect((find(objects, kind, 'metal3-fkas-sharding-rolebinding') as unknown as { roleRef: { name: string } }).roleRef.name).to.equal(
          'metal3-fkas-sharding-role',
        );
    });
    it('refuses sharding with several replicas on a store the replicas cannot share, saying which to use', async () => {
      const err = await helmTemplate(['sharding.enabled=true', 'replicaCount=2']).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.include('needs store.type=etcd');
      const single = await helmTemplate(['sharding.enabled=true']);
      expect(podSpec(single).containers[0]!.args).to.include('--sharding');
    });
    it('binds the machine-nodes reconciler role and passes --machine-nodes with machineNodes.enabled=true', async () => {
      const objects = await helmTemplate(['machineNodes.enabled=true', 'machineNodes.capiApiVersion=v1beta1']);
      const binding = find(objects, 'ClusterRoleBinding', 'metal3-fkas-machine-reconciler-rolebinding') as unknown as { roleRef: { name: string } };
      expect(binding.roleRef.name).to.equal('metal3-fkas-machine-reconciler');
      expect(podSpec(objects).containers[0]!.args).to.include.members(['--machine-nodes', '--capi-api-version=v1beta1']);
    });
    it('renders the metrics Service, ServiceMonitor and Grafana dashboard ConfigMap only when asked, and passes --request-metrics', async () => {
      const none = await helmTemplate();
      expect(none.filter((o) => ['ServiceMonitor', 'ConfigMap'].includes(o.kind!) || o.metadata.name?.endsWith('-metrics'))).to.deep.equal([]);
      const objects = await helmTemplate([
        'metrics.serviceMonitor.enabled=true',
        'metrics.serviceMonitor.labels.release=prom',
        'metrics.dashboard.enabled=true',
        'requestMetrics=aggregate',
      ]);
      const service = find(objects, 'Service', 'metal3-fkas-metrics') as unknown as {
        spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
      };
      const deployment = deploymentSpec(objects) as unknown as { selector: { matchLabels: Record<string, string> } };
      expect(service.spec.selector).to.deep.equal(deployment.selector.matchLabels);
      expect(service.spec.ports).to.deep.include({ name: 'metrics', port: 8081, targetPort: 'probes', protocol: 'TCP' });
      const monitor = find(objects, 'ServiceMonitor', 'metal3-fkas') as unknown as {
        metadata: { labels: Record<string, string> };
        spec: { endpoints: { port: string; path: string }[] };
      };
      expect(monitor.metadata.labels.release).to.equal('prom');
      expect(monitor.spec.endpoints[0]).to.include({ port: 'metrics', path: '/metrics' });
      const dashboard = find(objects, 'ConfigMap', 'metal3-fkas-dashboard') as unknown as {
        metadata: { labels: Record<string, string> };
        data: Record<string, string>;
      };
      expect(dashboard.metadata.labels.grafana_dashboard).to.equal('1');
      expect(JSON.parse(dashboard.data['metal3-fkas.json']!)).to.deep.equal(JSON.parse(readFileSync(join(CHART, 'dashboards/metal3-fkas.json'), 'utf8')));
      expect(podSpec(objects).containers[0]!.args).to.include('--request-metrics=aggregate');
    });
    it('follows values for the image, replicas, leader election, port range and exposure', async () => {
      const objects = await helmTemplate([
        'image.repository=example.com/fkas',
        'image.tag=v9',
        'replicaCount=3',
        'leaderElection.enabled=false',
        'portRange=30000-30099',
        'exposure.serviceSelector=false',
      ]);
      const deployment = find(objects, 'Deployment', DEPLOYMENT) as unknown as { spec: { replicas: number } };
      expect(deployment.spec.replicas).to.equal(3);
      const c = podSpec(objects).containers[0]!;
      expect(c.image).to.equal('example.com/fkas:v9');
      expect(c.args).to.deep.equal(['operator', '--port-range=30000-30099']);
    });
  });
});
