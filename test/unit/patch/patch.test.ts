import { expect } from 'chai';
import { statusErrorOf } from '../../support/status-error.js';
import { applyPatch } from '../../../src/simulator/patch/index.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';

const deploymentOpts = { apiVersion: 'apps/v1', kind: 'Deployment' };
const podOpts = { apiVersion: 'v1', kind: 'Pod' };

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function patch(type: string, live: KubeObject | undefined, body: unknown, opts: Record<string, unknown> = podOpts): KubeObject {
  return applyPatch(type, live, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), opts as typeof podOpts);
}

const statusOf = statusErrorOf;

const pod = (): KubeObject =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', finalizers: ['a'], labels: { app: 'x' } },
    spec: {
      containers: [
        { name: 'main', image: 'img:1', env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'side:1' },
      ],
      tolerations: [{ key: 't1' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
  });

describe('JSON patch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test, with ~0 and ~1 escapes and - for append', () => {
    const out = patch('application/json-patch+json', pod(), [
      { op: 'add', path: '/metadata/labels/a~1b', value: 'slash' },
      { op: 'add', path: '/metadata/finalizers/-', value: 'b' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'img:2' },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
      { op: 'remove', path: '/spec/tolerations' },
      { op: 'test', path: '/metadata/finalizers/1', value: 'b' },
    ]);
    expect(out.metadata.labels).to.deep.equal({ app: 'x', 'a/b': 'slash', moved: 'x' });
    expect(out.metadata.finalizers).to.deep.equal(['a', 'b']);
    expect((out.spec as { containers: { image: string }[] }).containers[0]!.image).to.equal('img:2');
    expect(out.spec).to.not.have.property('tolerations');
  });

  it('fails with 422 when a test fails or a path is missing, and with 400 for a malformed patch (input untouched)', () => {
    const live = pod();
    expect(statusOf(() => patch('application/json-patch+json', live, [{ op: 'test', path: '/metadata/name', value: 'q' }])).code).to.equal(422);
    expect(statusOf(() => patch('application/json-patch+json', live, [{ op: 'remove', path: '/spec/nothing' }])).code).to.equal(422);
    expect(statusOf(() => patch('application/json-patch+json', live, { op: 'add' })).code).to.equal(400);
    expect(statusOf(() => patch('application/json-patch+json', live, [{ op: 'frobnicate', path: '/a' }])).code).to.equal(400);
    expect(statusOf(() => patch('application/json-patch+json', live, '[{"op":')).code).to.equal(400);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null, and replaces lists', () => {
    const out = patch('application/merge-patch+json', pod(), { metadata: { labels: { app: null, b: 'c' } }, spec: { tolerations: [] } });
    expect(out.metadata.labels).to.deep.equal({ b: 'c' });
    expect((out.spec as { tolerations: unknown[] }).tolerations).to.deep.equal([]);
  });
});

describe('strategic merge patch', () => {
  const smp = (body: unknown, live = pod(), opts = podOpts): KubeObject => patch('application/strategic-merge-patch+json', live, body, opts);
  const containers = (o: KubeObject): { name: string; image: string; env?: unknown }[] => (o.spec as { containers: { name: string; image: string }[] }).containers;

  it('merges containers by name and keeps the others', () => {
    const out = smp({ spec: { containers: [{ name: 'main', image: 'img:2' }, { name: 'new', image: 'n' }] } });
    expect(containers(out).map((c) => `${c.name}=${c.image}`)).to.deep.equal(['main=img:2', 'side=side:1', 'new=n']);
    expect(containers(out)[0]!.env).to.deep.equal([{ name: 'A', value: '1' }]);
  });

  it('merges conditions by type and finalizers as a set, replaces atomic lists', () => {
    const out = smp({ metadata: { finalizers: ['b', 'a'] }, spec: { tolerations: [{ key: 't2' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(out.metadata.finalizers).to.deep.equal(['a', 'b']);
    expect((out.spec as { tolerations: unknown[] }).tolerations).to.deep.equal([{ key: 't2' }]);
    expect((out.status as { conditions: { type: string; status: string }[] }).conditions.map((c) => `${c.type}=${c.status}`)).to.deep.equal(['Ready=True', 'PodScheduled=True']);
  });

  it('follows $patch: delete on a list item and $patch: replace on a map', () => {
    const out = smp({ metadata: { labels: { $patch: 'replace', only: 'this' } }, spec: { containers: [{ name: 'side', $patch: 'delete' }] } });
    expect(out.metadata.labels).to.deep.equal({ only: 'this' });
    expect(containers(out).map((c) => c.name)).to.deep.equal(['main']);
  });

  it('follows $deleteFromPrimitiveList, $setElementOrder and $retainKeys', () => {
    const out = smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] }, spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }] } });
    expect(out.metadata.finalizers).to.deep.equal([]);
    expect(containers(out).map((c) => c.name)).to.deep.equal(['side', 'main']);
    const dep = deepFreeze({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } });
    const recreated = smp({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, dep, deploymentOpts);
    expect((recreated.spec as { strategy: unknown }).strategy).to.deep.equal({ type: 'Recreate' });
  });

  it('merges the pod template containers of a Deployment by name too', () => {
    const dep = deepFreeze({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'a', image: '1' }] } } } });
    const out = smp({ spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } }, dep, deploymentOpts);
    expect((out.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map((c) => c.name)).to.deep.equal(['a', 'b']);
  });

  it('refuses an unknown $patch directive and a merge-list item without its key with 400', () => {
    expect(statusOf(() => smp({ metadata: { labels: { $patch: 'explode' } } })).code).to.equal(400);
    expect(statusOf(() => smp({ spec: { containers: [{ image: 'no-name' }] } })).code).to.equal(400);
  });
});

