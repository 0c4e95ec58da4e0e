import { readFileSync } from 'node:fs';
import { assetPath } from '../../assets.js';

/**
 * The type schema of built-in Kubernetes kinds: per message type, each
 * field's JSON name, protobuf number and type, and its strategic-merge-patch
 * metadata. Generated from the Go types of k8s.io/api (and apimachinery,
 * apiextensions-apiserver) by hack/schemagen; the file format is described
 * in ./README.md. The protobuf decoder, strategic merge patch and the
 * OpenAPI endpoint all read this one schema.
 */

/** The layout version this loader understands (schemagen's SchemaFormatVersion). */
export const SCHEMA_FORMAT_VERSION = 1;

const SCHEMA_FILE = assetPath('src/simulator/schema/kube-types.json');

export type ScalarType =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'sint32'
  | 'sint64'
  | 'double'
  | 'float'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed32'
  | 'sfixed64';

export type FieldType = ScalarType | 'message' | 'map';

/**
 * How a message type appears in JSON when that is not an object of its
 * fields. See README.md for each form.
 */
export type MessageFormat =
  | 'time'
  | 'micro-time'
  | 'duration'
  | 'quantity'
  | 'int-or-string'
  | 'raw-json'
  | 'items'
  | 'schema-or-array'
  | 'schema-or-bool'
  | 'schema-or-string-array';

export interface FieldSchema {
  /** JSON name; '' for an inline (embedded) message whose fields join the parent's. */
  readonly name: string;
  /** Protobuf field number. */
  readonly number: number;
  readonly type: FieldType;
  /** Map key type (type 'map'). */
  readonly key?: ScalarType;
  /** Map value type (type 'map'). */
  readonly value?: ScalarType | 'message';
  /** Message type name, for type 'message' and for maps of messages. */
  readonly ref?: string;
  readonly repeated?: boolean;
  readonly inline?: boolean;
  /** A Go pointer: absent means unset, and a present zero value is kept. */
  readonly pointer?: boolean;
  /** The Go JSON tag has omitempty: a non-pointer zero scalar is left out. */
  readonly omitempty?: boolean;
  /** Go `patchStrategy` tag: 'merge', 'retainKeys', 'merge,retainKeys' or 'replace'. */
  readonly patchStrategy?: string;
  /** Go `patchMergeKey` tag: the key that identifies list items in a merge. */
  readonly patchMergeKey?: string;
}

export interface MessageSchema {
  readonly format?: MessageFormat;
  readonly fields: readonly FieldSchema[];
}

/** A message schema together with its type name (e.g. `io.k8s.api.core.v1.Pod`). */
export interface MessageType extends MessageSchema {
  readonly name: string;
}

export interface TypeSchemaFile {
  readonly formatVersion: number;
  /** Kubernetes module versions the schema was read from. */
  readonly generatedFrom: Readonly<Record<string, string>>;
  /** apiVersion -> kind -> message type name. */
  readonly kinds: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly types: Readonly<Record<string, MessageSchema>>;
}

/** Strategic-merge-patch metadata of one field. */
export interface PatchMeta {
  readonly strategy?: string;
  readonly mergeKey?: string;
}

interface LoadedSchema {
  readonly file: TypeSchemaFile;
  readonly types: ReadonlyMap<string, MessageType>;
  /** Per message, its JSON field names (inline messages flattened) -> field. */
  readonly jsonIndex: Map<string, ReadonlyMap<string, FieldSchema>>;
}

let loaded: LoadedSchema | undefined;

