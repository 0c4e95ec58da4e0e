import { cloneObject, isPlainObject } from '../object.js';
import type { SchemaNode } from './schema.js';

/**
 * Schema defaulting as kube-apiserver applies it to custom resources: a
 * property that is missing, or null where the schema does not allow null,
 * gets a copy of its default; the walk then continues into every value,
 * defaults just set included, so `spec: {default: {}}` with defaulted
 * properties below yields a fully defaulted spec. Subtrees whose schema has
 * no default anywhere are skipped.
 */
export function applyDefaults(value: unknown, node: SchemaNode | undefined): void {
  if (!node?.defaultsBelow) return;
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (needsDefault(value[i], items)) value[i] = copyDefault(items.default);
      applyDefaults(value[i], items);
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, prop] of node.defaultedProperties) {
    if (!Object.hasOwn(value, key) || needsDefault(value[key], prop)) value[key] = copyDefault(prop.default);
  }
  for (const [key, prop] of node.propertiesWithDefaultsBelow) if (Object.hasOwn(value, key)) applyDefaults(value[key], prop);
  const extra = node.additionalProperties === true ? undefined : node.additionalProperties;
  if (!extra?.defaultsBelow) return;
  for (const key of Object.keys(value)) {
    if (node.properties?.has(key)) continue;
    if (needsDefault(value[key], extra)) value[key] = copyDefault(extra.default);
    applyDefaults(value[key], extra);
  }
}

/** Scalars are shared as they are; objects and lists are copied so no two objects share a default. */
function copyDefault(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? cloneObject(v) : v;
}

function needsDefault(v: unknown, node: SchemaNode): boolean {
  return v === null && node.hasDefault && !node.nullable;
}
