import { messageType, typeNameFor, type FieldSchema, type MessageType } from '../schema/index.js';
import { isPlainObject } from '../store/object.js';
import { WireType } from './wire.js';

/**
 * Encodes answers in Kubernetes protobuf for clients that ask for
 * `application/vnd.kubernetes.protobuf` (kube-controller-manager, client-go
 * set up for it): the inverse of decode.ts, driven by the same type schema,
 * writing fields as Go's generated code does — in field-number order,
 * non-pointer scalars and structs always (zero values included), pointers
 * only when set, map entries sorted by key — inside the `k8s\0`
 * runtime.Unknown envelope.
 */

const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const UnknownField = { TYPE_META: 1, RAW: 2, CONTENT_ENCODING: 3, CONTENT_TYPE: 4 } as const;
const TypeMetaField = { API_VERSION: 1, KIND: 2 } as const;
const MapEntryField = { KEY: 1, VALUE: 2 } as const;
const IntOrStringType = { INT: 0, STRING: 1 } as const;
/** Nesting beyond which encoding stops (objects were depth-checked when written; this only guards cycles). */
const MAX_ENCODE_DEPTH = 200;
const NANOS_PER_MICRO = 1000;
const MS_PER_SECOND = 1000;

/** Growable output: parts are concatenated once per message. */
class Writer {
  readonly parts: Buffer[] = [];
  private length = 0;

  get size(): number {
    return this.length;
  }

  bytes(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.bytes(Buffer.from(out));
  }

  tag(number: number, wire: number): void {
    this.varint((number << 3) | wire);
  }

  lengthDelimited(number: number, payload: Buffer): void {
    this.tag(number, WireType.LENGTH_DELIMITED);
    this.varint(payload.length);
    this.bytes(payload);
  }