function load(): LoadedSchema {
  if (loaded) return loaded;
  let text: string;
  try {
    text = readFileSync(SCHEMA_FILE, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the Kubernetes type schema ${SCHEMA_FILE}: ${(err as Error).message}; ` +
        'regenerate it with hack/schemagen/generate.sh, or copy it beside this module when building',
      { cause: err },
    );
  }
  const file = JSON.parse(text) as TypeSchemaFile;
  if (file.formatVersion !== SCHEMA_FORMAT_VERSION) {
    throw new Error(
      `Kubernetes type schema has format version ${file.formatVersion}, this code reads ${SCHEMA_FORMAT_VERSION}: ` +
        'regenerate it with hack/schemagen/generate.sh',
    );
  }
  const types = new Map<string, MessageType>();
  for (const [name, schema] of Object.entries(file.types)) {
    types.set(name, { name, ...schema });
  }
  loaded = { file, types, jsonIndex: new Map() };
  return loaded;
}

/** The whole schema file, parsed (loaded on first use, then shared). */
export function typeSchemaFile(): TypeSchemaFile {
  return load().file;
}

/** Message type name of a kind, e.g. ('apps/v1', 'Deployment') -> 'io.k8s.api.apps.v1.Deployment'. */
export function typeNameFor(apiVersion: string, kind: string): string | undefined {
  // Own properties only: names come from clients ("__proto__", "toString").
  const kinds = load().file.kinds;
  const byKind = Object.hasOwn(kinds, apiVersion) ? kinds[apiVersion] : undefined;
  return byKind && Object.hasOwn(byKind, kind) ? byKind[kind] : undefined;
}

/** The message type of a top-level kind, or undefined when the schema does not cover it. */
export function typeSchemaFor(apiVersion: string, kind: string): MessageType | undefined {
  const name = typeNameFor(apiVersion, kind);
  return name === undefined ? undefined : messageType(name);
}

/** A message type by name, e.g. 'io.k8s.api.core.v1.Container'. */
export function messageType(name: string): MessageType | undefined {
  return load().types.get(name);
}

/** Every (apiVersion, kind) the schema covers. */
export function kindsInSchema(): Array<{ apiVersion: string; kind: string }> {
  const out: Array<{ apiVersion: string; kind: string }> = [];
  for (const [apiVersion, byKind] of Object.entries(load().file.kinds)) {
    for (const kind of Object.keys(byKind)) out.push({ apiVersion, kind });
  }
  return out;
}

/**
 * The field a JSON property name refers to in a message, looking through
 * inline (embedded) messages the way the JSON form flattens them.
 */
export function jsonField(message: MessageType, jsonName: string): FieldSchema | undefined {
  const schema = load();
  let index = schema.jsonIndex.get(message.name);
  if (!index) {
    const built = new Map<string, FieldSchema>();
    indexJsonFields(message, built, new Set());
    schema.jsonIndex.set(message.name, built);
    index = built;
  }
  return index.get(jsonName);
}

function indexJsonFields(message: MessageSchema, into: Map<string, FieldSchema>, seen: Set<MessageSchema>): void {
  if (seen.has(message)) return;
  seen.add(message);
  for (const field of message.fields) {
    if (field.inline) {
      const inner = field.ref === undefined ? undefined : messageType(field.ref);
      if (inner) indexJsonFields(inner, into, seen);
    } else if (!into.has(field.name)) {
      into.set(field.name, field);
    }
  }
}

/** Protobuf encodes a map entry as a message {1: key, 2: value}. */
const MAP_ENTRY_VALUE_NUMBER = 2;

/** Path segments that stand for a list index rather than a field. */
const LIST_INDEX = /^(\d+|\*)$/;

/**
 * The field at a JSON path in a kind, e.g. ['spec', 'template', 'spec',
 * 'containers', 'ports']. Lists are transparent: after a list field the
 * next segment names a field of its items (a numeric index or '*' segment
 * may be given and is skipped). After a map field the next segment is the
 * map key, whatever it is, and leads into the map's values (a path that
 * ends on a key yields the value as a field named by the key). Returns
 * undefined when the path leaves the schema (an unknown field, or a walk
 * into a scalar or into a type with a special JSON form).
 */
export function fieldAt(apiVersion: string, kind: string, path: readonly string[]): FieldSchema | undefined {
  const top = typeSchemaFor(apiVersion, kind);
  if (!top || path.length === 0) return undefined;
  let message: MessageType | undefined = top;
  let field: FieldSchema | undefined;
  // What the previous segment left us in: a message's fields, list items, or map values.
  let position: 'fields' | 'list' | 'map' = 'fields';
  for (const segment of path) {
    if (position === 'list' && LIST_INDEX.test(segment)) {
      position = 'fields';
      continue;
    }
    if (position === 'map' && field) {
      // The segment is a key; what follows is inside the value.
      field = mapValueField(field, segment);
      position = 'fields';
      message = field.type === 'message' && field.ref ? messageType(field.ref) : undefined;
      continue;
    }
    if (!message || message.format) return undefined;
    field = jsonField(message, segment);
    if (!field) return undefined;
    if (field.type === 'map') {
      position = 'map';
      message = undefined;
    } else {
      position = field.repeated ? 'list' : 'fields';
      message = field.type === 'message' && field.ref ? messageType(field.ref) : undefined;
    }
  }
  return field;
}

/** The value of one map entry, described as the field it is in the entry message. */
function mapValueField(map: FieldSchema, key: string): FieldSchema {
  return {
    name: key,
    number: MAP_ENTRY_VALUE_NUMBER,
    type: map.value ?? 'string',
    ...(map.ref ? { ref: map.ref } : {}),
  };
}

/**
 * Strategic-merge-patch metadata of the field at a JSON path (see fieldAt
 * for how paths walk lists and maps). Returns {} for a known field without
 * metadata, undefined for a path the schema does not know (for example
 * fields of custom resources), so callers can tell the two apart.
 */
export function patchMetaAt(apiVersion: string, kind: string, path: readonly string[]): PatchMeta | undefined {
  const field = fieldAt(apiVersion, kind, path);
  if (!field) return undefined;
  return {
    ...(field.patchStrategy ? { strategy: field.patchStrategy } : {}),
    ...(field.patchMergeKey ? { mergeKey: field.patchMergeKey } : {}),
  };
}
