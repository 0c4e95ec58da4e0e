import { expect } from 'chai';
import fc from 'fast-check';
import { compareFields, fieldSetOf, rootType, toFieldsV1, type FieldScope } from '../../../src/simulator/store/field-sets.js';
import { managedFieldsAfterUpdate, updatedEntries, type ManagedFieldsEntry } from '../../../src/simulator/store/managed-fields.js';
import { zeroObjectOf } from '../../../src/simulator/store/typed-zeros.js';
import { FakeCluster } from '../../../src/simulator/cluster.js';
import { cloneObject, isPlainObject, jsonEqual, type KubeObject } from '../../../src/simulator/store/object.js';
import { referenceUpdateEntries } from './write-path-reference.js';
import { edited, edits, SEEDS, sharing } from './random-writes.js';

/** The managedFields an Update leaves (kube-apiserver's managedFieldsUpdater), on the lean path the write path takes. */
describe('managedFields after an Update', () => {
  const NOW = '2026-12-03T17:00:00Z';
  const EARLIER = '2026-12-03T16:00:00Z';
  const node = (message: string, managedFields?: ManagedFieldsEntry[]) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', ...(managedFields ? { managedFields } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True', message }] },
  });
  const heartbeat = { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:message': {} } } } };
  const kubelet = (fieldsV1: Record<string, unknown>): ManagedFieldsEntry => ({ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: EARLIER, fieldsType: 'FieldsV1', fieldsV1, subresource: 'status' });
  const status = { manager: 'kubelet', subresource: 'status' as const };

  it('a writer that changes only what it already owns keeps its FieldsV1 as it is and is stamped with the time of the write', () => {
    const before = node('heartbeat 1', [kubelet(heartbeat)]);
    const [entry, ...rest] = managedFieldsAfterUpdate(before, node('heartbeat 2', [kubelet(heartbeat)]), status, 'v1', 'Node', true, NOW)!;
    expect(rest).to.deep.equal([]);
    expect(entry).to.deep.equal({ ...kubelet(heartbeat), time: NOW });
    expect(entry!.fieldsV1, 'not rebuilt').to.equal(before.metadata.managedFields![0]!.fieldsV1);
  });

  it('a FieldsV1 not written as kube writes it (a client sent it) is rebuilt in kube\'s form', () => {
    const unsorted = { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:status': {}, '.': {}, 'f:message': {} } } } };
    const before = node('heartbeat 1', [kubelet(unsorted)]);
    const [entry] = managedFieldsAfterUpdate(before, node('heartbeat 2'), status, 'v1', 'Node', true, NOW)!;
    expect(JSON.stringify(entry!.fieldsV1)).to.equal(JSON.stringify({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:message': {}, 'f:status': {} } } } }));
  });

  it('a writer that changes a field it does not own yet, or removes one it owns, gets a new FieldsV1', () => {
    const before = node('heartbeat 1', [kubelet({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:status': {} } } } })]);
    const [entry] = managedFieldsAfterUpdate(before, node('heartbeat 2'), status, 'v1', 'Node', true, NOW)!;
    expect(entry!.fieldsV1).to.deep.equal({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:message': {}, 'f:status': {} } } } });
  });

  it('an update of an object that has none records none, as kube-apiserver; a create does', () => {
    const live = { ...node('heartbeat 1'), metadata: { name: 'n', uid: 'u' } };
    expect(managedFieldsAfterUpdate(live, node('heartbeat 2'), status, 'v1', 'Node', true, NOW)).to.equal(undefined);
    const tracked = { ...live, metadata: { ...live.metadata, managedFields: [kubelet(heartbeat)] } };
    expect(managedFieldsAfterUpdate(tracked, node('heartbeat 2'), status, 'v1', 'Node', true, NOW)).to.have.length(1);
    const labelled = { ...node('heartbeat 1'), metadata: { name: 'n', labels: { role: 'worker' } } };
    const created = managedFieldsAfterUpdate(zeroObjectOf('v1', 'Node'), labelled, { manager: 'kubelet' }, 'v1', 'Node', true, NOW);
    expect(created?.map((e) => e.manager)).to.deep.equal(['kubelet']);
  });

  it('a status write compares the original that shares the live object\'s parts, and stores what comparing the copy stores (the live managedFields not copied, and left as they were)', () => {
    const options = { name: 'c', kubernetesVersion: 'v1.34.0', advertiseHost: '127.0.0.1', now: () => new Date(NOW) };
    const [lean, plain] = [new FakeCluster(options), new FakeCluster(options)];
    const nodes = lean.kind('', 'v1', 'nodes');
    const seed = SEEDS.find((s) => s.kind === 'Node')!.object;
    let n = 0;
    fc.assert(
      fc.property(edits, edits, (first, second) => {
        const name = `n${n++}`;
        // Edits within status: the object must stay one the store accepts.
        const status = edited({ metadata: {}, status: seed.status }, first, false).status;
        const node = { ...seed, metadata: { ...seed.metadata, name }, status };
        try {
          lean.resources.create(nodes, undefined, cloneObject(node), { manager: 'kubelet' });
        } catch {
          fc.pre(false); // edits the Node type refuses (kube-apiserver would too)
        }
        plain.resources.create(nodes, undefined, cloneObject(node), { manager: 'kubelet' });
        const live = (c: FakeCluster): KubeObject => c.resources.find(nodes, undefined, name)!;
        const patched = edited(live(lean), second, true);
        const next = { ...live(lean), metadata: live(lean).metadata, status: patched.status };
        const write = { manager: 'heartbeat', subresource: 'status' as const };
        const comparable = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, uid: '', resourceVersion: '' } });
        const outcome = (write: () => KubeObject): string => {
          try {
            return comparable(write());
          } catch (e) {
            return `refused: ${(e as Error).message}`;
          }
        };
        // As the status PATCH handler: the copy keeps the live managedFields by reference. Frozen, so a
        // write into them throws (and the outcomes differ); the previous version must stay as it was.
        const previous = live(lean);
        const snapshot = JSON.stringify(previous);
        deepFreeze(previous.metadata.managedFields);
        const a = outcome(() => lean.resources.commit(nodes, previous, cloneObject(next, { kept: previous.metadata.managedFields }), { ...write, sharedOriginal: next }));
        const b = outcome(() => plain.resources.commit(nodes, live(plain), cloneObject({ ...next, metadata: live(plain).metadata }), write));
        expect(a).to.equal(b);
        expect(JSON.stringify(previous)).to.equal(snapshot);
      }),
      { numRuns: 300 },
    );
  });

  it('a comparison that finds a change is right about it: the object differs, so the write is no no-op', () => {
    const seen = { changed: false };
    const counts = { changed: 0, unchanged: 0 };
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), edits, sharing, fc.boolean(), (seed, second, share, throughStatus) => {
        const { apiVersion, kind, object } = SEEDS[seed]!;
        // An entry, so that the update is recorded (an object without any gets none); the edits leave it alone.
        const managedFields = [kubelet({ 'f:metadata': { 'f:annotations': {} } })];
        const before = { ...object, metadata: { ...object.metadata, managedFields } };
        const after = edited(object, second, share);
        fc.pre(isPlainObject(after.metadata)); // the write path refuses an object without metadata first
        after.metadata = { ...after.metadata, managedFields };
        managedFieldsAfterUpdate(before, after, { manager: 'me', ...(throughStatus ? { subresource: 'status' as const } : {}) }, apiVersion, kind, true, NOW, after, seen);
        counts[seen.changed ? 'changed' : 'unchanged']++;
        if (seen.changed) expect(jsonEqual(before, after)).to.equal(false);
      }),
      { numRuns: 1_000 },
    );
    expect(counts.changed, 'runs with a change found').to.be.greaterThan(100);
    expect(counts.unchanged, 'runs without').to.be.greaterThan(50);
  });

  describe('the lean entries are the plain ones', () => {
    const API_VERSIONS = ['v1', 'apps/v1', 'v2'];
    const entryArb = fc.record({
      manager: fc.constantFrom('me', 'me', 'other', 'kubectl'),
      operation: fc.constantFrom('Update', 'Update', 'Apply'),
      otherVersion: fc.constantFrom(false, false, false, true),
      /** Through the subresource the write uses, or the other one. */
      sameSubresource: fc.constantFrom(true, true, false),
      picks: fc.array(fc.nat(), { maxLength: 6 }),
      ownsChanges: fc.constantFrom(true, true, false),
      form: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) }),
    });

    it('on random writes, with random entries: owned, shared, duplicated, or in a form kube would not write', () => {
      let kept = 0;
      fc.assert(
        fc.property(
          fc.nat({ max: SEEDS.length - 1 }),
          edits,
          edits,
          sharing,
          fc.array(entryArb, { maxLength: 4 }),
          fc.boolean(),
          (seed, first, second, share, specs, throughStatus) => {
            const { apiVersion, kind, object } = SEEDS[seed]!;
            const before = edited(object, first, false);
            const after = edited(before, second, share);
            const type = rootType(apiVersion, kind);
            const scope: FieldScope = { part: throughStatus ? 'status' : 'main' };
            const diff = compareFields(before, after, type, scope);
            const pool = [...fieldSetOf(before, type, { part: 'all' }), ...diff.added, ...diff.modified, ...diff.removed];
            const entries = specs.map((s): ManagedFieldsEntry => {
              const set = new Set(s.picks.map((i) => pool[i % Math.max(pool.length, 1)]!).filter((p) => p !== undefined));
              if (s.ownsChanges) for (const p of [...diff.added, ...diff.modified]) set.add(p);
              return {
                manager: s.manager,
                operation: s.operation,
                apiVersion: s.otherVersion ? API_VERSIONS[seed % API_VERSIONS.length]! : apiVersion,
                time: EARLIER,
                fieldsType: 'FieldsV1',
                ...fieldsV1In(s.form, toFieldsV1(set)),
                ...(s.sameSubresource === throughStatus ? { subresource: 'status' } : {}),
              };
            });
            const who = { manager: 'me', ...(throughStatus ? { subresource: 'status' as const } : {}) };
            const lean = updatedEntries(entries, diff, who, apiVersion, NOW);
            const plain = referenceUpdateEntries(entries, diff, who, apiVersion, NOW);
            expect(JSON.stringify(lean), 'the same entries, keys in the same order').to.equal(JSON.stringify(plain));
            if (entries.some((e) => lean.some((l) => l.fieldsV1 === e.fieldsV1 && l.time === NOW))) kept++;
          },
        ),
        { numRuns: 2_000 },
      );
      expect(kept, 'runs where the writer kept its FieldsV1').to.be.greaterThan(50);
    });
  });
});

/** An entry's FieldsV1 in one of the forms clients may send: kube's, keys reversed, a stray ".", none, empty, not an object. */
function fieldsV1In(form: number, tree: Record<string, unknown>): { fieldsV1?: Record<string, unknown> } {
  switch (form) {
    case 1:
      return { fieldsV1: reversed(tree) };
    case 2:
      return { fieldsV1: { '.': {}, ...tree } };
    case 3:
      return {};
    case 4:
      return { fieldsV1: {} };
    case 5:
      return { fieldsV1: 'f:status' as unknown as Record<string, unknown> };
    default:
      return { fieldsV1: tree };
  }
}

function reversed(tree: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(tree).reverse()) out[k] = reversed(tree[k] as Record<string, unknown>);
  return out;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
