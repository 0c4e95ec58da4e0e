import { StatusError, invalid, type StatusCause } from '../api/errors.js';
import type { Exchange } from '../http/exchange.js';
import type { ResourceRequest } from '../http/request-info.js';
import { readObjectBody } from '../http/body.js';
import type { ObjectStore } from '../store/object-store.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import type { PolicyRule } from './aggregation.js';
import { MASTERS_GROUP } from './authorizer.js';
import { rbacDecision, rulesFor, type Attributes, type User } from './rbac.js';

/**
 * The review APIs: SelfSubjectReview (`kubectl auth whoami`) and the
 * access reviews (`kubectl auth can-i`, `--list`). Each is a create that
 * stores nothing and answers the posted object with a status filled in.
 */

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const REVIEW_RESOURCES: ReadonlySet<string> = new Set([
  `${AUTHENTICATION_GROUP}/selfsubjectreviews`,
  `${AUTHORIZATION_GROUP}/selfsubjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/subjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/localsubjectaccessreviews`,
  `${AUTHORIZATION_GROUP}/selfsubjectrulesreviews`,
]);

export function isReview(info: ResourceRequest): boolean {
  return REVIEW_RESOURCES.has(`${info.group}/${info.resource}`);
}

const KINDS: Readonly<Record<string, string>> = {
  selfsubjectreviews: 'SelfSubjectReview',
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

/** Answers a review request; the caller has already been authorized to create it. */
export async function serveReview(ex: Exchange, store: ObjectStore, user: User, info: ResourceRequest): Promise<void> {
  const kind = KINDS[info.resource]!;
  if (info.verb !== 'create' || info.name !== undefined || info.subresource !== undefined) {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, { group: info.group, kind: info.resource });
  }
  const body = await readObjectBody(ex, kind);
  const spec = isPlainObject(body.spec) ? body.spec : {};
  const answer = (status: Record<string, unknown>, echoed: Record<string, unknown> = spec): void =>
    ex.sendJson(201, { kind, apiVersion: `${info.group}/${info.version}`, metadata: reviewMeta(body), ...(kind === 'SelfSubjectReview' ? {} : { spec: echoed }), status });
  switch (info.resource) {
    case 'selfsubjectreviews':
      return answer({ userInfo: { username: user.name, groups: user.groups } });
    case 'selfsubjectaccessreviews':
      return answer(accessStatus(store, user, attributesOfSpec(kind, spec, undefined)));
    case 'localsubjectaccessreviews': {
      const attrs = attributesOfSpec(kind, spec, info.namespace);
      return answer(accessStatus(store, subjectOf(kind, spec), attrs));
    }
    case 'subjectaccessreviews':
      return answer(accessStatus(store, subjectOf(kind, spec), attributesOfSpec(kind, spec, undefined)));
    default: {
      const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
      return answer(rulesStatus(store, user, namespace));
    }
  }
}

function reviewMeta(body: KubeObject): Record<string, unknown> {
  const meta = isPlainObject(body.metadata) ? { ...body.metadata } : {};
  return meta;
}

function accessStatus(store: ObjectStore, user: User, attrs: Attributes): Record<string, unknown> {
  // system:masters is allowed by kube's privileged-group authorizer, which gives no reason.
  if (user.groups.includes(MASTERS_GROUP)) return { allowed: true };
  const reason = rbacDecision(store, user, attrs);
  return reason ? { allowed: true, reason } : { allowed: false };
}

function subjectOf(kind: string, spec: Record<string, unknown>): User {
  const name = typeof spec.user === 'string' ? spec.user : '';
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  if (!name && groups.length === 0) {
    throw invalid({ group: AUTHORIZATION_GROUP, resource: kind, kind, name: '' }, [
      { reason: 'FieldValueInvalid', field: 'spec.user', message: `Invalid value: "": at least one of user or group must be specified` },
    ]);
  }
  return { name, groups };
}

function attributesOfSpec(kind: string, spec: Record<string, unknown>, urlNamespace: string | undefined): Attributes {
  const res = spec.resourceAttributes;
  const nonRes = spec.nonResourceAttributes;
  const str = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (isPlainObject(res) === isPlainObject(nonRes)) {
    throw invalidReview(kind, { field: 'spec.resourceAttributes', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  }
  if (isPlainObject(nonRes)) return { resourceRequest: false, verb: str(nonRes, 'verb'), path: str(nonRes, 'path') };
  const r = res as Record<string, unknown>;
  const namespace = str(r, 'namespace') || urlNamespace || '';
  if (urlNamespace !== undefined && namespace !== urlNamespace) {
    throw invalidReview(kind, { field: 'spec.resourceAttributes.namespace', message: `Invalid value: "${namespace}": must match metadata.namespace` });
  }
  return {
    resourceRequest: true,
    verb: str(r, 'verb'),
    apiGroup: str(r, 'group'),
    resource: str(r, 'resource'),
    ...(str(r, 'subresource') ? { subresource: str(r, 'subresource') } : {}),
    ...(namespace ? { namespace } : {}),
    ...(str(r, 'name') ? { name: str(r, 'name') } : {}),
  };
}

function invalidReview(kind: string, cause: StatusCause): StatusError {
  return invalid({ group: AUTHORIZATION_GROUP, resource: kind, kind, name: '' }, [{ reason: 'FieldValueInvalid', ...cause }]);
}

/** What `kubectl auth can-i --list` shows: RBAC's rules, plus everything for system:masters. */
function rulesStatus(store: ObjectStore, user: User, namespace: string): Record<string, unknown> {
  const rules: PolicyRule[] = user.groups.includes(MASTERS_GROUP)
    ? [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ]
    : [];
  rules.push(...rulesFor(store, user, namespace || undefined));
  const resourceRules = rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs ?? [], ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), ...(r.resources ? { resources: r.resources } : {}), ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs }));
  return { resourceRules, nonResourceRules, incomplete: false };
}
