import { labelSelectorFromObject, labelSelectorMatches } from '../store/selectors.js';
import { isPlainObject, jsonEqual, type KubeObject } from '../store/object.js';

/**
 * ClusterRole aggregation, as kube-controller-manager's
 * clusterrole-aggregation controller does it: a ClusterRole with an
 * aggregationRule holds the rules of every ClusterRole its selectors match
 * (themselves aggregated first), in name order, without duplicates.
 */

export type PolicyRule = Readonly<{
  verbs?: readonly string[];
  apiGroups?: readonly string[];
  resources?: readonly string[];
  resourceNames?: readonly string[];
  nonResourceURLs?: readonly string[];
}>;

/** Nesting deeper than this is a cycle (admin → edit → view is 3 deep). */
const MAX_AGGREGATION_DEPTH = 8;

export function selectorsOf(role: KubeObject): ReturnType<typeof labelSelectorFromObject>[] | undefined {
  const rule = role.aggregationRule;
  if (!isPlainObject(rule) || !Array.isArray(rule.clusterRoleSelectors)) return undefined;
  return rule.clusterRoleSelectors.map((s) => labelSelectorFromObject(s));
}

/** The rules a ClusterRole grants, aggregated ones included. */
export function effectiveRules(role: KubeObject, all: readonly KubeObject[], depth = 0): PolicyRule[] {
  const own = Array.isArray(role.rules) ? (role.rules as PolicyRule[]) : [];
  const selectors = selectorsOf(role);
  if (!selectors || depth > MAX_AGGREGATION_DEPTH) return own;
  const rules: PolicyRule[] = [];
  const byName = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const other of byName) {
    if (other === role || other.metadata.name === role.metadata.name) continue;
    const labels = other.metadata.labels as Record<string, string> | undefined;
    if (!selectors.some((s) => labelSelectorMatches(s, labels))) continue;
    for (const r of effectiveRules(other, all, depth + 1)) if (!rules.some((x) => jsonEqual(x, r))) rules.push(r);
  }
  return rules;
}

/** The ClusterRoles with aggregated rules written in, as a cluster running kube-controller-manager shows them. */
export function aggregateClusterRoles(roles: readonly KubeObject[]): KubeObject[] {
  return roles.map((r) => (selectorsOf(r) ? { ...r, rules: effectiveRules(r, roles) } : r));
}
