import { expect } from 'chai';
import { statusErrorOf } from '../../support/status-error.js';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { FakeCluster } from '../../../src/simulator/cluster.js';
import type { KindInfo } from '../../../src/simulator/kinds/kind.js';
import { customResourceSchema } from '../../../src/simulator/store/crd-schema/index.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';

/**
 * A fake cluster's store enforces the schema of every CRD it serves, on
 * create, update, patch (commit) and status writes, here with our own
 * crds/*.yaml: what the embedded management API gives `npm start`.
 */
describe('custom resources in the store are checked against their CRD schema', () => {
  let cluster: FakeCluster;
  let fas: KindInfo;
  let fakenodes: KindInfo;
  const crd = (file: string): KubeObject => load(readFileSync(new URL(`../../../crds/${file}`, import.meta.url), 'utf8')) as KubeObject;
  const crdsKind = (): KindInfo => cluster.kind('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  const server = (spec: Record<string, unknown>, name = 'x'): KubeObject => ({
    apiVersion: 'fkas.metal3.io/v1alpha1',
    kind: 'FakeAPIServer',
    metadata: { name },
    spec,
  });
  const failure = statusErrorOf;

  beforeEach(() => {
    cluster = new FakeCluster({ name: 'c', kubernetesVersion: 'v1.34.4', advertiseHost: '127.0.0.1', now: () => new Date('2026-01-01T00:00:00Z') });
    cluster.resources.create(crdsKind(), undefined, crd('fkas.metal3.io_fakeapiservers.yaml'));
    cluster.resources.create(crdsKind(), undefined, crd('fkas.metal3.io_fakenodes.yaml'));
    fas = cluster.kind('fkas.metal3.io', 'v1alpha1', 'fakeapiservers');
    fakenodes = cluster.kind('fkas.metal3.io', 'v1alpha1', 'fakenodes');
  });

  it('drops a status sent on create (status subresource) and fills it from the schema default, as kube-apiserver does', () => {
    const created = cluster.resources.create(fas, 'default', { ...server({}), status: { observedGeneration: 3, nodes: 2 } });
    expect(created.status).to.deep.equal({ observedGeneration: -1 });
    const node = cluster.resources.create(fakenodes, 'default', {
      apiVersion: 'fkas.metal3.io/v1alpha1',
      kind: 'FakeNode',
      metadata: { name: 'n' },
      spec: { clusterName: 'x', nodeName: 'n0' },
    });
    expect(node.status).to.deep.equal({ observedGeneration: -1 });
    const written = cluster.resources.update(fas, 'default', 'x', { ...created, status: { observedGeneration: 1 } }, { subresource: 'status' });
    expect(written.status).to.deep.equal({ observedGeneration: 1 });
  });

  it('refuses wrong types with one 422 naming every field, and stores nothing', () => {
    const err = failure(() => cluster.resources.create(fas, 'default', server({ port: 'abc', kubernetesVersion: 7 })));
    expect(err.code).to.equal(422);
    expect(err.reason).to.equal('Invalid');
    expect(err.details).to.include({ name: 'x', group: 'fkas.metal3.io', kind: 'FakeAPIServer' });
    expect(err.details?.causes).to.deep.include.members([
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.port in body must be of type integer: "string"', field: 'spec.port' },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.kubernetesVersion in body must be of type string: "integer"',
        field: 'spec.kubernetesVersion',
      },
    ]);
    expect(err.message).to.match(/^FakeAPIServer\.fkas\.metal3\.io "x" is invalid: \[spec\.\w+: Invalid value: .*, spec\.\w+: Invalid value: .*\]$/);
    expect(cluster.resources.find(fas, 'default', 'x')).to.equal(undefined);
  });

  it('puts metadata and schema causes in the same 422', () => {
    const err = failure(() => cluster.resources.create(fas, 'default', { ...server({ port: 0 }), metadata: { name: 'Not_A_Name' } }));
    expect(err.details?.causes?.map((c) => c.field)).to.deep.equal(['metadata.name', 'spec.port']);
  });

  it('drops unknown fields and reports them as warnings by default (Warn)', () => {
    const warnings: string[] = [];
    const created = cluster.resources.create(
      fas,
      'default',
      { ...server({ port: 6443, bogusField: true }), metadata: { name: 'x', colour: 'red' } } as KubeObject,
      { warnings },
    );
    expect(created.spec).to.not.have.property('bogusField');
    expect(created.metadata).to.not.have.property('colour');
    expect(warnings).to.deep.equal(['unknown field "metadata.colour"', 'unknown field "spec.bogusField"']);
  });

  it('refuses unknown fields with 400 under Strict and stores nothing; Ignore drops them silently', () => {
    const err = failure(() => cluster.resources.create(fas, 'default', server({ bogusField: 1 }), { fieldValidation: 'Strict' }));
    expect(err.code).to.equal(400);
    expect(err.reason).to.equal('BadRequest');
    expect(err.message).to.equal(
      'FakeAPIServer in version "v1alpha1" cannot be handled as a FakeAPIServer: strict decoding error: unknown field "spec.bogusField"',
    );
    expect(cluster.resources.find(fas, 'default', 'x')).to.equal(undefined);
    const warnings: string[] = [];
    const created = cluster.resources.create(fas, 'default', server({ bogusField: 1 }), { fieldValidation: 'Ignore', warnings });
    expect(created.spec).to.deep.equal({ kubernetesVersion: 'v1.32.0', exposure: 'Direct' });
    expect(warnings).to.deep.equal([]);
  });

  it('refuses a patched object with unknown fields under Strict as a 422 on patch, and server-side apply whatever fieldValidation says', () => {
    const created = cluster.resources.create(fas, 'default', server({}));
    const patched = { ...created, spec: { ...(created.spec as object), bogusField: 1 } };
    const err = failure(() => cluster.resources.commit(fas, created, structuredClone(patched), { fieldValidation: 'Strict', origin: 'patch' }));
    expect(err.code).to.equal(422);
    expect(err.details?.causes?.[0]?.field).to.equal('patch');
    expect(err.message).to.match(/^ "" is invalid: patch: Invalid value: ".*bogusField.*": strict decoding error: unknown field "spec.bogusField"$/);
    const applied = failure(() => cluster.resources.commit(fas, created, structuredClone(patched), { fieldValidation: 'Ignore', origin: 'apply' }));
    expect(applied.code).to.equal(400);
    expect(applied.message).to.equal(
      'failed to create typed patch object (default/x; fkas.metal3.io/v1alpha1, Kind=FakeAPIServer): .spec.bogusField: field not declared in schema',
    );
    expect(cluster.resources.get(fas, 'default', 'x')).to.equal(created);
  });

  it('applies the schema defaults on create and keeps given values', () => {
    const created = cluster.resources.create(fas, 'default', server({ exposure: 'Service' }));
    expect(created.spec).to.deep.equal({ exposure: 'Service', kubernetesVersion: 'v1.32.0' });
    const node = cluster.resources.create(fakenodes, 'default', { metadata: { name: 'n' }, spec: { clusterName: 'c', nodeName: 'n' } });
    expect(node.spec).to.deep.equal({ clusterName: 'c', nodeName: 'n', role: 'worker', ready: true });
  });

  it('applies defaults again when an update removes a defaulted field', () => {
    const created = cluster.resources.create(fas, 'default', server({}));
    const updated = cluster.resources.update(fas, 'default', 'x', { ...created, spec: { port: 7000 } });
    expect(updated.spec).to.deep.equal({ port: 7000, kubernetesVersion: 'v1.32.0', exposure: 'Direct' });
  });

  it('refuses an invalid update and keeps the stored object as it was', () => {
    const created = cluster.resources.create(fas, 'default', server({ port: 7000 }));
    const err = failure(() => cluster.resources.update(fas, 'default', 'x', { ...created, spec: { port: 70000 } }));
    expect(err.code).to.equal(422);
    expect(err.details?.causes).to.deep.equal([
      { reason: 'FieldValueInvalid', message: 'Invalid value: 70000: spec.port in body should be less than or equal to 65535', field: 'spec.port' },
    ]);
    expect(cluster.resources.get(fas, 'default', 'x')).to.equal(created);
  });

  it('checks status writes against the status schema and ignores spec changes sent to /status', () => {
    const created = cluster.resources.create(fas, 'default', server({ port: 7000 }));
    const badCondition = { type: 'Ready', status: 'Maybe', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const err = failure(() => cluster.resources.update(fas, 'default', 'x', { ...created, status: { conditions: [badCondition] } }, { subresource: 'status' }));
    expect(err.details?.causes).to.deep.equal([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
        field: 'status.conditions[0].status',
      },
    ]);
    const good = { ...badCondition, status: 'True' };
    const written = cluster.resources.update(
      fas,
      'default',
      'x',
      { ...created, spec: { port: 'ignored' }, status: { conditions: [good], nodes: 1 } },
      { subresource: 'status' },
    );
    expect(written.spec).to.deep.equal(created.spec);
    expect(written.status).to.deep.equal({ conditions: [good], nodes: 1 });
  });

  it('refuses two conditions of the same type (a map list keyed by type)', () => {
    const created = cluster.resources.create(fas, 'default', server({}));
    const c = { type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const err = failure(() => cluster.resources.update(fas, 'default', 'x', { ...created, status: { conditions: [c, c] } }, { subresource: 'status' }));
    expect(err.details?.causes).to.deep.equal([{ reason: 'FieldValueDuplicate', message: 'Duplicate value: {"type":"Ready"}', field: 'status.conditions[1]' }]);
  });

  it('checks the object a patch produces (commit), not only full updates', () => {
    const created = cluster.resources.create(fas, 'default', server({}));
    const err = failure(() => cluster.resources.commit(fas, created, { ...created, spec: { ...(created.spec as object), exposure: 'Tunnel' } }));
    expect(err.details?.causes?.[0]?.field).to.equal('spec.exposure');
  });

  it('lets an object stored under a looser schema be written when the write leaves its invalid values alone (ratcheting)', () => {
    const loose = crd('fkas.metal3.io_fakeapiservers.yaml');
    const spec = (loose.spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { port: Record<string, unknown> } } } } } }[] })
      .versions[0]!;
    delete spec.schema.openAPIV3Schema.properties.spec.properties.port.maximum;
    const strict = cluster.resources.get(crdsKind(), undefined, 'fakeapiservers.fkas.metal3.io');
    cluster.resources.update(crdsKind(), undefined, 'fakeapiservers.fkas.metal3.io', { ...loose, metadata: { ...loose.metadata, resourceVersion: '' } });
    const old = cluster.resources.create(fas, 'default', server({ port: 70000 }));
    cluster.resources.update(crdsKind(), undefined, 'fakeapiservers.fkas.metal3.io', { ...strict, metadata: { ...strict.metadata, resourceVersion: '' } });
    const labelled = cluster.resources.update(fas, 'default', 'x', { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } });
    expect(labelled.metadata.labels).to.deep.equal({ a: 'b' });
    const err = failure(() => cluster.resources.update(fas, 'default', 'x', { ...labelled, spec: { ...(labelled.spec as object), port: 70001 } }));
    expect(err.details?.causes?.[0]?.field).to.equal('spec.port');
  });

  it('compiles a CRD version once and again only when the CRD changes', () => {
    const first = customResourceSchema(cluster.resources.store, fas);
    expect(first).to.not.equal(undefined);
    expect(customResourceSchema(cluster.resources.store, fas)).to.equal(first);
    const stored = cluster.resources.get(crdsKind(), undefined, 'fakeapiservers.fkas.metal3.io');
    const changed = structuredClone(stored);
    (changed.metadata.labels ??= {}).touched = 'yes';
    cluster.resources.update(crdsKind(), undefined, 'fakeapiservers.fkas.metal3.io', changed);
    expect(customResourceSchema(cluster.resources.store, fas)).to.not.equal(first);
  });

  it('leaves built-in kinds alone', () => {
    expect(customResourceSchema(cluster.resources.store, cluster.kind('', 'v1', 'configmaps'))).to.equal(undefined);
  });
});
