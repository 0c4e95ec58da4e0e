import { METAL3_UUID_LABEL, type NodeRole } from '../operator/api/v1alpha1.js';
import type { StatusCause } from '../simulator/api/errors.js';
import { nodeObject } from '../simulator/templates/node.js';
import { validateDns1123Label, validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '../simulator/store/validation.js';
import { breaksRule, FAKE_API_SERVER_CRD_FILE, FAKE_NODE_CRD_FILE, fieldRule, mapValueRule, type StringFieldRule } from './crd-rules.js';

/**
 * The legacy FKAS request bodies, validated field by field before anything
 * is written, with the rules the management API and the fake clusters apply
 * (the simulator's name and label validation, our CRDs' field limits): a bad
 * request gets a 400 that names the field, and nothing is created.
 */

export class ShimInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RegisterRequest {
  readonly cluster: string;
  readonly namespace: string;
}

export interface UpdateNodeRequest {
  readonly cluster: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly providerID: string;
  readonly uuid?: string;
  readonly labels: Record<string, string>;
  readonly k8sversion?: string;
  readonly role?: NodeRole;
}

/** Labels the operator adds to the Node from other fields; see the FakeNode controller. */
const UUID_LABEL_FIELD = 'uuid';
/** The longest static Pod name prefix a control-plane node gets (`kube-controller-manager-<node>`); Pod names are DNS-1123 subdomains. */
const LONGEST_STATIC_POD_PREFIX = 'kube-controller-manager-';

const rules = {
  clusterName: fieldRule(FAKE_API_SERVER_CRD_FILE, 'clusterName'),
  nodeClusterName: fieldRule(FAKE_NODE_CRD_FILE, 'clusterName'),
  nodeName: fieldRule(FAKE_NODE_CRD_FILE, 'nodeName'),
  providerID: fieldRule(FAKE_NODE_CRD_FILE, 'providerID'),
  uuid: fieldRule(FAKE_NODE_CRD_FILE, 'uuid'),
  kubernetesVersion: fieldRule(FAKE_NODE_CRD_FILE, 'kubernetesVersion'),
  role: fieldRule(FAKE_NODE_CRD_FILE, 'role'),
  labelValue: mapValueRule(FAKE_NODE_CRD_FILE, 'labels'),
};

function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ShimInputError('body', 'the body must be a JSON object, e.g. {"cluster": "c1", "namespace": "default"}');
  return raw as Record<string, unknown>;
}

const describe = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v);
/** Values are echoed in errors; a huge one would make the error huge. */
const shown = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);

function fail(field: string, causes: readonly StatusCause[]): void {
  if (causes.length > 0) throw new ShimInputError(field, `"${field}": ${causes.map((c) => c.message).join('; ')}`);
}

function checkRule(field: string, value: string, rule: StringFieldRule): void {
  const why = breaksRule(value, rule);
  if (why) throw new ShimInputError(field, `"${field}" ${shown(value)} ${why}`);
}

