import { isPlainObject } from '../object.js';
import { pruneObjectMeta } from './object-meta.js';
import type { SchemaNode } from './schema.js';

/**
 * Structural pruning: every field the schema does not specify is removed,
 * as kube-apiserver removes it when it decodes a custom resource. The
 * removed fields' paths (`spec.bogusField`, `spec.list[0].x`,
 * `metadata.foo`) are collected when `unknown` is given: they become the
 * unknown-field warnings or the Strict refusal.
 *
 * `x-kubernetes-preserve-unknown-fields` keeps what is not specified but
 * still prunes inside the properties that are; an
 * `x-kubernetes-embedded-resource` keeps its apiVersion, kind and metadata,
 * and its metadata is pruned to ObjectMeta's fields like the root's.
 * The walk recurses once per nesting level of the object; bodies are
 * limited in depth before they reach the store.
 */

/** Fields every object has at its root, whatever the schema says. */
const ROOT_META_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata']);

export function pruneResource(obj: Record<string, unknown>, root: SchemaNode, unknown: string[] | undefined): void {
  for (const key of Object.keys(obj)) {
    if (ROOT_META_FIELDS.has(key)) continue;
    const node = root.properties?.get(key);
    if (node) pruneKnown(obj, key, node, key, unknown);
    else if (root.preserveUnknownFields) continue;
    else if (root.additionalProperties !== undefined) pruneKnown(obj, key, additional(root), key, unknown);
    else {
      unknown?.push(key);
      delete obj[key];
    }
  }
  if (isPlainObject(obj.metadata)) pruneObjectMeta(obj.metadata, 'metadata', unknown);
}

function prune(value: unknown, node: SchemaNode | undefined, path: string, unknown: string[] | undefined): void {
  if (node?.preserveUnknownFields) return pruneInsideKnown(value, node, path, unknown);
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, node?.items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const child = `${path}.${key}`;
    if (node?.embeddedResource && keepsEmbeddedMeta(key, value[key])) continue;
    const prop = node?.properties?.get(key);
    if (prop) pruneKnown(value, key, prop, child, unknown);
    else if (node?.additionalProperties !== undefined) pruneKnown(value, key, additional(node), child, unknown);
    else {
      unknown?.push(child);
      delete value[key];
    }
  }
  if (node?.embeddedResource && isPlainObject(value.metadata)) pruneObjectMeta(value.metadata, `${path}.metadata`, unknown);
}

/** Under x-kubernetes-preserve-unknown-fields: unspecified keys stay, specified ones are pruned by their own schema. */
function pruneInsideKnown(value: unknown, node: SchemaNode, path: string, unknown: string[] | undefined): void {
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => pruneInsideKnown(item, node.items!, `${path}[${i}]`, unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    if (node.embeddedResource && ROOT_META_FIELDS.has(key)) continue;
    const prop = node.properties?.get(key);
    if (prop) pruneKnown(value, key, prop, `${path}.${key}`, unknown);
    else if (node.additionalProperties !== undefined) pruneKnown(value, key, additional(node), `${path}.${key}`, unknown);
  }
  if (node.embeddedResource && isPlainObject(value.metadata)) pruneObjectMeta(value.metadata, `${path}.metadata`, unknown);
}

/** An embedded resource's apiVersion and kind (when strings) and metadata (when an object) are implied by the extension. */
function keepsEmbeddedMeta(key: string, value: unknown): boolean {
  if (key === 'apiVersion' || key === 'kind') return typeof value === 'string';
  if (key === 'metadata') return isPlainObject(value);
  return false;
}

/** `additionalProperties: true` specifies nothing below it: kube prunes such values as schema-less. */
function additional(node: SchemaNode): SchemaNode | undefined {
  return node.additionalProperties === true ? undefined : node.additionalProperties;
}

/**
 * A field the schema specifies: a null where the schema neither allows null
 * nor has a default is dropped (kube-apiserver does this silently, before
 * validation: `port: null` means "not set"); anything else is pruned below.
 */
function pruneKnown(parent: Record<string, unknown>, key: string, node: SchemaNode | undefined, path: string, unknown: string[] | undefined): void {
  if (parent[key] === null && node && !node.nullable && !node.hasDefault) delete parent[key];
  else prune(parent[key], node, path, unknown);
}
