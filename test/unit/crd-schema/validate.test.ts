import { expect } from 'chai';
import { errorText } from '../../../src/simulator/store/crd-schema/field-errors.js';
import { compileSchema } from '../../../src/simulator/store/crd-schema/schema.js';
import { validateResource } from '../../../src/simulator/store/crd-schema/validate.js';

/**
 * Validation of custom resources against their schema, with the messages
 * kube-apiserver gives (apimachinery field errors around kube-openapi's
 * "<path> in body ..." texts).
 */
describe('validation of custom resources against their schema', () => {
  /** The `field: message` lines for `spec: value` under a schema for spec.x. */
  const errorsFor = (x: Record<string, unknown>, value: unknown): string[] => {
    const root = compileSchema({ type: 'object', properties: { spec: { type: 'object', properties: { x } } } });
    return validateResource({ spec: { x: value } }, root).map(errorText);
  };
  const reasonsFor = (x: Record<string, unknown>, value: unknown): string[] => {
    const root = compileSchema({ type: 'object', properties: { spec: { type: 'object', properties: { x } } } });
    return validateResource({ spec: { x: value } }, root).map((e) => e.reason);
  };

  it('names the actual type when a value has the wrong type', () => {
    expect(errorsFor({ type: 'integer' }, 'abc')).to.deep.equal(['spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"']);
    expect(errorsFor({ type: 'string' }, 7)).to.deep.equal(['spec.x: Invalid value: "integer": spec.x in body must be of type string: "integer"']);
    expect(errorsFor({ type: 'integer' }, 1.5)).to.deep.equal(['spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"']);
    expect(errorsFor({ type: 'object' }, [1])).to.deep.equal(['spec.x: Invalid value: "array": spec.x in body must be of type object: "array"']);
    expect(errorsFor({ type: 'boolean' }, 'true')).to.deep.equal(['spec.x: Invalid value: "string": spec.x in body must be of type boolean: "string"']);
    expect(reasonsFor({ type: 'integer' }, 'abc')).to.deep.equal(['FieldValueTypeInvalid']);
  });

  it('accepts an integer where a number is expected, and a whole number where an integer is', () => {
    expect(errorsFor({ type: 'number' }, 3)).to.deep.equal([]);
    expect(errorsFor({ type: 'integer', format: 'int64' }, 3)).to.deep.equal([]);
  });

  it('refuses null unless the schema is nullable', () => {
    const root = compileSchema({
      type: 'object',
      properties: { list: { type: 'array', items: { type: 'string' } }, maybe: { type: 'array', items: { type: 'string', nullable: true } } },
    });
    expect(validateResource({ list: ['a', null], maybe: [null] }, root).map(errorText)).to.deep.equal([
      'list[1]: Invalid value: "null": list[1] in body must be of type string: "null"',
    ]);
  });

  it('accepts an integer or a string for x-kubernetes-int-or-string and refuses anything else', () => {
    expect(errorsFor({ 'x-kubernetes-int-or-string': true }, 3)).to.deep.equal([]);
    expect(errorsFor({ 'x-kubernetes-int-or-string': true }, '50%')).to.deep.equal([]);
    expect(errorsFor({ 'x-kubernetes-int-or-string': true }, true)).to.deep.equal([
      'spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"',
    ]);
  });

  it('lists the supported values of an enum', () => {
    expect(errorsFor({ type: 'string', enum: ['Direct', 'Service'] }, 'Other')).to.deep.equal([
      'spec.x: Unsupported value: "Other": supported values: "Direct", "Service"',
    ]);
    expect(errorsFor({ type: 'integer', enum: [1, 2] }, 3)).to.deep.equal(['spec.x: Unsupported value: 3: supported values: "1", "2"']);
    expect(reasonsFor({ type: 'string', enum: ['a'] }, 'b')).to.deep.equal(['FieldValueNotSupported']);
  });

  it('checks the formats kube-apiserver enforces, and ignores the others', () => {
    expect(errorsFor({ type: 'string', format: 'date-time' }, 'yesterday')).to.deep.equal([
      'spec.x: Invalid value: "yesterday": spec.x in body must be of type date-time: "yesterday"',
    ]);
    expect(errorsFor({ type: 'string', format: 'date-time' }, '2026-11-25T10:00:00Z')).to.deep.equal([]);
    expect(errorsFor({ type: 'string', format: 'uuid' }, 'not-a-uuid')).to.have.length(1);
    expect(errorsFor({ type: 'string', format: 'ipv4' }, '10.0.0.300')).to.have.length(1);
    expect(errorsFor({ type: 'string', format: 'ipv4' }, '10.0.0.3')).to.deep.equal([]);
    expect(errorsFor({ type: 'string', format: 'my-own-format' }, 'anything')).to.deep.equal([]);
    // int32/int64 are not enforced: kube-apiserver strips them from the schema it validates with.
    expect(errorsFor({ type: 'integer', format: 'int32' }, 2 ** 40)).to.deep.equal([]);
  });

  it('words a string format given a non-string value as kube-openapi does', () => {
    expect(errorsFor({ type: 'string', format: 'date-time' }, 5)).to.deep.equal([
      'spec.x: Invalid value: "int64": spec.x in body must be of type date-time: "int64"',
    ]);
  });

  it('checks minimum and maximum, inclusive and exclusive', () => {
    expect(errorsFor({ type: 'integer', minimum: 1, maximum: 65535 }, 0)).to.deep.equal([
      'spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1',
    ]);
    expect(errorsFor({ type: 'integer', minimum: 1, maximum: 65535 }, 70000)).to.deep.equal([
      'spec.x: Invalid value: 70000: spec.x in body should be less than or equal to 65535',
    ]);
    expect(errorsFor({ type: 'number', minimum: 0, exclusiveMinimum: true }, 0)).to.deep.equal([
      'spec.x: Invalid value: 0: spec.x in body should be greater than 0',
    ]);
    expect(errorsFor({ type: 'number', maximum: 1, exclusiveMaximum: true }, 1)).to.deep.equal([
      'spec.x: Invalid value: 1: spec.x in body should be less than 1',
    ]);
    expect(errorsFor({ type: 'integer', multipleOf: 5 }, 12)).to.deep.equal(['spec.x: Invalid value: 12: spec.x in body should be a multiple of 5']);
  });

  it('checks string length in characters, and patterns', () => {
    expect(errorsFor({ type: 'string', maxLength: 3 }, 'abcd')).to.deep.equal(['spec.x: Too long: may not be more than 3 bytes']);
    expect(errorsFor({ type: 'string', maxLength: 3 }, 'äöü')).to.deep.equal([]);
    expect(errorsFor({ type: 'string', minLength: 1 }, '')).to.deep.equal(['spec.x: Invalid value: "": spec.x in body should be at least 1 chars long']);
    expect(errorsFor({ type: 'string', pattern: '^v?\\d+\\.\\d+\\.\\d+$' }, 'seven')).to.deep.equal([
      `spec.x: Invalid value: "seven": spec.x in body should match '^v?\\d+\\.\\d+\\.\\d+$'`,
    ]);
    expect(reasonsFor({ type: 'string', maxLength: 3 }, 'abcd')).to.deep.equal(['FieldValueTooLong']);
  });

  it('checks the number of list items and object properties', () => {
    const list = { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 };
    expect(errorsFor(list, [])).to.deep.equal(['spec.x: Invalid value: 0: spec.x in body should have at least 1 items']);
    expect(errorsFor(list, ['a', 'b', 'c'])).to.deep.equal(['spec.x: Too many: 3: must have at most 2 items']);
    const map = { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 1 };
    expect(errorsFor(map, {})).to.deep.equal(['spec.x: Invalid value: 0: spec.x in body should have at least 1 properties']);
    expect(errorsFor(map, { a: 'x', b: 'y' })).to.deep.equal(['spec.x: Too many: 2: must have at most 1 item']);
  });

  it('names each missing required field', () => {
    const root = compileSchema({
      type: 'object',
      required: ['spec'],
      properties: {
        spec: { type: 'object', required: ['clusterName', 'nodeName'], properties: { clusterName: { type: 'string' }, nodeName: { type: 'string' } } },
      },
    });
    expect(validateResource({}, root).map(errorText)).to.deep.equal(['spec: Required value']);
    expect(validateResource({ spec: { nodeName: 'n' } }, root).map(errorText)).to.deep.equal(['spec.clusterName: Required value']);
  });

  it('refuses repeated values in a set list and repeated keys in a map list, at the repeated index', () => {
    expect(errorsFor({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, ['a', 'b', 'a'])).to.deep.equal([
      'spec.x[2]: Duplicate value: "a"',
    ]);
    const conditions = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' } } },
    };
    expect(
      errorsFor(conditions, [
        { type: 'Ready', status: 'True' },
        { type: 'Ready', status: 'False' },
      ]),
    ).to.deep.equal(['spec.x[1]: Duplicate value: {"type":"Ready"}']);
    expect(reasonsFor(conditions, [{ type: 'Ready' }, { type: 'Ready' }])).to.deep.equal(['FieldValueDuplicate']);
  });

  it('requires apiVersion and kind of an embedded resource', () => {
    expect(errorsFor({ type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true }, { metadata: {} })).to.deep.equal(
      ['spec.x.apiVersion: Required value', 'spec.x.kind: Required value'],
    );
  });

  it('checks every item of a list and every value of a map against their schema', () => {
    const root = compileSchema({
      type: 'object',
      properties: {
        ports: { type: 'array', items: { type: 'integer', maximum: 10 } },
        labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 2 } },
      },
    });
    expect(validateResource({ ports: [1, 20], labels: { a: 'long' } }, root).map(errorText)).to.deep.equal([
      'ports[1]: Invalid value: 20: ports[1] in body should be less than or equal to 10',
      'labels.a: Too long: may not be more than 2 bytes',
    ]);
  });
});
