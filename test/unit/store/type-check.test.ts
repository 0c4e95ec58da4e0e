import { expect } from 'chai';
import { JsonShapeError, MAX_EXPANDED_VALUES, MAX_NESTING_DEPTH, checkJsonShape, measureJson } from '../../../src/simulator/api/json-limits.js';
import { loadYamlBounded } from '../../../src/simulator/api/yaml-body.js';
import { cloneObject, jsonEqual } from '../../../src/simulator/store/object.js';
import { findTypeMismatch } from '../../../src/simulator/store/type-check.js';
import { goDecodeMessage, goPrint } from '../../../src/simulator/store/type-errors.js';

/** A value nested `depth` levels: objects and arrays in turn. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

describe('JSON shape limits', () => {
  it('measures depth and values without recursion, even far past what a recursive walk survives', () => {
    expect(measureJson(1)).to.deep.equal({ depth: 0, values: 1, exceeded: false });
    expect(measureJson({ a: [1, 2] })).to.deep.equal({ depth: 2, values: 4, exceeded: false });
    const shape = measureJson(nested(200_000), Number.MAX_SAFE_INTEGER);
    expect(shape).to.include({ depth: 200_000, exceeded: false });
  });

  it(`accepts ${MAX_NESTING_DEPTH} levels and refuses one more, naming how the deepest value opens`, () => {
    expect(() => checkJsonShape(nested(MAX_NESTING_DEPTH))).not.to.throw();
    const err = captured(() => checkJsonShape(JSON.parse('['.repeat(MAX_NESTING_DEPTH + 1) + ']'.repeat(MAX_NESTING_DEPTH + 1))));
    expect(err).to.be.instanceOf(JsonShapeError);
    expect(err.message).to.equal("invalid character '[' exceeded max depth");
  });

  it('counts a YAML alias at every place it appears, and refuses a billion laughs', () => {
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    const doc = loadYamlBounded(lines.join('\n'), 'bad YAML');
    const err = captured(() => checkJsonShape(doc));
    expect(err).to.be.instanceOf(JsonShapeError).and.to.have.property('aliasing', true);
    expect(measureJson(doc).values).to.be.greaterThan(MAX_EXPANDED_VALUES);
  });

  it('refuses YAML nested past the limit while parsing, before the parser recurses further', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    expect(captured(() => loadYamlBounded(deep, 'bad YAML'))).to.be.instanceOf(JsonShapeError);
  });

  it('cloneObject and jsonEqual work on values deeper than the JavaScript stack allows recursion', () => {
    const deep = nested(100_000);
    const copy = cloneObject(deep);
    expect(copy).not.to.equal(deep);
    expect(jsonEqual(deep, copy)).to.equal(true);
    expect(jsonEqual(deep, nested(99_999))).to.equal(false);
  });

  it('cloneObject keeps a "__proto__" key as data', () => {
    const obj = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneObject(obj);
    expect(Object.keys(copy)).to.deep.equal(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});

describe('type checks of built-in kinds against the kube-types schema', () => {
  const message = (apiVersion: string, kind: string, obj: Record<string, unknown>): string | undefined => {
    const m = findTypeMismatch(apiVersion, kind, obj);
    return m && goDecodeMessage(m);
  };

  it('names the innermost Go struct, the JSON path without map keys or indices, and the Go type (as kube-apiserver v1.34 does)', () => {
    expect(message('v1', 'ConfigMap', { data: { a: { b: 'c' } } })).to.equal('json: cannot unmarshal object into Go struct field ConfigMap.data of type string');
    expect(message('v1', 'ConfigMap', { data: 'x' })).to.equal('json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string');
    expect(message('v1', 'ConfigMap', { metadata: [] })).to.equal('json: cannot unmarshal array into Go struct field ConfigMap.metadata of type v1.ObjectMeta');
    expect(message('v1', 'ConfigMap', { metadata: { labels: { a: 1 } } })).to.equal('json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
    expect(message('v1', 'Pod', { spec: { containers: 'x' } })).to.equal('json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container');
    expect(message('v1', 'Pod', { spec: { containers: [{ name: 'c', ports: [{ containerPort: '80' }] }] } })).to.equal(
      'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
    expect(message('apps/v1', 'Deployment', { spec: { replicas: 1.5 } })).to.equal('json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
    expect(message('apps/v1', 'Deployment', { spec: { replicas: 2 ** 40 } })).to.equal(
      'json: cannot unmarshal number 1099511627776 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });

  it("uses the formats' own errors: quantities, times, base64", () => {
    expect(message('v1', 'Pod', { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] } })).to.equal(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(message('v1', 'Secret', { data: { a: '!!!' } })).to.equal('illegal base64 data at input byte 0');
    expect(message('v1', 'Pod', { metadata: { creationTimestamp: 'yesterday' } })).to.match(/^parsing time "yesterday"/);
  });

  it('accepts what Go decodes: nulls, numbers for quantities, ints or strings, valid base64, unknown fields, custom kinds', () => {
    expect(findTypeMismatch('v1', 'ConfigMap', { data: { a: null }, bogus: { x: 1 } })).to.equal(undefined);
    expect(findTypeMismatch('v1', 'Pod', { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '1Gi' } } }] } })).to.equal(undefined);
    expect(findTypeMismatch('apps/v1', 'Deployment', { spec: { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } } })).to.equal(undefined);
    expect(findTypeMismatch('v1', 'Secret', { data: { a: 'aGVsbG8=' } })).to.equal(undefined);
    expect(findTypeMismatch('example.com/v1', 'Widget', { spec: 5 })).to.equal(undefined);
  });

  it('treats numbers as convertible for strategic merge and apply, as the unstructured converter does', () => {
    expect(findTypeMismatch('apps/v1', 'Deployment', { spec: { replicas: 1.5 } }, { numbersConvert: true })).to.equal(undefined);
    expect(findTypeMismatch('v1', 'ConfigMap', { data: { a: 5 } }, { numbersConvert: true })).to.include({ goType: 'string', got: 'number' });
  });

  it('prints a patch as Go prints a map: sorted keys, no quotes', () => {
    expect(goPrint({ metadata: { labels: { a: 1 } }, data: { q: 'r' }, immutable: 'x' })).to.equal('map[data:map[q:r] immutable:x metadata:map[labels:map[a:1]]]');
    expect(goPrint({ a: [1, 'x', null] })).to.equal('map[a:[1 x <nil>]]');
  });
});

function captured(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