  string(number: number, s: string): void {
    this.lengthDelimited(number, Buffer.from(s, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** Whether answers of this kind can be protobuf (custom resources and kinds outside the schema cannot). */
export function canEncodeProtobuf(apiVersion: string, kind: string): boolean {
  return typeNameFor(apiVersion, kind) !== undefined;
}

/** An object (or a typed list) in its protobuf envelope. The caller checked canEncodeProtobuf. */
export function encodeKubernetesProtobuf(obj: Record<string, unknown>, apiVersion: string, kind: string): Buffer {
  const message = messageType(typeNameFor(apiVersion, kind)!)!;
  return envelope(apiVersion, kind, encodeMessage(obj, message, 0));
}

/** The envelope of a Status (the meta/v1 Status message, not in the type schema). */
export function encodeStatusProtobuf(status: Record<string, unknown>): Buffer {
  return envelope('v1', 'Status', encodeStatus(status));
}

/**
 * One watch event as a watch stream carries it: a bare meta/v1 WatchEvent
 * (no envelope: the stream's framing says what it is) whose object is the
 * encoded object, envelope and all.
 */
export function encodeWatchEventProtobuf(type: string, object: Buffer): Buffer {
  const rawExtension = new Writer();
  rawExtension.lengthDelimited(1, object);
  const event = new Writer();
  event.string(1, type);
  event.lengthDelimited(2, rawExtension.finish());
  return event.finish();
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = new Writer();
  typeMeta.string(TypeMetaField.API_VERSION, apiVersion);
  typeMeta.string(TypeMetaField.KIND, kind);
  const unknown = new Writer();
  unknown.bytes(PROTOBUF_MAGIC);
  unknown.lengthDelimited(UnknownField.TYPE_META, typeMeta.finish());
  unknown.lengthDelimited(UnknownField.RAW, raw);
  unknown.string(UnknownField.CONTENT_ENCODING, '');
  unknown.string(UnknownField.CONTENT_TYPE, '');
  return unknown.finish();
}

const sortedFields = new Map<string, FieldSchema[]>();
function fieldsByNumber(message: MessageType): FieldSchema[] {
  let f = sortedFields.get(message.name);
  if (!f) sortedFields.set(message.name, (f = [...message.fields].sort((a, b) => a.number - b.number)));
  return f;
}

function encodeMessage(value: Record<string, unknown>, message: MessageType, depth: number): Buffer {
  if (depth > MAX_ENCODE_DEPTH) throw new Error(`protobuf encoding nested deeper than ${MAX_ENCODE_DEPTH} messages`);
  const w = new Writer();
  for (const field of fieldsByNumber(message)) {
    // An inline (embedded) struct is its own message on the wire, built from the same JSON object.
    const v = field.inline ? value : value[field.name];
    encodeField(w, field, v, depth);
  }
  return w.finish();
}

function encodeField(w: Writer, field: FieldSchema, v: unknown, depth: number): void {
  if (field.type === 'map') {
    if (!isPlainObject(v)) return;
    for (const key of Object.keys(v).sort()) {
      const entry = new Writer();
      entry.string(MapEntryField.KEY, key);
      writeValue(entry, MapEntryField.VALUE, field.value ?? 'string', field.ref, v[key], depth);
      w.lengthDelimited(field.number, entry.finish());
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(v)) return;
    for (const item of v) writeValue(w, field.number, field.type, field.ref, item, depth);
    return;
  }
  if (v === undefined || v === null) {
    if (field.pointer) return;
    if (field.type === 'message') {
      const inner = field.ref ? messageType(field.ref) : undefined;
      if (inner) w.lengthDelimited(field.number, inner.format ? encodeFormatted(undefined, inner, depth) : encodeMessage({}, inner, depth + 1));
      return;
    }
  }
  writeValue(w, field.number, field.type, field.ref, v, depth);
}

function writeValue(w: Writer, number: number, type: string, ref: string | undefined, v: unknown, depth: number): void {
  if (type === 'message') {
    const inner = ref ? messageType(ref) : undefined;
    if (!inner) return;
    const payload = inner.format ? encodeFormatted(v, inner, depth) : encodeMessage(isPlainObject(v) ? v : {}, inner, depth + 1);
    w.lengthDelimited(number, payload);
    return;
  }
  switch (type) {
    case 'string':
      w.string(number, typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
      return;
    case 'bytes':
      w.lengthDelimited(number, typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0));
      return;
    case 'bool':
      w.tag(number, WireType.VARINT);
      w.varint(v === true ? 1 : 0);
      return;
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(typeof v === 'number' ? v : 0);
      w.tag(number, WireType.FIXED64);
      w.bytes(b);
      return;
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(typeof v === 'number' ? v : 0);
      w.tag(number, WireType.FIXED32);
      w.bytes(b);
      return;
    }
    case 'sint32':
    case 'sint64': {
      const n = BigInt(typeof v === 'number' ? Math.trunc(v) : 0);
      w.tag(number, WireType.VARINT);
      w.varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
      return;
    }
    default:
      // int32, int64, uint32, uint64 (Kubernetes uses no fixed-width integers).
      w.tag(number, WireType.VARINT);
      w.varint(typeof v === 'number' ? Math.trunc(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : 0);
  }
}

/** The message behind a JSON value with a special form (time, quantity, int-or-string, raw JSON…). */
function encodeFormatted(v: unknown, message: MessageType, depth: number): Buffer {
  const w = new Writer();
  switch (message.format) {
    case 'time':
    case 'micro-time': {
      if (typeof v !== 'string') return w.finish(); // the zero time is an empty message
      const ms = Date.parse(v);
      const seconds = Math.floor(ms / MS_PER_SECOND);
      const micros = message.format === 'micro-time' ? Number(/\.(\d{1,6})/.exec(v)?.[1]?.padEnd(6, '0') ?? 0) : 0;
      w.tag(1, WireType.VARINT);
      w.varint(seconds);
      w.tag(2, WireType.VARINT);
      w.varint(micros * NANOS_PER_MICRO);
      return w.finish();
    }
    case 'duration':
      w.tag(1, WireType.VARINT);
      w.varint(parseGoDuration(v));
      return w.finish();
    case 'quantity':
      w.string(1, typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '0');
      return w.finish();
    case 'int-or-string':
      w.tag(1, WireType.VARINT);
      w.varint(typeof v === 'string' ? IntOrStringType.STRING : IntOrStringType.INT);
      w.tag(2, WireType.VARINT);
      w.varint(typeof v === 'number' ? Math.trunc(v) : 0);
      w.string(3, typeof v === 'string' ? v : '');
      return w.finish();
    case 'raw-json':
      if (v !== undefined && v !== null) w.lengthDelimited(1, Buffer.from(JSON.stringify(v), 'utf8'));
      return w.finish();
    case 'items':
      if (Array.isArray(v)) for (const s of v) w.string(1, String(s));
      return w.finish();
    // apiextensions' unions: the JSON value says which of the message's fields holds it.
    case 'schema-or-bool':
      return encodeMessage({ allows: typeof v === 'boolean' ? v : true, ...(isPlainObject(v) ? { schema: v } : {}) }, message, depth + 1);
    case 'schema-or-array':
      return encodeMessage(Array.isArray(v) ? { jSONSchemas: v } : isPlainObject(v) ? { schema: v } : {}, message, depth + 1);
    case 'schema-or-string-array':
      return encodeMessage(Array.isArray(v) ? { property: v } : isPlainObject(v) ? { schema: v } : {}, message, depth + 1);
    default:
      return w.finish();
  }
}

/** Nanoseconds of a Go duration string (`1h2m3.5s`, `300ms`). */
function parseGoDuration(v: unknown): bigint {
  if (typeof v !== 'string') return 0n;
  const units: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return BigInt(Math.round(v.startsWith('-') ? -total : total));
}

/** meta/v1 Status {1: ListMeta, 2: status, 3: message, 4: reason, 5: details, 6: code}. */
function encodeStatus(s: Record<string, unknown>): Buffer {
  const str = (x: unknown): string => (typeof x === 'string' ? x : '');
  const w = new Writer();
  const listMeta = new Writer();
  listMeta.string(1, '');
  listMeta.string(2, '');
  listMeta.string(3, '');
  w.lengthDelimited(1, listMeta.finish());
  w.string(2, str(s.status));
  w.string(3, str(s.message));
  w.string(4, str(s.reason));
  if (isPlainObject(s.details)) {
    const d = s.details;
    const details = new Writer();
    details.string(1, str(d.name));
    details.string(2, str(d.group));
    details.string(3, str(d.kind));
    for (const c of Array.isArray(d.causes) ? d.causes : []) {
      if (!isPlainObject(c)) continue;
      const cause = new Writer();
      cause.string(1, str(c.reason));
      cause.string(2, str(c.message));
      cause.string(3, str(c.field));
      details.lengthDelimited(4, cause.finish());
    }
    details.tag(5, WireType.VARINT);
    details.varint(typeof d.retryAfterSeconds === 'number' ? d.retryAfterSeconds : 0);
    details.string(6, str(d.uid));
    w.lengthDelimited(5, details.finish());
  }
  w.tag(6, WireType.VARINT);
  w.varint(typeof s.code === 'number' ? s.code : 0);
  return w.finish();
}