describe('server-side apply', () => {
  const apply = (live: KubeObject | undefined, yaml: string, manager: string | undefined, force = false): KubeObject =>
    applyPatch('application/apply-patch+yaml', live, Buffer.from(yaml), { ...deploymentOpts, ...(manager ? { fieldManager: manager } : {}), force, now: () => new Date('2026-01-01T00:00:00Z') });
  const cfg = (replicas: number, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {app: d}}
spec:
  replicas: ${replicas}
  template:
    spec:
      containers: [{name: c, image: img}]
${extra}`;

  it('creates, records the manager\'s fields in managedFields, and re-applies idempotently', () => {
    const created = apply(undefined, cfg(1), 'alice');
    const mf = created.metadata.managedFields as { manager: string; operation: string; fieldsType: string; fieldsV1: Record<string, unknown> }[];
    expect(mf).to.have.length(1);
    expect(mf[0]).to.include({ manager: 'alice', operation: 'Apply', fieldsType: 'FieldsV1' });
    expect(mf[0]!.fieldsV1).to.have.nested.property('f:spec.f:replicas');
    expect(mf[0]!.fieldsV1).to.have.nested.property('f:spec.f:template.f:spec.f:containers');
    const live = deepFreeze({ ...created, metadata: { ...created.metadata, resourceVersion: '5' } });
    expect(apply(live, cfg(1), 'alice')).to.equal(live);
  });

  it('updates applied fields and removes the ones the manager stopped applying', () => {
    const first = deepFreeze(apply(undefined, cfg(1, '  paused: true'), 'alice'));
    const second = apply(first, cfg(2), 'alice');
    expect((second.spec as { replicas: number; paused?: boolean }).replicas).to.equal(2);
    expect(second.spec).to.not.have.property('paused');
  });

  it('refuses to change a field another applier owns (409 naming it) unless forced, and then moves ownership', () => {
    const alice = deepFreeze(apply(undefined, cfg(1), 'alice'));
    const e = statusOf(() => apply(alice, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3}\n', 'bob'));
    expect(e.code).to.equal(409);
    expect(e.message).to.contain('conflict with "alice"').and.to.contain('.spec.replicas');
    const forced = apply(alice, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 3}\n', 'bob', true);
    expect((forced.spec as { replicas: number }).replicas).to.equal(3);
    const owners = (forced.metadata.managedFields as { manager: string; fieldsV1: Record<string, Record<string, unknown>> }[]);
    expect(owners.find((m) => m.manager === 'alice')!.fieldsV1['f:spec']).to.not.have.property('f:replicas');
    expect(owners.find((m) => m.manager === 'bob')!.fieldsV1).to.have.nested.property('f:spec.f:replicas');
  });

  it('refuses apply without fieldManager, with the wrong kind or apiVersion, and with broken YAML (400)', () => {
    expect(statusOf(() => apply(undefined, cfg(1), undefined)).code).to.equal(400);
    expect(statusOf(() => apply(undefined, 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: d}\n', 'a')).code).to.equal(400);
    expect(statusOf(() => apply(undefined, 'apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n', 'a')).code).to.equal(400);
    expect(statusOf(() => apply(undefined, 'apiVersion: [unclosed', 'a')).code).to.equal(400);
  });

  it('conflicts with a plain writer (Update) too, naming it as kube does; kubectl takes over what client-side apply recorded', () => {
    const cmOpts = { apiVersion: 'v1', kind: 'ConfigMap', now: () => new Date('2026-01-01T00:00:00Z') };
    const lastApplied = '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"c","namespace":"n"}}\n';
    const live = deepFreeze({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        namespace: 'n',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
        managedFields: [
          { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } } },
        ],
      },
      data: { a: '1' },
    }) as KubeObject;
    const changed = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {a: "2"}\n';
    const e = statusOf(() => applyPatch('application/apply-patch+yaml', live, Buffer.from(changed), { ...cmOpts, fieldManager: 'other' }));
    expect([e.code, e.message]).to.deep.equal([409, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a']);
    const taken = applyPatch('application/apply-patch+yaml', live, Buffer.from(changed), { ...cmOpts, fieldManager: 'kubectl' });
    expect(taken.data).to.deep.equal({ a: '2' });
    const owners = Object.fromEntries((taken.metadata.managedFields as { manager: string; fieldsV1: unknown }[]).map((m) => [m.manager, m.fieldsV1]));
    expect(owners.kubectl).to.deep.equal({ 'f:data': { 'f:a': {} } });
    expect(taken.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], 'the annotation follows the applied configuration').to.equal(
      '{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}\n',
    );
  });

  it('answers 415 to an unknown patch content type', () => {
    expect(statusOf(() => applyPatch('application/xml', pod(), Buffer.from('<x/>'), podOpts)).code).to.equal(415);
  });
});
