import { BUILTIN_KINDS, GROUP_PRIORITY } from './builtin-kinds.js';
import { apiVersionOf, groupResourceKey, type KindInfo } from './kind.js';

/**
 * Looks kinds up by URL (group, version, plural) and by apiVersion/kind.
 *
 * The built-in table is shared by every fake cluster; a cluster only gets
 * its own overlay when a CustomResourceDefinition is created in it, so an
 * idle cluster costs nothing here.
 */
export class KindRegistry {
  private static readonly builtinByResource = indexByResource(BUILTIN_KINDS);
  private static readonly builtinByKind = indexByKind(BUILTIN_KINDS);

  /** Kinds registered from CRDs, keyed like the built-in indexes. Allocated on first CRD. */
  private custom?: { byResource: Map<string, KindInfo>; byKind: Map<string, KindInfo>; list: KindInfo[] };

  /** `group/version/plural` → kind. */
  byResource(group: string, version: string, plural: string): KindInfo | undefined {
    const key = `${group}/${version}/${plural}`;
    return KindRegistry.builtinByResource.get(key) ?? this.custom?.byResource.get(key);
  }

  byKind(apiVersion: string, kind: string): KindInfo | undefined {
    const key = `${apiVersion}/${kind}`;
    return KindRegistry.builtinByKind.get(key) ?? this.custom?.byKind.get(key);
  }

  /** True when some version of the group/resource is served (for 404 vs 405 decisions). */
  hasGroupVersion(group: string, version: string): boolean {
    return this.all().some((k) => k.group === group && k.version === version);
  }

  all(): readonly KindInfo[] {
    return this.custom ? [...BUILTIN_KINDS, ...this.custom.list] : BUILTIN_KINDS;
  }

  /** Groups in discovery order, each with its versions (preferred first). */
  groups(): { name: string; versions: string[] }[] {
    const versions = new Map<string, string[]>();
    for (const k of this.all()) {
      const list = versions.get(k.group) ?? [];
      if (!list.includes(k.version)) list.push(k.version);
      versions.set(k.group, list);
    }
    const rank = (g: string): number => {
      const i = GROUP_PRIORITY.indexOf(g);
      return i === -1 ? GROUP_PRIORITY.length : i;
    };
    return [...versions.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([name, vs]) => ({ name, versions: vs }));
  }

  /** Registers (or replaces) the kinds a CRD serves. Built-in kinds can't be shadowed. */
  registerCustom(kinds: readonly KindInfo[]): void {
    const custom = (this.custom ??= { byResource: new Map<string, KindInfo>(), byKind: new Map<string, KindInfo>(), list: [] as KindInfo[] });
    for (const k of kinds) {
      if (KindRegistry.builtinByResource.has(`${k.group}/${k.version}/${k.plural}`)) continue;
      this.unregisterCustom(k.group, k.plural, k.version);
      custom.byResource.set(`${k.group}/${k.version}/${k.plural}`, k);
      custom.byKind.set(`${apiVersionOf(k)}/${k.kind}`, k);
      custom.list.push(k);
    }
  }

  /** Removes every version of a custom group/resource, or just one version. */
  unregisterCustom(group: string, plural: string, version?: string): void {
    if (!this.custom) return;
    const keep: KindInfo[] = [];
    for (const k of this.custom.list) {
      const match = k.group === group && k.plural === plural && (version === undefined || k.version === version);
      if (!match) {
        keep.push(k);
        continue;
      }
      this.custom.byResource.delete(`${k.group}/${k.version}/${k.plural}`);
      this.custom.byKind.delete(`${apiVersionOf(k)}/${k.kind}`);
    }
    this.custom.list = keep;
  }
}

function indexByResource(kinds: readonly KindInfo[]): Map<string, KindInfo> {
  return new Map(kinds.map((k) => [`${k.group}/${k.version}/${k.plural}`, k]));
}

function indexByKind(kinds: readonly KindInfo[]): Map<string, KindInfo> {
  return new Map(kinds.map((k) => [`${apiVersionOf(k)}/${k.kind}`, k]));
}

/** Storage key shared by every version of a group/resource. */
export function storageKey(k: Pick<KindInfo, 'group' | 'plural'>): string {
  return groupResourceKey(k.group, k.plural);
}
