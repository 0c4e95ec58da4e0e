import { isPlainObject } from '../object.js';
import { formatChecker, type FormatChecker } from './formats.js';

/**
 * A CRD version's `openAPIV3Schema`, compiled once into the form the
 * pruning, defaulting and validation walks need: properties in a Map,
 * patterns as RegExps, enums as a set of JSON texts, and flags that let a
 * walk skip subtrees with nothing to do (no defaults below, no nulls to
 * prune). Compiling never throws: a keyword with a value of the wrong shape
 * is ignored, as the CRD's own validation would have refused it.
 */

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export type ListType = 'atomic' | 'set' | 'map';

export interface SchemaNode {
  /** Unset for `x-kubernetes-int-or-string` and `x-kubernetes-preserve-unknown-fields` without a type. */
  readonly type?: SchemaType;
  readonly nullable: boolean;
  readonly intOrString: boolean;
  readonly preserveUnknownFields: boolean;
  /** `x-kubernetes-embedded-resource`: apiVersion, kind and metadata of a nested object are implied. */
  readonly embeddedResource: boolean;
  readonly properties?: ReadonlyMap<string, SchemaNode>;
  /** A schema for every other key; `true` allows any value (nothing below is pruned or checked). */
  readonly additionalProperties?: SchemaNode | true;
  readonly items?: SchemaNode;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly required: readonly string[];
  /** The enum's values as JSON texts (membership of lists and objects), its scalars as they are (fast membership), and as given (messages). */
  readonly enumJson?: ReadonlySet<string>;
  readonly enumScalars?: ReadonlySet<unknown>;
  readonly enumValues?: readonly unknown[];
  readonly format?: string;
  readonly formatCheck?: FormatChecker;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum: boolean;
  readonly exclusiveMaximum: boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: { readonly source: string; readonly regex: RegExp };
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems: boolean;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly listType?: ListType;
  readonly listMapKeys: readonly string[];
  /** Some node at or below this one has a default: the defaulting walk skips subtrees without. */
  readonly defaultsBelow: boolean;
  /** The properties that have a default, and those with a default somewhere below: what the defaulting walk visits. */
  readonly defaultedProperties: readonly (readonly [string, SchemaNode])[];
  readonly propertiesWithDefaultsBelow: readonly (readonly [string, SchemaNode])[];
}

const TYPES: readonly SchemaType[] = ['object', 'array', 'string', 'integer', 'number', 'boolean'];
/** Schemas nest one level per object; a CRD deeper than this is not worth compiling further (kube limits nesting too). */
const MAX_SCHEMA_DEPTH = 64;

/** Compiles one `openAPIV3Schema` (or any schema node of it). */
export function compileSchema(raw: unknown, depth = 0): SchemaNode {
  const s = isPlainObject(raw) && depth <= MAX_SCHEMA_DEPTH ? raw : {};
  const type = TYPES.find((t) => t === s.type);
  const properties = isPlainObject(s.properties) ? compileProperties(s.properties, depth) : undefined;
  const additionalProperties =
    s.additionalProperties === true ? true : isPlainObject(s.additionalProperties) ? compileSchema(s.additionalProperties, depth + 1) : undefined;
  const items = isPlainObject(s.items) ? compileSchema(s.items, depth + 1) : undefined;
  const hasDefault = Object.hasOwn(s, 'default');
  const children: SchemaNode[] = [
    ...(properties?.values() ?? []),
    ...(items ? [items] : []),
    ...(additionalProperties && additionalProperties !== true ? [additionalProperties] : []),
  ];
  const format = typeof s.format === 'string' && s.format ? s.format : undefined;
  const formatCheck = format ? formatChecker(format) : undefined;
  return {
    ...(type ? { type } : {}),
    nullable: s.nullable === true,
    intOrString: s['x-kubernetes-int-or-string'] === true,
    preserveUnknownFields: s['x-kubernetes-preserve-unknown-fields'] === true,
    embeddedResource: s['x-kubernetes-embedded-resource'] === true,
    ...(properties ? { properties } : {}),
    ...(additionalProperties ? { additionalProperties } : {}),
    ...(items ? { items } : {}),
    hasDefault,
    ...(hasDefault ? { default: s.default } : {}),
    required: stringList(s.required),
    ...(Array.isArray(s.enum) ? { enumValues: s.enum, enumJson: new Set(s.enum.map(canonicalJson)), enumScalars: new Set(s.enum.filter(isScalar)) } : {}),
    ...(format ? { format } : {}),
    ...(formatCheck ? { formatCheck } : {}),
    ...numberKeyword(s, 'minimum'),
    ...numberKeyword(s, 'maximum'),
    exclusiveMinimum: s.exclusiveMinimum === true,
    exclusiveMaximum: s.exclusiveMaximum === true,
    ...numberKeyword(s, 'multipleOf'),
    ...numberKeyword(s, 'minLength'),
    ...numberKeyword(s, 'maxLength'),
    ...compilePattern(s.pattern),
    ...numberKeyword(s, 'minItems'),
    ...numberKeyword(s, 'maxItems'),
    uniqueItems: s.uniqueItems === true,
    ...numberKeyword(s, 'minProperties'),
    ...numberKeyword(s, 'maxProperties'),
    ...listType(s['x-kubernetes-list-type']),
    listMapKeys: stringList(s['x-kubernetes-list-map-keys']),
    defaultsBelow: hasDefault || children.some((c) => c.defaultsBelow),
    defaultedProperties: [...(properties ?? [])].filter(([, p]) => p.hasDefault),
    propertiesWithDefaultsBelow: [...(properties ?? [])].filter(([, p]) => p.defaultsBelow),
  };
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function compileProperties(raw: Record<string, unknown>, depth: number): Map<string, SchemaNode> {
  const out = new Map<string, SchemaNode>();
  for (const [name, schema] of Object.entries(raw)) out.set(name, compileSchema(schema, depth + 1));
  return out;
}

function numberKeyword<
  K extends 'minimum' | 'maximum' | 'multipleOf' | 'minLength' | 'maxLength' | 'minItems' | 'maxItems' | 'minProperties' | 'maxProperties',
>(s: Record<string, unknown>, key: K): { [P in K]?: number } {
  const v = s[key];
  return typeof v === 'number' && Number.isFinite(v) ? ({ [key]: v } as { [P in K]?: number }) : {};
}

function compilePattern(raw: unknown): { pattern?: { source: string; regex: RegExp } } {
  if (typeof raw !== 'string') return {};
  try {
    // The CRD's patterns are ECMA-262 per the OpenAPI spec; kube runs them with Go's RE2, which agrees on the common subset.
    return { pattern: { source: raw, regex: new RegExp(raw, 'u') } };
  } catch {
    try {
      return { pattern: { source: raw, regex: new RegExp(raw) } };
    } catch {
      return {}; // kube-apiserver refuses such a CRD; serving it anyway must not break writes
    }
  }
}

function listType(raw: unknown): { listType?: ListType } {
  return raw === 'atomic' || raw === 'set' || raw === 'map' ? { listType: raw } : {};
}

function stringList(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : [];
}

/** JSON text with object keys sorted: equal JSON values give equal texts (enum membership, set uniqueness). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
