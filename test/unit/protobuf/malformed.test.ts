import { expect } from 'chai';
import protobuf from 'protobufjs';
import { StatusError } from '../../../src/simulator/api/errors.js';
import { decodeKubernetesProtobuf } from '../../../src/simulator/protobuf/decode.js';
import { MAX_NESTING_DEPTH } from '../../../src/simulator/protobuf/wire.js';
import { clientGoEncode, dropNulls, ensurePbencode, PBENCODE_BUILD_TIMEOUT_MS } from './client-go.js';
import { configMap } from './fixtures.js';

/**
 * Bad input and wire-format corner cases. Bodies are client-go's where
 * possible; the altered ones are rebuilt with protobufjs' Writer (an
 * independent encoder) using field numbers from Kubernetes' generated.proto.
 */

const { Reader, Writer } = protobuf;
const MAGIC = Buffer.from('k8s\0', 'latin1');
const Wire = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, FIXED32: 5 } as const;
const tag = (field: number, wire: number): number => (field << 3) | wire;

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw, extra fields}. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra?: (w: protobuf.Writer) => void): Buffer {
  const w = Writer.create();
  w.uint32(tag(1, Wire.LEN)).fork();
  if (apiVersion) w.uint32(tag(1, Wire.LEN)).string(apiVersion);
  if (kind) w.uint32(tag(2, Wire.LEN)).string(kind);
  w.ldelim();
  w.uint32(tag(2, Wire.LEN)).bytes(raw);
  extra?.(w);
  return Buffer.concat([MAGIC, w.finish()]);
}

/** The object's own message (runtime.Unknown field 2) from a client-go body. */
function rawOf(body: Buffer): Buffer {
  const r = Reader.create(body.subarray(MAGIC.length));
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 2) return Buffer.from(r.bytes());
    r.skipType(t & 7);
  }
  throw new Error('client-go body without raw');
}

function decodeError(body: Uint8Array): StatusError {
  try {
    decodeKubernetesProtobuf(body);
  } catch (err) {
    expect(err).to.be.instanceOf(StatusError);
    return err as StatusError;
  }
  expect.fail('decoding succeeded where it should have failed');
}

