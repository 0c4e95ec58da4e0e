import { expect } from 'chai';
import { pruneResource } from '../../../src/simulator/store/crd-schema/prune.js';
import { compileSchema } from '../../../src/simulator/store/crd-schema/schema.js';

/** Structural pruning: what kube-apiserver drops from a custom resource, and the paths it reports. */
describe('structural pruning of custom resources', () => {
  const prune = (schema: unknown, obj: Record<string, unknown>): { obj: Record<string, unknown>; unknown: string[] } => {
    const unknown: string[] = [];
    pruneResource(obj, compileSchema(schema), unknown);
    return { obj, unknown: unknown.sort() };
  };
  const spec = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
    type: 'object',
    properties: { spec: { type: 'object', properties, ...extra } },
  });

  it('drops fields the schema does not specify and names each one by its path', () => {
    const { obj, unknown } = prune(spec({ port: { type: 'integer' } }), {
      apiVersion: 'g/v1',
      kind: 'K',
      metadata: { name: 'a' },
      spec: { port: 1, bogusField: 2 },
      extra: 'x',
    });
    expect(obj).to.deep.equal({ apiVersion: 'g/v1', kind: 'K', metadata: { name: 'a' }, spec: { port: 1 } });
    expect(unknown).to.deep.equal(['extra', 'spec.bogusField']);
  });

  it('keeps apiVersion, kind and metadata at the root whatever the schema says, and prunes metadata to ObjectMeta', () => {
    const { obj, unknown } = prune(
      { type: 'object', properties: { spec: { type: 'object' } } },
      { apiVersion: 'g/v1', kind: 'K', metadata: { name: 'a', labels: { x: 'y' }, colour: 'red' } },
    );
    expect(obj).to.deep.equal({ apiVersion: 'g/v1', kind: 'K', metadata: { name: 'a', labels: { x: 'y' } } });
    expect(unknown).to.deep.equal(['metadata.colour']);
  });

  it('reports unknown fields inside list items with their index', () => {
    const schema = spec({ items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } });
    const { obj, unknown } = prune(schema, { spec: { items: [{ name: 'a' }, { name: 'b', size: 3 }] } });
    expect(obj).to.deep.equal({ spec: { items: [{ name: 'a' }, { name: 'b' }] } });
    expect(unknown).to.deep.equal(['spec.items[1].size']);
  });

  it('keeps everything under x-kubernetes-preserve-unknown-fields but still prunes inside the properties it specifies', () => {
    const schema = spec({ known: { type: 'object', properties: { a: { type: 'string' } } } }, { 'x-kubernetes-preserve-unknown-fields': true });
    const { obj, unknown } = prune(schema, { spec: { free: { deep: [1, 2] }, known: { a: 'x', b: 'y' } } });
    expect(obj).to.deep.equal({ spec: { free: { deep: [1, 2] }, known: { a: 'x' } } });
    expect(unknown).to.deep.equal(['spec.known.b']);
  });

  it('prunes each value of a map by its additionalProperties schema', () => {
    const schema = spec({ byName: { type: 'object', additionalProperties: { type: 'object', properties: { size: { type: 'integer' } } } } });
    const { obj, unknown } = prune(schema, { spec: { byName: { a: { size: 1, colour: 'red' }, b: { size: 2 } } } });
    expect(obj).to.deep.equal({ spec: { byName: { a: { size: 1 }, b: { size: 2 } } } });
    expect(unknown).to.deep.equal(['spec.byName.a.colour']);
  });

  it('keeps the type and object meta of an embedded resource and prunes its metadata like the root', () => {
    const schema = spec({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
      },
    });
    const { obj, unknown } = prune(schema, {
      spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogus: 1 }, spec: { replicas: 1, other: 2 } } },
    });
    expect(obj).to.deep.equal({ spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { replicas: 1 } } } });
    expect(unknown).to.deep.equal(['spec.template.metadata.bogus', 'spec.template.spec.other']);
  });

  it('prunes a non-string kind of an embedded resource like any unknown field', () => {
    const schema = spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': false } });
    const { unknown } = prune(schema, { spec: { template: { apiVersion: 'v1', kind: 7 } } });
    expect(unknown).to.deep.equal(['spec.template.kind']);
  });

  it('drops nulls where the schema neither allows null nor has a default, silently', () => {
    const { obj, unknown } = prune(spec({ port: { type: 'integer' }, note: { type: 'string', nullable: true }, mode: { type: 'string', default: 'a' } }), {
      spec: { port: null, note: null, mode: null },
    });
    expect(obj).to.deep.equal({ spec: { note: null, mode: null } });
    expect(unknown).to.deep.equal([]);
  });
});
