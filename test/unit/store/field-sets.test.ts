import { expect } from 'chai';
import fc from 'fast-check';
import { compareFields, type Comparison, decodePath, displayPath, encodePath, fieldSetOf, fromFieldsV1, rootType, toFieldsV1 } from '../../../src/simulator/store/field-sets.js';
import { zeroObjectOf } from '../../../src/simulator/store/typed-zeros.js';
import { referenceCompareFields } from './write-path-reference.js';
import { edited, edits, SEEDS, sharing } from './random-writes.js';

/** Field sets as kube-apiserver's managedFields see objects (structured-merge-diff semantics). */
describe('field sets and FieldsV1', () => {
  const deployments = rootType('apps/v1', 'Deployment');
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'x' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'x' } }, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } },
  };

  it('a create owns what differs from the zero object: maps and list items with ".", atomic selectors whole, keyed lists by all their keys', () => {
    const { added } = compareFields(zeroObjectOf('apps/v1', 'Deployment'), deployment, deployments, { part: 'main' });
    expect(toFieldsV1(added)).to.deep.equal({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } } } } } },
      },
    });
  });

  it('an applied configuration owns its leaves and items, never server metadata or (through the main resource) status', () => {
    const applied = { ...deployment, metadata: { ...deployment.metadata, uid: 'u', resourceVersion: '1' }, status: { replicas: 1 } };
    const set = fieldSetOf(applied, deployments, { part: 'main' });
    expect(toFieldsV1(set)).to.have.all.keys('f:metadata', 'f:spec');
    expect(toFieldsV1(set)['f:metadata']).to.deep.equal({ 'f:labels': { 'f:app': {} } });
  });

  it('a change is modified leaves, added and removed containers', () => {
    const next = { ...deployment, metadata: { name: 'd' }, spec: { ...deployment.spec, replicas: 3 } };
    const diff = compareFields(deployment, next, deployments, { part: 'main' });
    expect([...diff.modified].map(displayPath)).to.deep.equal(['.spec.replicas']);
    expect([...diff.removed].map(displayPath).sort()).to.deep.equal(['.metadata.labels', '.metadata.labels.app']);
    expect(diff.added.size).to.equal(0);
  });

  it('round-trips FieldsV1, keeping "." for members that have members below, and any character in a key', () => {
    const tree = { 'f:data': { '.': {}, 'f:a\u0000b': {} }, 'f:metadata': { 'f:annotations': { 'f:x\u0001y': {} } } };
    expect(toFieldsV1(fromFieldsV1(tree))).to.deep.equal(tree);
    const path = ['f:spec', 'k:{"name":"c"}', 'v:"x"'];
    expect(decodePath(encodePath(path))).to.deep.equal(path);
    expect(displayPath(encodePath(path))).to.equal('.spec[name="c"][="x"]');
  });

  describe('the lean comparison finds what the plain walk finds', () => {
    const sorted = (c: Comparison): Record<string, string[]> => ({ added: [...c.added].sort(), modified: [...c.modified].sort(), removed: [...c.removed].sort() });
    const parts = fc.constantFrom('all' as const, 'main' as const, 'status' as const);

    it('on random writes to typed objects: leaves, maps, sets, keyed lists reordered, duplicated or re-keyed, shared or copied subtrees', () => {
      fc.assert(
        fc.property(fc.nat({ max: SEEDS.length - 1 }), edits, edits, sharing, parts, (seed, first, second, share, part) => {
          const { apiVersion, kind, object } = SEEDS[seed]!;
          const before = edited(object, first, false);
          const after = edited(before, second, share);
          const type = rootType(apiVersion, kind);
          expect(sorted(compareFields(before, after, type, { part }))).to.deep.equal(sorted(referenceCompareFields(before, after, type, { part })));
        }),
        { numRuns: 2_000 },
      );
    });

    it('pairs keyed-list items by key, not position, when keys repeat or move: the last of duplicates wins', () => {
      const node = (conditions: unknown[]) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { conditions } });
      const nodes = rootType('v1', 'Node');
      const ready = (message: string) => ({ type: 'Ready', status: 'True', message });
      const cases = [
        [node([ready('a'), ready('b')]), node([ready('c'), ready('b')])],
        [node([ready('a'), { type: 'X', status: 'True' }]), node([{ type: 'X', status: 'False' }, ready('a')])],
        [node([{ type: 'Ready', status: 'True' }]), node([{ type: 'Ready', status: 'False', message: 'now' }])],
      ];
      for (const [a, b] of cases) expect(sorted(compareFields(a, b, nodes, { part: 'all' }))).to.deep.equal(sorted(referenceCompareFields(a, b, nodes, { part: 'all' })));
      // Duplicates: only the last item of a key is compared, as structured-merge-diff reads the list.
      expect(sorted(compareFields(cases[0]![0], cases[0]![1], nodes, { part: 'all' })).modified).to.deep.equal([]);
      expect([...compareFields(cases[2]![0], cases[2]![1], nodes, { part: 'all' }).modified].map(displayPath)).to.deep.equal(['.status.conditions[type="Ready"].status']);
    });
  });
});

