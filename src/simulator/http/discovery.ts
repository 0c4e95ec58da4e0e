import { createHash } from 'node:crypto';
import type { KindInfo } from '../kinds/kind.js';
import type { KindRegistry } from '../kinds/registry.js';

/**
 * Discovery documents, derived from the kind registry: the legacy
 * per-group-version lists and the aggregated form (apidiscovery.k8s.io/v2)
 * that kubectl and client-go ask for first.
 */

export const AGGREGATED_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Verbs and response kind of each subresource, as kube-apiserver reports them. */
const SUBRESOURCES: Record<string, { verbs: string[]; kind?: { group: string; version: string; kind: string } }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  eviction: { verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  portforward: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' } },
  exec: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodExecOptions' } },
  attach: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodAttachOptions' } },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: { group: '', version: 'v1', kind: 'PodProxyOptions' } },
  log: { verbs: ['get'] },
  binding: { verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' } },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
  token: { verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  approval: { verbs: ['get', 'patch', 'update'] },
};

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(registry: KindRegistry): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.name !== '')
      .map((g) => apiGroupBody(g.name, g.versions)),
  };
}

export function apiGroup(registry: KindRegistry, group: string): unknown | undefined {
  const g = registry.groups().find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(g.name, g.versions) } : undefined;
}

function apiGroupBody(name: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

const storageHashes = new Map<string, string>();

/**
 * The hash kube-apiserver publishes so clients can tell when a resource's
 * storage version changes: the first 8 bytes of SHA-256 of
 * `group/version/kind`, base64. One version is served and stored per kind.
 */
function storageVersionHash(k: KindInfo): string {
  const id = `${k.group}/${k.version}/${k.kind}`;
  let hash = storageHashes.get(id);
  if (hash === undefined) storageHashes.set(id, (hash = createHash('sha256').update(id).digest().subarray(0, STORAGE_HASH_BYTES).toString('base64')));
  return hash;
}
const STORAGE_HASH_BYTES = 8;

export function apiResourceList(registry: KindRegistry, group: string, version: string): unknown | undefined {
  const kinds = registry.all().filter((k) => k.group === group && k.version === version);
  if (kinds.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const k of kinds) {
    resources.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.verbs,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
      // Only what is stored has a storage version (the review kinds are answered, never kept).
      ...(k.verbs.includes('get') ? { storageVersionHash: storageVersionHash(k) } : {}),
    });
    for (const sub of k.subresources) {
      const info = SUBRESOURCES[sub];
      resources.push({
        name: `${k.plural}/${sub}`,
        singularName: '',
        namespaced: k.namespaced,
        ...(info?.kind?.group ? { group: info.kind.group, version: info.kind.version } : {}),
        kind: info?.kind?.kind ?? k.kind,
        verbs: info?.verbs ?? ['get'],
      });
    }
  }
  // kube-apiserver's legacy /api/v1 list carries no apiVersion (group lists do).
  return { kind: 'APIResourceList', ...(group ? { apiVersion: 'v1' } : {}), groupVersion: group ? `${group}/${version}` : version, resources };
}

/** The aggregated discovery document for `/api` (core only) or `/apis` (every other group). */
export function aggregatedDiscovery(registry: KindRegistry, legacy: boolean, mediaVersion: 'v2' | 'v2beta1'): unknown {
  const groups = registry.groups().filter((g) => (legacy ? g.name === '' : g.name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${mediaVersion}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name ? { name: g.name } : {},
      versions: g.versions.map((version) => ({
        version,
        resources: registry
          .all()
          .filter((k) => k.group === g.name && k.version === version)
          .map(resourceDiscovery),
        freshness: 'Current',
      })),
    })),
  };
}

function resourceDiscovery(k: KindInfo): Record<string, unknown> {
  return {
    resource: k.plural,
    responseKind: { group: k.group, version: k.version, kind: k.kind },
    scope: k.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: k.singular,
    verbs: k.verbs,
    ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
    ...(k.categories.length ? { categories: k.categories } : {}),
    ...(k.subresources.length
      ? {
          subresources: k.subresources.map((sub) => {
            const info = SUBRESOURCES[sub];
            const kind = info?.kind ?? { group: k.group, version: k.version, kind: k.kind };
            return { subresource: sub, responseKind: kind, verbs: info?.verbs ?? ['get'] };
          }),
        }
      : {}),
  };
}

/** Which aggregated discovery version the Accept header asks for, if any. */
export function wantsAggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept || !accept.includes('as=APIGroupDiscoveryList')) return undefined;
  for (const part of accept.split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList')) continue;
    if (/v=v2(;|$|\s)/.test(part.replace(/\s/g, '') + ';')) return 'v2';
    if (part.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}