/** A string field; absent, null and "" all mean "not given", as in the original. */
function str(b: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const v = Object.hasOwn(b, field) ? b[field] : undefined;
  if (v === undefined || v === null || v === '') {
    if (required) throw new ShimInputError(field, `"${field}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ShimInputError(field, `"${field}" must be a string, not ${describe(v)}`);
  return v;
}

function namespaceOf(b: Record<string, unknown>): string {
  const namespace = str(b, 'namespace', true)!;
  fail('namespace', validateDns1123Label(namespace));
  return namespace;
}

function clusterOf(b: Record<string, unknown>, rule: StringFieldRule): string {
  const cluster = str(b, 'cluster', true)!;
  fail('cluster', validateDns1123Label(cluster));
  checkRule('cluster', cluster, rule);
  return cluster;
}

export function parseRegister(raw: unknown): RegisterRequest {
  const b = body(raw);
  return { cluster: clusterOf(b, rules.clusterName), namespace: namespaceOf(b) };
}

export function parseUpdateNode(raw: unknown): UpdateNodeRequest {
  const b = body(raw);
  const cluster = clusterOf(b, rules.nodeClusterName);
  const namespace = namespaceOf(b);
  const nodeName = str(b, 'nodeName', true)!;
  fail('nodeName', validateDns1123Subdomain(nodeName));
  checkRule('nodeName', nodeName, rules.nodeName);
  const fakeNodeName = fakeNodeNameOf(cluster, nodeName);
  if (validateDns1123Subdomain(fakeNodeName).length > 0) {
    throw new ShimInputError('nodeName', `"nodeName" is too long: the FakeNode "<cluster>-<nodeName>" would have ${fakeNodeName.length} characters, more than a name may have (253)`);
  }
  const providerID = str(b, 'providerID', true)!;
  checkRule('providerID', providerID, rules.providerID);
  const uuid = str(b, 'uuid', false);
  if (uuid !== undefined) {
    checkRule('uuid', uuid, rules.uuid);
    // The operator also writes it as the Node label metal3.io/uuid, so it must be a label value too.
    fail(UUID_LABEL_FIELD, validateLabelValue(uuid, UUID_LABEL_FIELD));
  }
  const k8sversion = str(b, 'k8sversion', false);
  if (k8sversion !== undefined) checkRule('k8sversion', k8sversion, rules.kubernetesVersion);
  const role = str(b, 'role', false);
  if (role !== undefined) checkRule('role', role, rules.role);
  const labels = parseLabels(Object.hasOwn(b, 'labels') ? b.labels : undefined);
  checkNodeLabels(nodeName, labels, uuid);
  return {
    cluster,
    namespace,
    nodeName,
    providerID,
    ...(uuid !== undefined ? { uuid } : {}),
    labels,
    ...(k8sversion !== undefined ? { k8sversion } : {}),
    ...(role !== undefined ? { role: role as NodeRole } : {}),
  };
}

/**
 * The labels the Node will carry in the fake cluster, built by the same
 * template the operator uses (kubernetes.io/hostname is the node name, so a
 * node name longer than a label value can never register), checked with the
 * fake cluster's rules.
 */
function checkNodeLabels(nodeName: string, labels: Record<string, string>, uuid: string | undefined): void {
  const node = nodeObject({ name: nodeName, labels: { ...labels, ...(uuid !== undefined ? { [METAL3_UUID_LABEL]: uuid } : {}) }, kubeletVersion: 'v0.0.0' }, '');
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    const causes = [...validateQualifiedName(key, 'labels'), ...validateLabelValue(value, 'labels')];
    if (causes.length === 0) continue;
    if (value === nodeName && !Object.hasOwn(labels, key)) {
      throw new ShimInputError('nodeName', `"nodeName" ${shown(nodeName)} cannot be a Node's ${key} label value (at most 63 characters, alphanumerics, '-', '_', '.'): use a shorter node name, or give that label yourself in "labels"`);
    }
    fail(key === METAL3_UUID_LABEL && uuid !== undefined ? UUID_LABEL_FIELD : 'labels', causes);
  }
}

/** The FakeNode the shim writes for a node: one per cluster and node name. */
export function fakeNodeNameOf(cluster: string, nodeName: string): string {
  return `${cluster}-${nodeName}`;
}

/** Names the fake cluster derives from the node name for its role must be valid too (checked once the role is known). */
export function checkNodeNameForRole(nodeName: string, role: NodeRole): void {
  if (role !== 'control-plane') return;
  const longest = `${LONGEST_STATIC_POD_PREFIX}${nodeName}`;
  if (validateDns1123Subdomain(longest).length > 0) {
    throw new ShimInputError('nodeName', `"nodeName" is too long for a control-plane node: its static Pod "${LONGEST_STATIC_POD_PREFIX}<nodeName>" would have ${longest.length} characters, more than 253`);
  }
}

/** Labels as a JSON object, or the string form `k1=v1,k2=v2` the original accepted. */
export function parseLabels(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === '') return {};
  let pairs: [string, unknown][];
  if (typeof raw === 'string') {
    pairs = raw
      .split(',')
      .filter((p) => p.trim() !== '')
      .map((p) => {
        const i = p.indexOf('=');
        if (i <= 0) throw new ShimInputError('labels', `"labels" entry ${shown(p)} is not key=value`);
        return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
      });
  } else if (typeof raw === 'object' && !Array.isArray(raw)) {
    pairs = Object.entries(raw as Record<string, unknown>);
  } else {
    throw new ShimInputError('labels', `"labels" must be an object of strings or a "k1=v1,k2=v2" string, not ${describe(raw)}`);
  }
  // No prototype: a key such as "__proto__" is refused by validation, never assigned to Object.prototype.
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of pairs) {
    if (typeof v !== 'string') throw new ShimInputError('labels', `label ${shown(k)} must have a string value, not ${describe(v)}`);
    fail('labels', validateQualifiedName(k, 'labels'));
    fail('labels', validateLabelValue(v, 'labels'));
    checkRule('labels', v, rules.labelValue);
    out[k] = v;
  }
  return { ...out };
}
