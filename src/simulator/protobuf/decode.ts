import { badRequest, StatusError } from '../api/errors.js';
import { messageType, typeNameFor, type FieldType, type MessageFormat, type MessageType } from '../schema/index.js';
import { componentLogger } from '../../telemetry/logger.js';
import { formatGoDuration, formatMicroTime, formatTime, shortestFloat32 } from './go-json.js';
import { WIRE_TYPE_NAMES, WireError, WireReader, WireType } from './wire.js';

/**
 * Decodes request bodies in Kubernetes protobuf (what client-go, and so
 * every controller-runtime controller, sends for built-in kinds) into the
 * JSON object kube-apiserver would hold for them. Decoding is generic: it is
 * driven by the type schema (src/simulator/schema), never by per-kind code.
 *
 * Wire format: the 4 bytes `k8s\0`, then a runtime.Unknown message
 * {1: typeMeta {1: apiVersion, 2: kind}, 2: raw (the object's own message),
 * 3: contentEncoding, 4: contentType}.
 */

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The prefix kube-apiserver and client-go put before every protobuf object. */
const PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];
const JSON_CONTENT_TYPE = 'application/json';

const UnknownField = { TYPE_META: 1, RAW: 2, CONTENT_ENCODING: 3, CONTENT_TYPE: 4 } as const;
const TypeMetaField = { API_VERSION: 1, KIND: 2 } as const;
const MapEntryField = { KEY: 1, VALUE: 2 } as const;
const IntOrStringType = { STRING: 1 } as const;

const log = componentLogger('protobuf');

/** Whether protobuf bodies of this kind can be decoded. */
export function isProtobufKnown(apiVersion: string, kind: string): boolean {
  return typeNameFor(apiVersion, kind) !== undefined;
}

/**
 * Decodes one Kubernetes protobuf request body into its JSON object, with
 * `apiVersion` and `kind` set from the envelope. DeleteOptions keep the
 * group version the client chose (e.g. `apps/v1` when deleting a Deployment).
 *
 * @throws StatusError 400 for malformed bytes (the message says where),
 *   415 for a kind the schema does not cover (the client should send JSON).
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!hasMagic(buf)) {
    throw badRequest(
      `the request body is not Kubernetes protobuf: it must start with the 4 bytes "k8s\\0" ` +
        `(got ${describePrefix(buf)}); send ${PROTOBUF_CONTENT_TYPE} bodies as client-go encodes them, ` +
        `or use ${JSON_CONTENT_TYPE}`,
    );
  }
  const envelope = readEnvelope(buf);
  const { apiVersion, kind } = envelope;
  if (!kind || !apiVersion) {
    throw badRequest(
      `the Kubernetes protobuf envelope names no ${!kind ? 'kind' : 'apiVersion'}: ` +
        'the runtime.Unknown typeMeta must carry both apiVersion and kind',
    );
  }
  if (envelope.contentEncoding) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `${kind} (${apiVersion}) arrived with content encoding "${envelope.contentEncoding}" inside its protobuf envelope, ` +
        `which the simulator does not support; send it unencoded or as ${JSON_CONTENT_TYPE}`,
    );
  }
  const raw = buf.subarray(envelope.rawStart, envelope.rawEnd);
  if (envelope.contentType && !envelope.contentType.startsWith(PROTOBUF_CONTENT_TYPE)) {
    return decodeEmbeddedJson(raw, envelope.contentType, apiVersion, kind);
  }
  const typeName = typeNameFor(apiVersion, kind);
  if (typeName === undefined) throw unknownKind(apiVersion, kind);

  const out: Record<string, unknown> = { apiVersion, kind };
  const reader = new WireReader(buf, enclosingDepth);
  reader.pos = envelope.rawStart;
  reader.limit = envelope.rawEnd;
  try {
    decodeFields(reader, compiled(typeName), out);
  } catch (err) {
    if (err instanceof WireError) {
      const at = err.path.length > 0 ? ` at ${formatPath(err.path)}` : '';
      throw badRequest(`malformed Kubernetes protobuf body for ${kind} (${apiVersion})${at}: ${err.message}`);
    }
    throw err;
  }
  return out;
}

/** Path segments shown at each end of an error's path; a crafted deep body would make it huge. */
const PATH_SEGMENTS_SHOWN = 8;

