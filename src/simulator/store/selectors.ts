import { badRequest } from '../api/errors.js';
import { isPlainObject } from './object.js';
import { parseSelectorSyntax, SelectorSyntaxError, type ParsedRequirement, type SyntaxOperator } from './label-selector-syntax.js';

/**
 * Label and field selectors as kube-apiserver parses them from
 * `?labelSelector=` and `?fieldSelector=`.
 */

export type LabelOperator = SyntaxOperator;

export interface LabelRequirement {
  readonly key: string;
  readonly op: LabelOperator;
  readonly values: readonly string[];
}

export type LabelSelector = readonly LabelRequirement[];

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MAX_VALUE = 63;

function fail(selector: string, why: string): never {
  throw badRequest(`unable to parse requirement: ${why} (in label selector "${selector}")`);
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) fail(selector, `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (value.length > MAX_VALUE || !VALUE.test(value)) {
    fail(selector, `invalid label value "${value}": must be ${MAX_VALUE} characters or less and be empty or consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`);
  }
  return value;
}

export function parseLabelSelector(selector: string): LabelSelector {
  let parsed: ParsedRequirement[];
  try {
    parsed = parseSelectorSyntax(selector);
  } catch (e) {
    if (!(e instanceof SelectorSyntaxError)) throw e;
    throw badRequest(e.inRequirement ? `unable to parse requirement: ${e.message}` : e.message);
  }
  return parsed.map((r) => {
    checkKey(selector, r.key);
    if (r.op === 'gt' || r.op === 'lt') {
      const v = r.values[0] ?? '';
      if (!/^-?\d+$/.test(v)) throw badRequest(`unable to parse requirement: values[0]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    } else r.values.forEach((v) => checkValue(selector, v));
    return r;
  });
}

export function labelSelectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        // Kubernetes: objects without the label match `!=` and `notin`.
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        // Only labels holding an integer compare; anything else does not match.
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** metav1.LabelSelector (matchLabels, matchExpressions) as in PDBs and Deployments. */
export function labelSelectorFromObject(obj: unknown): LabelSelector {
  if (!isPlainObject(obj)) return [];
  const reqs: LabelRequirement[] = [];
  if (isPlainObject(obj.matchLabels)) {
    for (const [k, v] of Object.entries(obj.matchLabels)) reqs.push({ key: k, op: '=', values: [String(v)] });
  }
  if (Array.isArray(obj.matchExpressions)) {
    for (const e of obj.matchExpressions) {
      if (!isPlainObject(e) || typeof e.key !== 'string') continue;
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' }[String(e.operator)] as LabelOperator | undefined;
      if (op) reqs.push({ key: e.key, op, values });
    }
  }
  return reqs;
}

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export type FieldSelector = readonly FieldRequirement[];

/**
 * Field labels each built-in kind supports beyond metadata.name and
 * metadata.namespace (which every kind supports), keyed `group/plural`.
 */
export const FIELD_SELECTORS: Readonly<Record<string, readonly string[]>> = {
  '/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  '/nodes': ['spec.unschedulable'],
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reason', 'type'],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
  '/replicationcontrollers': ['status.replicas'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
  'certificates.k8s.io/certificatesigningrequests': ['spec.signerName'],
};

/** Parses `a=b,c!=d` with `\` escapes (`\,` `\=` `\\`). */
export function parseFieldSelector(selector: string, supported: ReadonlySet<string> | ((field: string) => boolean)): FieldSelector {
  const allowed = typeof supported === 'function' ? supported : (f: string): boolean => supported.has(f);
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i]!;
    if (ch === '\\' && i + 1 < selector.length) {
      cur += ch + selector[++i]!;
    } else if (ch === ',') {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    if (term.trim() === '') continue;
    // NUL marks an escaped `=` or `!` so the operator split below skips it; it cannot occur in a URL query.
    const m = /^(.*?)(==|!=|=)(.*)$/.exec(term.replace(/\\./g, (e) => (e === '\\=' || e === '\\!' ? `\u0000${e[1]}` : e)));
    if (!m) throw badRequest(`invalid field selector "${selector}": "${term}" must be field=value or field!=value`);
    const field = m[1]!.trim();
    // eslint-disable-next-line no-control-regex -- the NUL sentinel set above
    const value = m[3]!.replace(/\u0000(.)/g, '$1').replace(/\\(.)/g, '$1');
    if (!allowed(field)) throw badRequest(`field label not supported: ${field}`);
    reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value });
  }
  return reqs;
}

export function fieldSelectorMatches(
  sel: FieldSelector,
  obj: Record<string, unknown>,
  fieldValue: (obj: Record<string, unknown>, field: string) => string | undefined,
): boolean {
  for (const r of sel) {
    const v = fieldValue(obj, r.field) ?? '';
    if ((v === r.value) !== (r.op === '=')) return false;
  }
  return true;
}

/** A field as a string, the way kube's field sets render it (missing = '', booleans 'true'/'false'). */
export function fieldValueOf(obj: Record<string, unknown>, path: string): string | undefined {
  if (path === 'source') path = 'source.component';
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  if (path === 'status.podIPs' && Array.isArray(cur)) return cur.map((x) => (isPlainObject(x) ? String(x.ip) : '')).join(',');
  if (cur === undefined || cur === null) return path === 'spec.unschedulable' || path === 'spec.hostNetwork' ? 'false' : undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}
