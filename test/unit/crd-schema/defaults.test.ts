import { expect } from 'chai';
import { applyDefaults } from '../../../src/simulator/store/crd-schema/defaults.js';
import { compileSchema } from '../../../src/simulator/store/crd-schema/schema.js';

/** Schema defaulting as kube-apiserver applies it to custom resources. */
describe('defaulting of custom resources', () => {
  const defaulted = (schema: unknown, obj: Record<string, unknown>): Record<string, unknown> => {
    applyDefaults(obj, compileSchema(schema));
    return obj;
  };

  it('fills a missing property with its default and leaves given values alone', () => {
    const schema = {
      type: 'object',
      properties: { spec: { type: 'object', properties: { mode: { type: 'string', default: 'Direct' }, port: { type: 'integer', default: 80 } } } },
    };
    expect(defaulted(schema, { spec: { port: 443 } })).to.deep.equal({ spec: { port: 443, mode: 'Direct' } });
  });

  it('does not create a missing parent object unless the parent has a default itself', () => {
    const schema = { type: 'object', properties: { spec: { type: 'object', properties: { mode: { type: 'string', default: 'Direct' } } } } };
    expect(defaulted(schema, {})).to.deep.equal({});
  });

  it('defaults inside a defaulted object: an empty default gets its properties defaulted', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: { type: 'object', default: {}, properties: { limits: { type: 'object', default: {}, properties: { cpu: { type: 'integer', default: 2 } } } } },
      },
    };
    expect(defaulted(schema, {})).to.deep.equal({ spec: { limits: { cpu: 2 } } });
  });

  it('replaces null with the default where null is not allowed, and keeps null where it is', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', default: 'x' }, b: { type: 'string', default: 'y', nullable: true } },
    };
    expect(defaulted(schema, { a: null, b: null })).to.deep.equal({ a: 'x', b: null });
  });

  it('defaults every list item and every map value', () => {
    const item = { type: 'object', properties: { weight: { type: 'integer', default: 1 } } };
    const schema = { type: 'object', properties: { list: { type: 'array', items: item }, map: { type: 'object', additionalProperties: item } } };
    expect(defaulted(schema, { list: [{}, { weight: 5 }], map: { a: {} } })).to.deep.equal({ list: [{ weight: 1 }, { weight: 5 }], map: { a: { weight: 1 } } });
  });

  it('gives every object its own copy of a default', () => {
    const schema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, default: ['a'] } } };
    const one = defaulted(schema, {});
    const two = defaulted(schema, {});
    (one.tags as string[]).push('b');
    expect(two.tags).to.deep.equal(['a']);
  });
});
