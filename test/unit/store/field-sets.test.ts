import { expect } from 'chai';
import { compareFields, decodePath, displayPath, encodePath, fieldSetOf, fromFieldsV1, rootType, toFieldsV1 } from '../../../src/simulator/store/field-sets.js';
import { zeroObjectOf } from '../../../src/simulator/store/typed-zeros.js';

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
});
