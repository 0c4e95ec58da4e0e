import { storageKey } from '../kinds/registry.js';
import type { KubeObject } from '../store/object.js';
import type { ObjectStore } from '../store/object-store.js';
import { effectiveRules, type PolicyRule } from './aggregation.js';
import { RBAC_GROUP } from './bootstrap.js';

/**
 * RBAC as kube-apiserver's RBAC authorizer evaluates it, read from one
 * cluster's own Roles, ClusterRoles and their bindings: a request is allowed
 * when some binding whose subjects include the user (or one of its groups)
 * points at a role with a rule covering the request.
 */

export interface User {
  readonly name: string;
  readonly groups: readonly string[];
}

/** What is asked: kube's authorizer.Attributes. */
export type Attributes =
  | {
      readonly resourceRequest: true;
      readonly verb: string;
      readonly apiGroup: string;
      readonly resource: string;
      readonly subresource?: string;
      readonly namespace?: string;
      readonly name?: string;
    }
  | { readonly resourceRequest: false; readonly verb: string; readonly path: string };

const CLUSTER_ROLES = storageKey({ group: RBAC_GROUP, plural: 'clusterroles' });
const CLUSTER_ROLE_BINDINGS = storageKey({ group: RBAC_GROUP, plural: 'clusterrolebindings' });
const ROLES = storageKey({ group: RBAC_GROUP, plural: 'roles' });
const ROLE_BINDINGS = storageKey({ group: RBAC_GROUP, plural: 'rolebindings' });
export const RBAC_COLLECTIONS: readonly string[] = [CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS];
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

interface RoleRef {
  readonly kind?: string;
  readonly name?: string;
}

/** True when RBAC in `store` allows the request. */
export function rbacAllows(store: ObjectStore, user: User, attrs: Attributes): boolean {
  return rbacDecision(store, user, attrs) !== undefined;
}

/** The binding that allows the request, described as kube's RBAC authorizer words its reason; undefined when refused. */
export function rbacDecision(store: ObjectStore, user: User, attrs: Attributes): string | undefined {
  for (const grant of grantsOf(store, user, attrs.resourceRequest ? attrs.namespace : undefined)) {
    if (grant.rules.some((r) => ruleAllows(r, attrs))) return `RBAC: allowed by ${grant.describe()}`;
  }
  return undefined;
}

/** Every rule the user holds in a namespace (cluster-wide ones included): SelfSubjectRulesReview. */
export function rulesFor(store: ObjectStore, user: User, namespace: string | undefined): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const grant of grantsOf(store, user, namespace)) out.push(...grant.rules);
  return out;
}

interface Grant {
  readonly rules: PolicyRule[];
  describe(): string;
}

/** Rules of the roles bound to the user: ClusterRoleBindings first, then RoleBindings of `namespace`. */
function* grantsOf(store: ObjectStore, user: User, namespace: string | undefined): Generator<Grant> {
  for (const { object } of store.list(CLUSTER_ROLE_BINDINGS)) {
    const subject = subjectFor(object, user, undefined);
    const ref = object.roleRef as RoleRef | undefined;
    if (!subject || ref?.kind !== 'ClusterRole' || !ref.name) continue;
    yield { rules: clusterRoleRules(store, ref.name), describe: () => `ClusterRoleBinding "${object.metadata.name}" of ClusterRole "${ref.name}" to ${describeSubject(subject)}` };
  }
  if (!namespace) return;
  for (const { object } of store.list(ROLE_BINDINGS, namespace)) {
    const subject = subjectFor(object, user, namespace);
    const ref = object.roleRef as RoleRef | undefined;
    if (!subject || !ref?.name) continue;
    const rules = ref.kind === 'ClusterRole' ? clusterRoleRules(store, ref.name) : ref.kind === 'Role' ? rulesOf(store.get(ROLES, namespace, ref.name)) : [];
    yield { rules, describe: () => `RoleBinding "${object.metadata.name}/${namespace}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject)}` };
  }
}

function describeSubject(s: Subject): string {
  return s.kind === 'ServiceAccount' && s.namespace ? `${s.kind} "${s.namespace}/${s.name}"` : `${s.kind} "${s.name}"`;
}

function clusterRoleRules(store: ObjectStore, name: string): PolicyRule[] {
  const role = store.get(CLUSTER_ROLES, undefined, name);
  if (!role) return [];
  if (!role.aggregationRule) return rulesOf(role);
  return effectiveRules(role, store.list(CLUSTER_ROLES).map((e) => e.object));
}

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  return Array.isArray(role?.rules) ? (role.rules as PolicyRule[]) : [];
}

/** The first subject of the binding that is the user (or one of its groups). */
function subjectFor(binding: KubeObject, user: User, bindingNamespace: string | undefined): Subject | undefined {
  const subjects = binding.subjects;
  if (!Array.isArray(subjects)) return undefined;
  return (subjects as Subject[]).find((s) => subjectMatches(s, user, bindingNamespace));
}

function subjectMatches(s: Subject, user: User, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return s.name !== undefined && user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns !== undefined && user.name === `${SERVICE_ACCOUNT_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

/** One PolicyRule against the request, as rbac/validation's RuleAllows. */
export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!matchesOrStar(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) return nonResourceUrlMatches(rule.nonResourceURLs, attrs.path);
  if (!matchesOrStar(rule.apiGroups, attrs.apiGroup)) return false;
  if (!resourceMatches(rule.resources, attrs.resource, attrs.subresource)) return false;
  const names = rule.resourceNames;
  return !names?.length || (attrs.name !== undefined && names.includes(attrs.name));
}

function matchesOrStar(list: readonly string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

function resourceMatches(list: readonly string[] | undefined, resource: string, subresource: string | undefined): boolean {
  if (!list) return false;
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return list.some((r) => r === '*' || r === combined || (subresource !== undefined && r === `*/${subresource}`));
}

function nonResourceUrlMatches(list: readonly string[] | undefined, path: string): boolean {
  if (!list) return false;
  return list.some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}
