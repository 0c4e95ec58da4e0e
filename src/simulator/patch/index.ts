import { load as loadYaml } from 'js-yaml';
import { badRequest, unsupportedMediaType } from '../api/errors.js';
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
      result = applyJsonPatch(live, parseJson(text));
      break;
    case 'application/merge-patch+json':
      result = applyMergePatch(live, requireObject(parseJson(text)));
      break;
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatch(live, requireObject(parseJson(text)), meta);
      break;
    case 'application/apply-patch+yaml': {
      const applied = parseYaml(text);
      if (isPlainObject(applied) && applied.kind !== opts.kind) {
        throw badRequest(`the apply patch has kind ${JSON.stringify(applied.kind)}; it must be ${opts.kind} for this resource`);
      }
      result = serverSideApply(live, applied, { fieldManager: opts.fieldManager, force: opts.force ?? false, apiVersion: opts.apiVersion, meta, ...(opts.now ? { now: opts.now } : {}) });
      break;
    }
    default:
      throw unsupportedMediaType(contentType, PATCH_CONTENT_TYPES);
  }
  if (!isPlainObject(result)) throw badRequest('the patched document is not an object');
  return result as KubeObject;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the patch is not valid JSON: ${(e as Error).message}`);
  }
}

function parseYaml(text: string): unknown {
  try {
    return loadYaml(text);
  } catch (e) {
    throw badRequest(`the apply patch is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function requireObject(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw badRequest('this patch type needs a JSON object');
  return v;
}

export type { PatchMetaLookup };
