import type { StatusCause } from '../api/errors.js';

/**
 * The name and metadata rules kube-apiserver enforces (apimachinery's
 * validation package), returning causes for a 422 Invalid.
 */

export type NameRule = 'subdomain' | 'label' | 'path-segment';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
/** Total size of all annotations of an object. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Name rules of built-in kinds (group/plural); everything else uses DNS-1123 subdomains. */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  '/namespaces': 'label',
  '/services': 'label',
  '/replicationcontrollers': 'subdomain',
  'rbac.authorization.k8s.io/roles': 'path-segment',
  'rbac.authorization.k8s.io/rolebindings': 'path-segment',
  'rbac.authorization.k8s.io/clusterroles': 'path-segment',
  'rbac.authorization.k8s.io/clusterrolebindings': 'path-segment',
};

/** The regexes kube-apiserver names in its messages (apimachinery's validation formats). */
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;

/** A pattern failure worded as kube-apiserver words it: the rule, examples, and the regex checked. */
function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((e, i) => `${i > 0 ? ' or ' : ''}'${e}', `).join('');
  return `${message} (${examples.length ? `e.g. ${shown}` : ''}regex used for validation is '${format}')`;
}

const cause = (message: string, field?: string): StatusCause => ({ reason: 'FieldValueInvalid', message, ...(field ? { field } : {}) });

export function validateDns1123Label(name: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (name.length > DNS1123_LABEL_MAX) out.push(cause(`Invalid value: "${name}": must be no more than ${DNS1123_LABEL_MAX} characters`));
  if (!DNS1123_LABEL.test(name)) {
    const rule = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    out.push(cause(`Invalid value: "${name}": ${regexError(rule, DNS1123_LABEL_FMT, 'my-name', '123-abc')}`));
  }
  return out;
}

export function validateDns1123Subdomain(name: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (name.length > DNS1123_SUBDOMAIN_MAX) out.push(cause(`Invalid value: "${name.slice(0, 40)}...": must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`));
  if (!DNS1123_SUBDOMAIN.test(name)) {
    const rule = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    out.push(cause(`Invalid value: "${name}": ${regexError(rule, DNS1123_SUBDOMAIN_FMT, 'example.com')}`));
  }
  return out;
}

/** RBAC names only need to be usable as one URL path segment (so `system:masters`-style names pass). */
export function validatePathSegmentName(name: string): StatusCause[] {
  if (name === '.' || name === '..') return [cause(`Invalid value: "${name}": may not be '${name}'`)];
  if (name.includes('/') || name.includes('%')) return [cause(`Invalid value: "${name}": may not contain '/' or '%'`)];
  return [];
}

/** Label and annotation keys: optional DNS-subdomain prefix and '/', then a qualified name. */
export function validateQualifiedName(key: string, field: string): StatusCause[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const out: StatusCause[] = [];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > DNS1123_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix))) {
    out.push(cause(`Invalid value: "${key}": prefix part must be a lowercase RFC 1123 subdomain`, field));
  }
  if (name.length === 0 || name.length > QUALIFIED_NAME_MAX || !QUALIFIED_NAME.test(name)) {
    out.push(cause(`Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', must start and end with an alphanumeric character, and be at most ${QUALIFIED_NAME_MAX} characters (e.g. 'MyName', 'my.name' or '123-abc')`, field));
  }
  return out;
}

export function validateLabelValue(value: string, field: string): StatusCause[] {
  if (value.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(value)) return [];
  return [cause(`Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most ${LABEL_VALUE_MAX} characters`, field)];
}

export function validateLabels(labels: Readonly<Record<string, string>>): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    out.push(...validateQualifiedName(k, 'metadata.labels'), ...validateLabelValue(v, 'metadata.labels'));
  }
  return out;
}

export function validateAnnotations(annotations: Readonly<Record<string, string>>): StatusCause[] {
  const out: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    out.push(...validateQualifiedName(k.toLowerCase(), 'metadata.annotations'));
    size += k.length + v.length;
  }
  if (size > ANNOTATIONS_MAX_BYTES) out.push(cause(`Too long: must have at most ${ANNOTATIONS_MAX_BYTES} bytes`, 'metadata.annotations'));
  return out;
}
