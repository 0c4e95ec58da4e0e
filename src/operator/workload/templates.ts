import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../simulator/store/object.js';

/**
 * What fake clusters contain beyond Nodes is data: YAML templates with
 * `${variable}` placeholders. Users extend or replace them by pointing the
 * operator at their own directory (--workload-templates); a template missing
 * there falls back to ours.
 */

export type TemplateName = 'control-plane-node' | 'kubeadm-init';

export const BUILTIN_TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

const cache = new Map<string, string>();

function templateText(name: TemplateName, dir: string | undefined): string {
  for (const d of dir ? [dir, BUILTIN_TEMPLATE_DIR] : [BUILTIN_TEMPLATE_DIR]) {
    const path = join(d, `${name}.yaml`);
    const hit = cache.get(path);
    if (hit !== undefined) return hit;
    try {
      const text = readFileSync(path, 'utf8');
      cache.set(path, text);
      return text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === BUILTIN_TEMPLATE_DIR) throw err;
    }
  }
  throw new Error(`workload template ${name} not found`);
}

/** Renders a template into objects. An unknown `${name}` is an error, so a typo can't ship half-filled objects. */
export function renderTemplate(name: TemplateName, vars: Readonly<Record<string, string>>, dir?: string): KubeObject[] {
  const text = templateText(name, dir).replace(/\$\{([A-Za-z][A-Za-z0-9]*)\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`workload template ${name} uses \${${key}}, which is not one of: ${Object.keys(vars).join(', ')}`);
    return v;
  });
  return (loadAll(text) as unknown[]).filter((o): o is KubeObject => typeof o === 'object' && o !== null);
}
