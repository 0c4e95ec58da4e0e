import type { StatusCause } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from './object.js';
import {
  NAME_RULES,
  validateAnnotations,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabels,
  validatePathSegmentName,
} from './validation.js';

/**
 * Object metadata checks kube-apiserver applies to every kind: the name
 * rule of the kind, labels, annotations, and the shape of the metadata
 * fields clients commonly get wrong. Returns the causes for a 422 Invalid.
 */
export function validateObjectMeta(kind: KindInfo, obj: KubeObject, op: 'create' | 'update'): StatusCause[] {
  const meta = obj.metadata;
  const causes: StatusCause[] = [];
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  } else {
    const rule = kind.custom ? 'subdomain' : (NAME_RULES[`${kind.group}/${kind.plural}`] ?? 'subdomain');
    const check = rule === 'label' ? validateDns1123Label : rule === 'path-segment' ? validatePathSegmentName : validateDns1123Subdomain;
    causes.push(...check(name).map((c) => ({ ...c, field: 'metadata.name' })));
  }
  if (meta.labels !== undefined) {
    if (!isStringMap(meta.labels)) causes.push({ field: 'metadata.labels', message: 'Invalid value: labels must be a map of strings to strings' });
    else causes.push(...validateLabels(meta.labels));
  }
  if (meta.annotations !== undefined) {
    if (!isStringMap(meta.annotations)) causes.push({ field: 'metadata.annotations', message: 'Invalid value: annotations must be a map of strings to strings' });
    else causes.push(...validateAnnotations(meta.annotations));
  }
  if (meta.finalizers !== undefined && (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== 'string' || f === ''))) {
    causes.push({ field: 'metadata.finalizers', message: 'Invalid value: finalizers must be a list of non-empty strings' });
  }
  if (meta.ownerReferences !== undefined) {
    const refs: unknown = meta.ownerReferences;
    if (!Array.isArray(refs) || refs.some((r) => !isPlainObject(r) || !r.apiVersion || !r.kind || !r.name || !r.uid)) {
      causes.push({ field: 'metadata.ownerReferences', message: 'Invalid value: each owner reference needs apiVersion, kind, name and uid' });
    }
  }
  if (op === 'update' && meta.generateName !== undefined && typeof meta.generateName !== 'string') {
    causes.push({ field: 'metadata.generateName', message: 'Invalid value: generateName must be a string' });
  }
  return causes;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isPlainObject(v) && Object.values(v).every((x) => typeof x === 'string');
}