describe('decodeKubernetesProtobuf on bad input', function () {
  before(function () {
    this.timeout(PBENCODE_BUILD_TIMEOUT_MS);
    ensurePbencode();
  });

  it('answers 400 to a JSON body sent as protobuf (wrong magic), saying what the prefix must be', () => {
    const err = decodeError(Buffer.from('{"apiVersion":"v1","kind":"ConfigMap"}'));
    expect(err.code).to.equal(400);
    expect(err.reason).to.equal('BadRequest');
    expect(err.message).to.include('k8s\\0').and.include('0x7b226170');
  });

  it('answers 400 to an empty body and to one shorter than the magic', () => {
    expect(decodeError(new Uint8Array()).message).to.include('an empty body');
    expect(decodeError(Buffer.from('k8s')).message).to.include('only 3 bytes');
  });

  it('answers 400 to a client-go body cut off before its end (truncated envelope)', () => {
    const { protobuf: body } = clientGoEncode(configMap);
    const err = decodeError(body.subarray(0, body.length - 10));
    expect(err.code).to.equal(400);
    expect(err.message).to.match(/malformed Kubernetes protobuf envelope.*truncated/);
  });

  it('answers 400 naming metadata when the metadata message claims more bytes than its parent has', () => {
    const raw = rawOf(clientGoEncode(configMap).protobuf);
    const r = Reader.create(raw);
    expect(r.uint32()).to.equal(tag(1, Wire.LEN)); // ConfigMap.metadata
    const length = r.uint32();
    const rest = raw.subarray(r.pos);
    const w = Writer.create().uint32(tag(1, Wire.LEN)).uint32(length + 1000);
    const err = decodeError(envelope('v1', 'ConfigMap', Buffer.concat([w.finish(), rest])));
    expect(err.code).to.equal(400);
    expect(err.message).to.match(/for ConfigMap \(v1\) at metadata: truncated: a length-delimited value/);
  });

  it('answers 400 naming the field when a string field arrives with the varint wire type', () => {
    // ConfigMap{metadata{name: <varint 5>}}: ObjectMeta.name is field 1, a string.
    const raw = Writer.create().uint32(tag(1, Wire.LEN)).fork().uint32(tag(1, Wire.VARINT)).uint32(5).ldelim().finish();
    const err = decodeError(envelope('v1', 'ConfigMap', raw));
    expect(err.code).to.equal(400);
    expect(err.message).to.include('at metadata.name: field number 1 has wire type varint where a string (length-delimited)');
  });

  it('names list positions in the path of a nested wrong wire type (spec.containers[1].ports[0].containerPort)', () => {
    // Pod{spec(2){containers(2): [{name(1)}, {name(1), ports(6): [{containerPort(3): <length-delimited>}]}]}}
    const port = Writer.create().uint32(tag(3, Wire.LEN)).string('8080').finish();
    const second = Writer.create().uint32(tag(1, Wire.LEN)).string('b').uint32(tag(6, Wire.LEN)).bytes(port).finish();
    const first = Writer.create().uint32(tag(1, Wire.LEN)).string('a').finish();
    const spec = Writer.create().uint32(tag(2, Wire.LEN)).bytes(first).uint32(tag(2, Wire.LEN)).bytes(second).finish();
    const raw = Writer.create().uint32(tag(2, Wire.LEN)).bytes(spec).finish();
    const err = decodeError(envelope('v1', 'Pod', raw));
    expect(err.code).to.equal(400);
    expect(err.message).to.include('at spec.containers[1].ports[0].containerPort: field number 3 has wire type length-delimited');
  });

  it('answers 415 naming an unknown kind that client-go sent (autoscaling/v2 HorizontalPodAutoscaler)', () => {
    const { protobuf: body } = clientGoEncode({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    });
    const err = decodeError(body);
    expect(err.code).to.equal(415);
    expect(err.reason).to.equal('UnsupportedMediaType');
    expect(err.message).to.include('HorizontalPodAutoscaler (autoscaling/v2)').and.include('application/json');
  });

  it('answers 415 naming an unknown apiVersion (example.com/v1 Widget)', () => {
    const err = decodeError(envelope('example.com/v1', 'Widget', new Uint8Array()));
    expect(err.code).to.equal(415);
    expect(err.message).to.include('Widget (example.com/v1)');
  });

  it('answers 400 to an envelope whose typeMeta names no kind', () => {
    const err = decodeError(envelope('v1', '', new Uint8Array()));
    expect(err.code).to.equal(400);
    expect(err.message).to.include('names no kind');
  });

  it('answers 415 to a content encoding (gzip) inside the envelope', () => {
    const body = envelope('v1', 'ConfigMap', new Uint8Array(), (w) => w.uint32(tag(3, Wire.LEN)).string('gzip'));
    const err = decodeError(body);
    expect(err.code).to.equal(415);
    expect(err.message).to.include('"gzip"');
  });

  it('answers 400 to a varint longer than 10 bytes', () => {
    const raw = Buffer.from([tag(15, Wire.VARINT), ...Array<number>(11).fill(0xff), 0x01]);
    expect(decodeError(envelope('v1', 'ConfigMap', raw)).message).to.include('longer than 10 bytes');
  });

  it('answers 400 to the deprecated group wire type, even in an unknown field', () => {
    const raw = Buffer.from([tag(15, Wire.START_GROUP)]);
    expect(decodeError(envelope('v1', 'ConfigMap', raw)).message).to.include('unsupported start-group');
  });

  it('answers 400 to messages nested deeper than the limit (a CRD schema with `not` 1100 levels deep)', () => {
    // JSONSchemaProps.not (28) refers to JSONSchemaProps: the only way to nest without end.
    let schema: Uint8Array = new Uint8Array();
    for (let i = 0; i < 1100; i++) schema = Writer.create().uint32(tag(28, Wire.LEN)).bytes(schema).finish();
    // CRD{spec(2){versions(7){schema(4){openAPIV3Schema(1): schema}}}}
    const validation = Writer.create().uint32(tag(1, Wire.LEN)).bytes(schema).finish();
    const version = Writer.create().uint32(tag(4, Wire.LEN)).bytes(validation).finish();
    const spec = Writer.create().uint32(tag(7, Wire.LEN)).bytes(version).finish();
    const raw = Writer.create().uint32(tag(2, Wire.LEN)).bytes(spec).finish();
    const err = decodeError(envelope('apiextensions.k8s.io/v1', 'CustomResourceDefinition', raw));
    expect(err.code).to.equal(400);
    expect(err.message).to.include(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(err.message).to.match(/openAPIV3Schema(\.not)+\.\(\d+ more\)\.not/).and.have.length.below(500);
  });

  it('answers 400 to field number 0', () => {
    expect(decodeError(envelope('v1', 'ConfigMap', Buffer.from([0x02, 0x00]))).message).to.include('field number 0');
  });
});

describe('decodeKubernetesProtobuf wire-format tolerance', function () {
  before(function () {
    this.timeout(PBENCODE_BUILD_TIMEOUT_MS);
    ensurePbencode();
  });

  it('skips field numbers newer than its schema, on every wire type', () => {
    const { protobuf: body, json } = clientGoEncode(configMap);
    const unknown = Writer.create()
      .uint32(tag(99, Wire.VARINT)).uint64(12345678901)
      .uint32(tag(98, Wire.FIXED64)).double(1.5)
      .uint32(tag(97, Wire.LEN)).bytes(Buffer.from([1, 2, 3]))
      .uint32(tag(96, Wire.FIXED32)).fixed32(7)
      .finish();
    const decoded = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Buffer.concat([rawOf(body), unknown])));
    expect(decoded).to.deep.equal(dropNulls(json));
  });

  it('ignores unknown fields of the envelope itself', () => {
    const { protobuf: body, json } = clientGoEncode(configMap);
    const decoded = decodeKubernetesProtobuf(
      envelope('v1', 'ConfigMap', rawOf(body), (w) => w.uint32(tag(9, Wire.VARINT)).uint32(1)),
    );
    expect(decoded).to.deep.equal(dropNulls(json));
  });

  it('accepts repeated scalars packed as well as unpacked (PodSecurityContext.supplementalGroups)', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', spec: { securityContext: { supplementalGroups: [1, 2, 300000] } } };
    const { protobuf: unpacked, json } = clientGoEncode(pod);
    const expected = (json['spec'] as Record<string, unknown>)['securityContext'];
    const fromClientGo = decodeKubernetesProtobuf(unpacked);
    expect((fromClientGo['spec'] as Record<string, unknown>)['securityContext']).to.deep.equal(expected);

    // Pod{spec(2){securityContext(14){supplementalGroups(4): packed [1, 2, 300000]}}}
    const groups = Writer.create().uint32(tag(4, Wire.LEN)).fork().int64(1).int64(2).int64(300000).ldelim().finish();
    const spec = Writer.create().uint32(tag(14, Wire.LEN)).bytes(groups).finish();
    const raw = Writer.create().uint32(tag(2, Wire.LEN)).bytes(spec).finish();
    const packed = decodeKubernetesProtobuf(envelope('v1', 'Pod', raw));
    expect(packed).to.deep.equal({ apiVersion: 'v1', kind: 'Pod', spec: { securityContext: expected } });
  });

  it('decodes times before 1970 (negative int64 seconds, a 10-byte varint)', () => {
    const cm = { ...configMap, metadata: { name: 'old', creationTimestamp: '1960-06-01T12:00:00Z' } };
    const { protobuf: body, json } = clientGoEncode(cm);
    const decoded = decodeKubernetesProtobuf(body);
    expect(decoded).to.deep.equal(dropNulls(json));
    expect((decoded['metadata'] as Record<string, unknown>)['creationTimestamp']).to.equal('1960-06-01T12:00:00Z');
  });

  it('takes a JSON object carried in the envelope with contentType application/json', () => {
    const body = envelope('v1', 'ConfigMap', Buffer.from('{"metadata":{"name":"x"},"data":{"a":"b"}}'), (w) =>
      w.uint32(tag(4, Wire.LEN)).string('application/json'),
    );
    expect(decodeKubernetesProtobuf(body)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: 'b' },
    });
  });

  it('accepts a Uint8Array that is a view into a larger buffer', () => {
    const { protobuf: body, json } = clientGoEncode(configMap);
    const padded = new Uint8Array(body.length + 16);
    padded.set(body, 8);
    expect(decodeKubernetesProtobuf(padded.subarray(8, 8 + body.length))).to.deep.equal(dropNulls(json));
  });
});