function formatPath(path: readonly string[]): string {
  if (path.length <= 2 * PATH_SEGMENTS_SHOWN) return path.join('.');
  const hidden = path.length - 2 * PATH_SEGMENTS_SHOWN;
  return [...path.slice(0, PATH_SEGMENTS_SHOWN), `(${hidden} more)`, ...path.slice(-PATH_SEGMENTS_SHOWN)].join('.');
}

function hasMagic(buf: Buffer): boolean {
  if (buf.length < PROTOBUF_MAGIC.length) return false;
  return PROTOBUF_MAGIC.every((byte, i) => buf[i] === byte);
}

function describePrefix(buf: Buffer): string {
  if (buf.length === 0) return 'an empty body';
  const head = buf.subarray(0, PROTOBUF_MAGIC.length);
  return `0x${head.toString('hex')}${buf.length < PROTOBUF_MAGIC.length ? ` (only ${buf.length} bytes)` : ''}`;
}

const warnedKinds = new Set<string>();

function unknownKind(apiVersion: string, kind: string): StatusError {
  const key = `${apiVersion}/${kind}`;
  if (!warnedKinds.has(key)) {
    // Once per kind: it means a client relies on a kind hack/schemagen/kinds.go should list.
    warnedKinds.add(key);
    log.warn({ apiVersion, kind }, 'protobuf body of a kind missing from the type schema');
  }
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the simulator cannot decode ${kind} (${apiVersion}) from ${PROTOBUF_CONTENT_TYPE}: ` +
      'the kind is not in its type schema; ' +
      `send it as ${JSON_CONTENT_TYPE} (set the client's content type), or add the kind to hack/schemagen/kinds.go`,
  );
}

interface Envelope {
  apiVersion: string;
  kind: string;
  rawStart: number;
  rawEnd: number;
  contentEncoding: string;
  contentType: string;
}

/** Reads the runtime.Unknown after the magic. */
function readEnvelope(buf: Buffer): Envelope {
  const r = new WireReader(buf);
  r.pos = PROTOBUF_MAGIC.length;
  const env: Envelope = { apiVersion: '', kind: '', rawStart: 0, rawEnd: 0, contentEncoding: '', contentType: '' };
  try {
    while (!r.atEnd) {
      const tag = r.uint32();
      const number = tag >>> 3;
      const wire = tag & 7;
      if (number === 0) throw new WireError('invalid field number 0');
      if (number > UnknownField.CONTENT_TYPE) {
        r.skip(wire);
        continue;
      }
      expectWire(wire, WireType.LENGTH_DELIMITED, number, 'string or message');
      switch (number) {
        case UnknownField.TYPE_META: {
          const outer = r.enter();
          while (!r.atEnd) {
            const t = r.uint32();
            const n = t >>> 3;
            if (n === TypeMetaField.API_VERSION || n === TypeMetaField.KIND) {
              expectWire(t & 7, WireType.LENGTH_DELIMITED, n, 'string');
              if (n === TypeMetaField.API_VERSION) env.apiVersion = r.string();
              else env.kind = r.string();
            } else {
              r.skip(t & 7);
            }
          }
          r.leave(outer);
          break;
        }
        case UnknownField.RAW:
          env.rawEnd = r.lengthDelimitedEnd();
          env.rawStart = r.pos;
          r.pos = env.rawEnd;
          break;
        case UnknownField.CONTENT_ENCODING:
          env.contentEncoding = r.string();
          break;
        default:
          env.contentType = r.string();
      }
    }
  } catch (err) {
    if (err instanceof WireError) {
      throw badRequest(`malformed Kubernetes protobuf envelope (runtime.Unknown): ${err.message}`);
    }
    throw err;
  }
  return env;
}

