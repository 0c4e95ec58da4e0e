import { expect } from 'chai';
import { statusErrorOf } from '../../support/status-error.js';
import { FakeCluster } from '../../../src/simulator/cluster.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';

/** Kubernetes object semantics of a fake cluster's store, without HTTP. */
describe('the resource store follows kube-apiserver semantics', () => {
  let cluster: FakeCluster;
  const cm = (name: string, data: Record<string, string> = {}, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...extra }, data,
  });
  const configmaps = () => cluster.kind('', 'v1', 'configmaps');
  const deployments = () => cluster.kind('apps', 'v1', 'deployments');
  const status = statusErrorOf;

  beforeEach(() => {
    cluster = new FakeCluster({ name: 'c', kubernetesVersion: 'v1.32.1', advertiseHost: '127.0.0.1', now: () => new Date('2026-01-01T00:00:00Z') });
  });

  it('starts with the namespaces kubeadm creates', () => {
    const names = cluster.resources.store.list('/namespaces').map((e) => e.object.metadata.name);
    expect(names).to.deep.equal(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  it('assigns uid, creationTimestamp, a growing resourceVersion, and generation only to kinds that track it', () => {
    const a = cluster.resources.create(configmaps(), 'default', cm('a'));
    const b = cluster.resources.create(configmaps(), 'default', cm('b'));
    expect(a.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).to.equal('2026-01-01T00:00:00Z');
    expect(a.metadata.generation, 'a ConfigMap has no generation in kube-apiserver').to.equal(undefined);
    expect(Number(b.metadata.resourceVersion)).to.be.greaterThan(Number(a.metadata.resourceVersion));
    const d = cluster.resources.create(deployments(), 'default', { metadata: { name: 'd' }, spec: { replicas: 1 } });
    expect(d.metadata.generation).to.equal(1);
  });

  it('records the writer of an API write in managedFields (Update), and takes changed fields from other managers', () => {
    const created = cluster.resources.create(configmaps(), 'default', cm('m', { a: '1' }, { labels: { app: 'x' } }), { manager: 'alice' });
    expect(created.metadata.managedFields).to.deep.equal([
      { manager: 'alice', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } },
    ]);
    const next = { ...created, data: { a: '2', b: '3' } };
    const updated = cluster.resources.update(configmaps(), 'default', 'm', next, { manager: 'bob' });
    const owners = Object.fromEntries((updated.metadata.managedFields as { manager: string; fieldsV1: unknown }[]).map((e) => [e.manager, e.fieldsV1]));
    expect(owners).to.deep.equal({
      alice: { 'f:data': {}, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      bob: { 'f:data': { 'f:a': {}, 'f:b': {} } },
    });
    const internal = cluster.resources.create(configmaps(), 'default', cm('internal', { a: '1' }));
    expect(internal.metadata.managedFields, 'writes of the simulator itself record no manager').to.equal(undefined);
  });

  it('refuses a duplicate with AlreadyExists and a missing namespace with NotFound', () => {
    cluster.resources.create(configmaps(), 'default', cm('a'));
    expect(status(() => cluster.resources.create(configmaps(), 'default', cm('a'))).reason).to.equal('AlreadyExists');
    const e = status(() => cluster.resources.create(configmaps(), 'nowhere', { metadata: { name: 'x' } }));
    expect([e.code, e.message]).to.deep.equal([404, 'namespaces "nowhere" not found']);
  });

  it('refuses invalid names with 422 and stores nothing', () => {
    const before = cluster.resources.store.resourceVersion;
    for (const name of ['Upper', '-lead', 'a'.repeat(254), 'under_score']) {
      const e = status(() => cluster.resources.create(configmaps(), 'default', cm(name)));
      expect(e.code, name).to.equal(422);
      expect(e.details?.causes?.[0]?.field).to.equal('metadata.name');
    }
    expect(cluster.resources.store.resourceVersion).to.equal(before);
  });

  it('generates names from generateName', () => {
    const o = cluster.resources.create(configmaps(), 'default', { metadata: { generateName: 'job-' } });
    expect(o.metadata.name).to.match(/^job-[a-z0-9]{5}$/);
  });

  it('detects stale writes with 409 Conflict and takes an empty resourceVersion as unconditional', () => {
    const a = cluster.resources.create(configmaps(), 'default', cm('a', { k: '1' }));
    cluster.resources.update(configmaps(), 'default', 'a', { ...cm('a', { k: '2' }), metadata: { ...a.metadata } });
    const e = status(() => cluster.resources.update(configmaps(), 'default', 'a', { ...cm('a', { k: '3' }), metadata: { ...a.metadata } }));
    expect(e.code).to.equal(409);
    expect(e.message).to.contain('the object has been modified');
    const u = cluster.resources.update(configmaps(), 'default', 'a', cm('a', { k: '4' }, { resourceVersion: '' }));
    expect(u.data).to.deep.equal({ k: '4' });
  });

  it('bumps generation only when the spec changes, and keeps no-op writes at the same resourceVersion', () => {
    const d = cluster.resources.create(deployments(), 'default', { metadata: { name: 'd' }, spec: { replicas: 1 } });
    const labelled = cluster.resources.update(deployments(), 'default', 'd', { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 1 } });
    expect(labelled.metadata.generation).to.equal(1);
    const scaled = cluster.resources.update(deployments(), 'default', 'd', { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 2 } });
    expect(scaled.metadata.generation).to.equal(2);
    const same = cluster.resources.update(deployments(), 'default', 'd', { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 2 } });
    expect(same.metadata.resourceVersion).to.equal(scaled.metadata.resourceVersion);
    expect(d.metadata.uid).to.equal(same.metadata.uid);
  });

  it('splits status from the main resource', () => {
    cluster.resources.create(deployments(), 'default', { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 0 } });
    const main = cluster.resources.update(deployments(), 'default', 'd', { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 99 } });
    expect(main.status).to.deep.equal({ replicas: 0 });
    const st = cluster.resources.update(deployments(), 'default', 'd', { metadata: { name: 'd' }, spec: { replicas: 5 }, status: { replicas: 1 } }, { subresource: 'status' });
    expect(st.status).to.deep.equal({ replicas: 1 });
    expect(st.spec).to.deep.equal({ replicas: 1 });
  });

  it('holds objects with finalizers until the last finalizer goes', () => {
    cluster.resources.create(configmaps(), 'default', cm('f', {}, { finalizers: ['example.com/a', 'example.com/b'] }));
    const marked = cluster.resources.delete(configmaps(), 'default', 'f');
    expect(marked.removed).to.equal(false);
    expect(marked.object.metadata.deletionTimestamp).to.equal('2026-01-01T00:00:00Z');
    cluster.resources.update(configmaps(), 'default', 'f', cm('f', {}, { finalizers: ['example.com/b'] }));
    expect(cluster.resources.find(configmaps(), 'default', 'f')).to.exist;
    cluster.resources.update(configmaps(), 'default', 'f', cm('f', {}, { finalizers: [] }));
    expect(cluster.resources.find(configmaps(), 'default', 'f')).to.equal(undefined);
  });

  it('checks delete preconditions', () => {
    const a = cluster.resources.create(configmaps(), 'default', cm('a'));
    expect(status(() => cluster.resources.delete(configmaps(), 'default', 'a', { preconditions: { uid: 'other' } })).code).to.equal(409);
    expect(cluster.resources.delete(configmaps(), 'default', 'a', { preconditions: { uid: a.metadata.uid! } }).removed).to.equal(true);
  });

  it('garbage-collects dependents through ownerReferences, unless orphaned', () => {
    const owner = cluster.resources.create(configmaps(), 'default', cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! };
    cluster.resources.create(configmaps(), 'default', cm('child', {}, { ownerReferences: [ref] }));
    cluster.resources.delete(configmaps(), 'default', 'owner');
    expect(cluster.resources.find(configmaps(), 'default', 'child')).to.equal(undefined);

    const owner2 = cluster.resources.create(configmaps(), 'default', cm('owner2'));
    cluster.resources.create(configmaps(), 'default', cm('kept', {}, { ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid! }] }));
    cluster.resources.delete(configmaps(), 'default', 'owner2', { propagationPolicy: 'Orphan' });
    expect(cluster.resources.find(configmaps(), 'default', 'kept')?.metadata.ownerReferences).to.equal(undefined);
  });

  it('terminates a namespace with its contents, and refuses new content meanwhile', () => {
    const namespaces = cluster.kind('', 'v1', 'namespaces');
    cluster.resources.create(namespaces, undefined, { metadata: { name: 'team' } });
    cluster.resources.create(configmaps(), 'team', { metadata: { name: 'plain' } });
    cluster.resources.create(configmaps(), 'team', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    cluster.resources.delete(namespaces, undefined, 'team');
    const ns = cluster.resources.get(namespaces, undefined, 'team');
    expect((ns.status as { phase: string }).phase).to.equal('Terminating');
    expect(cluster.resources.find(configmaps(), 'team', 'plain')).to.equal(undefined);
    expect(status(() => cluster.resources.create(configmaps(), 'team', { metadata: { name: 'late' } })).code).to.equal(403);
    cluster.resources.update(configmaps(), 'team', 'held', { metadata: { name: 'held', finalizers: [] } });
    expect(cluster.resources.find(namespaces, undefined, 'team')).to.equal(undefined);
  });

  it('serves the kinds of a CRD once it is created, and drops them with it', () => {
    const crds = cluster.kind('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    cluster.resources.create(crds, undefined, {
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} } }] },
    });
    const widgets = cluster.kind('example.com', 'v1', 'widgets');
    expect(widgets).to.include({ kind: 'Widget', namespaced: true, custom: true });
    expect(widgets.subresources).to.deep.equal(['status']);
    cluster.resources.create(widgets, 'default', { metadata: { name: 'w' } });
    cluster.resources.delete(crds, undefined, 'widgets.example.com');
    expect(cluster.registry.byResource('example.com', 'v1', 'widgets')).to.equal(undefined);
    expect(cluster.resources.store.count('example.com/widgets')).to.equal(0);
  });
});
