import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CRD_DIR } from '../operator/kube/crds.js';

/**
 * The limits our CRDs put on the spec fields the shim writes (maxLength,
 * pattern, enum), read from crds/*.yaml so the shim refuses what the
 * management API would refuse without keeping a second copy of the rules.
 */

export interface StringFieldRule {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: RegExp;
  readonly enum?: readonly string[];
}

interface SchemaProperty {
  type?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: string[];
  properties?: Record<string, SchemaProperty>;
  additionalProperties?: SchemaProperty;
}

interface CrdFile {
  spec: { versions: { name: string; schema: { openAPIV3Schema: SchemaProperty } }[] };
}

const cache = new Map<string, Record<string, SchemaProperty>>();

function specProperties(file: string): Record<string, SchemaProperty> {
  let props = cache.get(file);
  if (!props) {
    const crd = load(readFileSync(join(CRD_DIR, file), 'utf8')) as CrdFile;
    const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec?.properties;
    if (!spec) throw new Error(`${file} has no spec properties: the shim cannot know its field rules`);
    props = spec;
    cache.set(file, props);
  }
  return props;
}

function toRule(p: SchemaProperty | undefined, where: string): StringFieldRule {
  if (!p || p.type !== 'string') throw new Error(`${where} is not a string property in the CRD: update src/shim/crd-rules.ts with the CRD`);
  return {
    ...(p.minLength !== undefined ? { minLength: p.minLength } : {}),
    ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}),
    // CRD patterns are RE2; the ones in our CRDs mean the same in JavaScript with the u flag.
    ...(p.pattern !== undefined ? { pattern: new RegExp(p.pattern, 'u') } : {}),
    ...(p.enum ? { enum: p.enum } : {}),
  };
}

export const FAKE_API_SERVER_CRD_FILE = 'fkas.metal3.io_fakeapiservers.yaml';
export const FAKE_NODE_CRD_FILE = 'fkas.metal3.io_fakenodes.yaml';

/** The rule of a string field of spec, e.g. fieldRule(FAKE_NODE_CRD_FILE, 'providerID'). */
export function fieldRule(file: string, field: string): StringFieldRule {
  return toRule(specProperties(file)[field], `${file} spec.${field}`);
}

/** The rule every value of a string map in spec must follow (spec.labels). */
export function mapValueRule(file: string, field: string): StringFieldRule {
  return toRule(specProperties(file)[field]?.additionalProperties, `${file} spec.${field}.*`);
}

/** Characters as the API server counts them for maxLength (code points, not UTF-16 units). */
export function lengthOf(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Why the value breaks the rule, or undefined when it follows it. */
export function breaksRule(value: string, rule: StringFieldRule): string | undefined {
  const length = lengthOf(value);
  if (rule.minLength !== undefined && length < rule.minLength) return `must be at least ${rule.minLength} characters`;
  if (rule.maxLength !== undefined && length > rule.maxLength) return `must be at most ${rule.maxLength} characters`;
  if (rule.pattern && !rule.pattern.test(value)) return `must match ${rule.pattern.source}`;
  if (rule.enum && !rule.enum.includes(value)) return `must be one of ${rule.enum.join(', ')}`;
  return undefined;
}