function decodeEmbeddedJson(raw: Buffer, contentType: string, apiVersion: string, kind: string): Record<string, unknown> {
  if (!contentType.startsWith(JSON_CONTENT_TYPE)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `${kind} (${apiVersion}) arrived as "${contentType}" inside its protobuf envelope; ` +
        `the simulator reads ${PROTOBUF_CONTENT_TYPE} and ${JSON_CONTENT_TYPE} there`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    const why = (err as Error).message;
    throw badRequest(`the JSON inside the protobuf envelope of ${kind} (${apiVersion}) is invalid: ${why}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest(`the JSON inside the protobuf envelope of ${kind} (${apiVersion}) is not an object`);
  }
  return { ...(parsed as Record<string, unknown>), apiVersion, kind };
}

// ---------------------------------------------------------------------------
// Schema-driven message decoding.

/**
 * Internal value type of the byte fields of 'raw-json' messages: a view of
 * the bytes (parsed as JSON afterwards) instead of a base64 string.
 */
type ValueType = FieldType | 'raw';

interface CompiledField {
  readonly name: string;
  readonly number: number;
  readonly type: ValueType;
  readonly wireType: number;
  readonly repeated: boolean;
  /** Numeric repeated fields may arrive packed in one length-delimited value. */
  readonly packable: boolean;
  /** Non-pointer omitempty scalars: Go's JSON leaves their zero value out. */
  readonly omitZero: boolean;
  readonly inline: boolean;
  readonly mapKey: ValueType;
  readonly mapValue: ValueType;
  readonly ref: string | undefined;
  /** The referenced message, resolved on first use (types refer to each other in cycles). */
  message: CompiledMessage | undefined;
}

interface CompiledMessage {
  readonly name: string;
  readonly format: MessageFormat | undefined;
  /** Indexed by field number; holes are unknown fields, skipped on the wire. */
  readonly byNumber: ReadonlyArray<CompiledField | undefined>;
}

const compiledTypes = new Map<string, CompiledMessage>();

function compiled(name: string): CompiledMessage {
  let message = compiledTypes.get(name);
  if (!message) {
    const schema = messageType(name);
    if (!schema) throw new Error(`the type schema refers to message ${name} but does not define it; regenerate it`);
    message = compile(schema);
    compiledTypes.set(name, message);
  }
  return message;
}

function wireTypeOf(type: ValueType): number {
  switch (type) {
    case 'bool':
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'sint32':
    case 'sint64':
      return WireType.VARINT;
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return WireType.FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return WireType.FIXED32;
    default:
      return WireType.LENGTH_DELIMITED;
  }
}

function compile(schema: MessageType): CompiledMessage {
  const byNumber: Array<CompiledField | undefined> = [];
  for (const field of schema.fields) {
    const type: ValueType = schema.format === 'raw-json' && field.type === 'bytes' ? 'raw' : field.type;
    const wireType = wireTypeOf(type);
    const scalar = type !== 'message' && type !== 'map';
    byNumber[field.number] = {
      name: field.name,
      number: field.number,
      type,
      wireType,
      repeated: field.repeated === true,
      packable: wireType !== WireType.LENGTH_DELIMITED,
      omitZero: scalar && field.omitempty === true && field.pointer !== true && field.repeated !== true,
      inline: field.inline === true,
      mapKey: field.key ?? 'string',
      mapValue: field.value ?? 'string',
      ref: field.ref,
      message: undefined,
    };
  }
  return { name: schema.name, format: schema.format, byNumber };
}

function messageOf(field: CompiledField): CompiledMessage {
  if (!field.message) {
    if (field.ref === undefined) throw new Error(`field ${field.name} of the type schema names no message type`);
    field.message = compiled(field.ref);
  }
  return field.message;
}

function expectWire(actual: number, expected: number, number: number, what: string): void {
  if (actual !== expected) {
    throw new WireError(
      `field number ${number} has wire type ${WIRE_TYPE_NAMES[actual]} where a ${what} ` +
        `(${WIRE_TYPE_NAMES[expected]}) is expected`,
    );
  }
}

/** Decodes fields until the reader's limit, adding them to `out`. */
function decodeFields(r: WireReader, message: CompiledMessage, out: Record<string, unknown>): void {
  const byNumber = message.byNumber;
  while (r.pos < r.limit) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) throw new WireError('invalid field number 0');
    const field = byNumber[number];
    if (field === undefined) {
      // Forward compatibility: fields newer than our schema are dropped.
      r.skip(wire);
      continue;
    }
    try {
      decodeField(r, field, wire, out);
    } catch (err) {
      if (err instanceof WireError && !field.inline) err.path.unshift(pathLabel(field, out));
      throw err;
    }
  }
}

function pathLabel(field: CompiledField, out: Record<string, unknown>): string {
  if (!field.repeated) return field.name;
  const list = out[field.name];
  return `${field.name}[${Array.isArray(list) ? list.length : 0}]`;
}

function decodeField(r: WireReader, field: CompiledField, wire: number, out: Record<string, unknown>): void {
  if (field.type === 'map') {
    expectWire(wire, WireType.LENGTH_DELIMITED, field.number, 'map entry');
    let map = out[field.name] as Record<string, unknown> | undefined;
    if (map === undefined) out[field.name] = map = {};
    decodeMapEntry(r, field, map);
    return;
  }
  if (field.repeated) {
    let list = out[field.name] as unknown[] | undefined;
    if (list === undefined) out[field.name] = list = [];
    if (field.packable && wire === WireType.LENGTH_DELIMITED) {
      // Packed: one length-delimited run of values. Both forms are legal for the same field.
      const outer = r.enter();
      while (r.pos < r.limit) list.push(readScalar(r, field.type));
      r.leave(outer);
      return;
    }
    expectWire(wire, field.wireType, field.number, field.type);
    list.push(field.type === 'message' ? readMessageValue(r, messageOf(field)) : readScalar(r, field.type));
    return;
  }
  expectWire(wire, field.wireType, field.number, field.type);
  if (field.type === 'message') {
    const message = messageOf(field);
    if (field.inline) {
      readMessageInto(r, message, out);
      return;
    }
    if (message.format) {
      setOrDrop(out, field.name, readFormatted(r, message, message.format));
      return;
    }
    // A message field repeated on the wire merges into the first (protobuf semantics).
    const existing = out[field.name];
    const target = isObject(existing) ? existing : {};
    readMessageInto(r, message, target);
    out[field.name] = target;
    return;
  }
  const value = readScalar(r, field.type);
  if (field.omitZero && (value === 0 || value === '' || value === false)) {
    delete out[field.name];
    return;
  }
  out[field.name] = value;
}

function setOrDrop(out: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete out[name];
  else out[name] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readMessageInto(r: WireReader, message: CompiledMessage, out: Record<string, unknown>): void {
  const outer = r.enter();
  decodeFields(r, message, out);
  r.leave(outer);
}

function readMessageValue(r: WireReader, message: CompiledMessage): unknown {
  if (message.format) return readFormatted(r, message, message.format);
  const out: Record<string, unknown> = {};
  readMessageInto(r, message, out);
  return out;
}

/** A message with a special JSON form: decode its fields, then convert. */
function readFormatted(r: WireReader, message: CompiledMessage, format: MessageFormat): unknown {
  const outer = r.enter();
  const length = r.limit - r.pos;
  const fields: Record<string, unknown> = {};
  decodeFields(r, message, fields);
  const saved = enclosingDepth;
  // An object embedded in a raw field continues this reader's nesting count.
  enclosingDepth = r.nesting;
  try {
    return fromFormat(format, fields, length);
  } finally {
    enclosingDepth = saved;
    r.leave(outer);
  }
}

function decodeMapEntry(r: WireReader, field: CompiledField, map: Record<string, unknown>): void {
  const outer = r.enter();
  let key: unknown = zeroOf(field.mapKey);
  let value: unknown;
  while (r.pos < r.limit) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === MapEntryField.KEY) {
      expectWire(wire, wireTypeOf(field.mapKey), number, `map key (${field.mapKey})`);
      key = readScalar(r, field.mapKey);
    } else if (number === MapEntryField.VALUE) {
      expectWire(wire, wireTypeOf(field.mapValue), number, `map value (${field.mapValue})`);
      value = field.mapValue === 'message' ? readMessageValue(r, messageOf(field)) : readScalar(r, field.mapValue);
    } else {
      r.skip(wire);
    }
  }
  r.leave(outer);
  if (value === undefined) {
    // An entry without a value holds the value type's zero.
    if (field.mapValue !== 'message') value = zeroOf(field.mapValue);
    else {
      const message = messageOf(field);
      value = message.format ? fromFormat(message.format, {}, 0) : {};
    }
  }
  setProperty(map, String(key), value);
}

/**
 * Sets a property named by the client. A key "__proto__" (a legal
 * ConfigMap key) would otherwise replace the object's prototype instead of
 * becoming a property, unlike JSON.parse, which defines it.
 */
function setProperty(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

function zeroOf(type: ValueType): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function readScalar(r: WireReader, type: ValueType): unknown {
  switch (type) {
    case 'string':
      return r.string();
    case 'bytes':
      // Go's JSON writes []byte as standard padded base64.
      return r.base64();
    case 'raw':
      return r.bytesView();
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint32':
      return r.uint32();
    case 'uint64':
      return r.uint64();
    case 'sint32':
      return r.sint32();
    case 'sint64':
      return r.sint64();
    case 'double':
      return r.double();
    case 'float':
      return shortestFloat32(r.float());
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.sfixed32();
    case 'fixed64':
      return r.fixed64();
    case 'sfixed64':
      return r.sfixed64();
    default:
      throw new Error(`readScalar called for ${type}`);
  }
}

/**
 * The JSON form of a message with a special format, from its decoded
 * fields (named as in the schema). undefined means "leave the field out",
 * which is what Go's JSON does for a zero time (it writes null).
 */
function fromFormat(format: MessageFormat, f: Record<string, unknown>, byteLength: number): unknown {
  switch (format) {
    case 'time':
      // An empty message is the zero time (metav1.Time's protobuf Unmarshal);
      // nanoseconds are dropped, as kube-apiserver does.
      return byteLength === 0 ? undefined : formatTime(num(f['seconds']));
    case 'micro-time':
      return byteLength === 0 ? undefined : formatMicroTime(num(f['seconds']), num(f['nanos']));
    case 'duration':
      return formatGoDuration(num(f['duration']));
    case 'quantity':
      return typeof f['string'] === 'string' && f['string'] !== '' ? f['string'] : '0';
    case 'int-or-string':
      return num(f['type']) === IntOrStringType.STRING ? (f['strVal'] ?? '') : num(f['intVal']);
    case 'raw-json':
      return parseRaw(f['raw']);
    case 'items':
      return f['items'] ?? [];
    case 'schema-or-array': {
      const list = f['jSONSchemas'];
      return Array.isArray(list) && list.length > 0 ? list : f['schema'];
    }
    case 'schema-or-bool':
      return f['schema'] ?? f['allows'] ?? false;
    case 'schema-or-string-array': {
      const list = f['property'];
      return Array.isArray(list) && list.length > 0 ? list : f['schema'];
    }
  }
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** Messages entered by the reader of the object a raw field is being decoded in (0 at the top). */
let enclosingDepth = 0;

/** Objects inside objects (a RawExtension holding protobuf) nest only a level or two in practice. */
const MAX_EMBEDDED_OBJECT_DEPTH = 8;
let embeddedDepth = 0;

/**
 * RawExtension, FieldsV1 and apiextensions JSON hold JSON bytes, or a
 * whole protobuf object when the client embedded one that way.
 */
function parseRaw(raw: unknown): unknown {
  if (!(raw instanceof Buffer) || raw.length === 0) return undefined;
  if (hasMagic(raw)) {
    // Each embedded object starts a fresh reader; bound the chain separately.
    if (embeddedDepth >= MAX_EMBEDDED_OBJECT_DEPTH) {
      throw new WireError(`protobuf objects embedded in raw fields deeper than ${MAX_EMBEDDED_OBJECT_DEPTH} levels`);
    }
    embeddedDepth++;
    try {
      return decodeKubernetesProtobuf(raw);
    } finally {
      embeddedDepth--;
    }
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WireError(`an embedded raw object of ${raw.length} bytes is neither JSON nor Kubernetes protobuf`);
  }
}
