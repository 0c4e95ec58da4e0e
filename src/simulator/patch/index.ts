import { badRequest, unsupportedMediaType } from '../api/errors.js';
import { checkJsonShape, JsonShapeError, MAX_NESTING_DEPTH } from '../api/json-limits.js';
import { loadYamlBounded } from '../api/yaml-body.js';
import { patchMetaAt } from '../schema/index.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import { serverSideApply } from './apply.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch, type PatchMetaLookup } from './strategic-merge.js';

/** PATCH bodies by content type; one entry point for the HTTP layer. */

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export interface PatchOptions {
  readonly apiVersion: string;
  readonly kind: string;
  readonly fieldManager?: string;
  readonly force?: boolean;
  readonly now?: () => Date;
  /** Refuses an applied configuration of the wrong types before it is merged (kube builds a typed patch first). */
  readonly checkApplied?: (applied: Record<string, unknown>) => void;
}

/** Patch metadata of built-in kinds comes from the type schema; custom kinds have none (lists are atomic). */
export function patchMetaFor(apiVersion: string, kind: string): PatchMetaLookup {
  return (path) => patchMetaAt(apiVersion, kind, path);
}

/**
 * Applies a PATCH body to the live object (undefined when it does not exist,
 * which only apply accepts). Returns a new object; `live` is not changed.
 */
export function applyPatch(contentType: string, live: KubeObject | undefined, body: Buffer, opts: PatchOptions): KubeObject {
  const text = body.toString('utf8');
  const meta = patchMetaFor(opts.apiVersion, opts.kind);
  let result: unknown;
  switch (contentType) {
    case 'application/json-patch+json':
      result = applyJsonPatch(live, parseJson(text, 'error decoding patch: '));
      break;
    case 'application/merge-patch+json':
      result = applyMergePatch(live, requireObject(parseJson(text, 'error decoding patch: ')));
      break;
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatch(live, requireObject(parseJson(text, '')), meta);
      break;
    case 'application/apply-patch+yaml': {
      const applied = parseYaml(text);
      if (isPlainObject(applied) && applied.kind !== opts.kind) {
        throw badRequest(`the apply patch has kind ${JSON.stringify(applied.kind)}; it must be ${opts.kind} for this resource`);
      }
      if (isPlainObject(applied)) opts.checkApplied?.(applied);
      result = serverSideApply(live, applied, { fieldManager: opts.fieldManager, force: opts.force ?? false, apiVersion: opts.apiVersion, kind: opts.kind, meta, ...(opts.now ? { now: opts.now } : {}) });
      break;
    }
    default:
      throw unsupportedMediaType(contentType, PATCH_CONTENT_TYPES);
  }
  if (!isPlainObject(result)) throw badRequest('the patched document is not an object');
  // A JSON patch can nest values into each other, and apply adds managedFields as deep as the
  // object: those results get the body limit. A merge is no deeper than the object or the patch.
  if (contentType === 'application/json-patch+json' || contentType === 'application/apply-patch+yaml') checkJsonShape(result);
  return result as KubeObject;
}

/**
 * Patch documents get the body limits before the recursive patch engines
 * see them. `depthPrefix` starts the too-deep message as kube-apiserver
 * starts it for this patch type.
 */
function parseJson(text: string, depthPrefix: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the patch is not valid JSON: ${(e as Error).message}`);
  }
  try {
    checkJsonShape(doc);
  } catch (e) {
    throw e instanceof JsonShapeError ? badRequest(`${depthPrefix}${e.message}`) : e;
  }
  return doc;
}

function parseYaml(text: string): unknown {
  try {
    const doc = loadYamlBounded(text, 'the apply patch is not valid YAML');
    checkJsonShape(doc);
    return doc;
  } catch (e) {
    if (!(e instanceof JsonShapeError)) throw e;
    const why = e.aliasing ? e.message : `yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`;
    throw badRequest(`error decoding YAML: error converting YAML to JSON: ${why}`);
  }
}

function requireObject(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw badRequest('this patch type needs a JSON object');
  return v;
}

export type { PatchMetaLookup };
