import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { KubeObject } from '../../simulator/store/object.js';

/**
 * What fake clusters contain beyond Nodes is data: YAML templates with
 * `${variable}` placeholders. Users extend or replace them by pointing the
 * operator at their own directory (--workload-templates); a template missing
 * there falls back to ours.
 */

export type TemplateName = 'control-plane-node' | 'kubeadm-init';

export const BUILTIN_TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;
/**
 * Before parsing, `${name}` becomes a marker without YAML syntax in it, so
 * a placeholder inside a flow sequence (`[--name=${nodeName}]`) parses.
 */
const MARKER = /__fkas_var_([A-Za-z][A-Za-z0-9]*)__/g;
const toMarker = (_m: string, name: string): string => `__fkas_var_${name}__`;

/** A template parsed once: its objects with the placeholders, as markers, still in their strings. */
interface ParsedTemplate {
  readonly name: TemplateName;
  readonly objects: readonly unknown[];
}

/** Parsed templates by file path: YAML is parsed once per process, not once per node. */
const parsed = new Map<string, ParsedTemplate>();

function template(name: TemplateName, dir: string | undefined): ParsedTemplate {
  for (const d of dir ? [dir, BUILTIN_TEMPLATE_DIR] : [BUILTIN_TEMPLATE_DIR]) {
    const path = join(d, `${name}.yaml`);
    const hit = parsed.get(path);
    if (hit) return hit;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === BUILTIN_TEMPLATE_DIR) throw err;
      continue;
    }
    // CORE_SCHEMA: a timestamp stays the string kube would send, not a Date.
    const objects = (loadAll(text.replace(PLACEHOLDER, toMarker), null, { schema: CORE_SCHEMA }) as unknown[]).filter((o) => typeof o === 'object' && o !== null);
    const t = { name, objects };
    parsed.set(path, t);
    return t;
  }
  throw new Error(`workload template ${name} not found`);
}

/**
 * Renders a template into new objects: every `${name}` inside a string is
 * replaced by its value. An unknown `${name}` is an error, so a typo can't
 * ship half-filled objects. Values never change the YAML's structure.
 */
export function renderTemplate(name: TemplateName, vars: Readonly<Record<string, string>>, dir?: string): KubeObject[] {
  const t = template(name, dir);
  const fill = (text: string): string =>
    text.includes('__fkas_var_')
      ? text.replace(MARKER, (_m, key: string) => {
          const v = vars[key];
          if (v === undefined) throw new Error(`workload template ${t.name} uses \${${key}}, which is not one of: ${Object.keys(vars).join(', ')}`);
          return v;
        })
      : text;
  return t.objects.map((o) => substitute(o, fill) as KubeObject);
}

/** A copy of a parsed YAML value with `fill` applied to every string, keys included. */
function substitute(value: unknown, fill: (s: string) => string): unknown {
  if (typeof value === 'string') return fill(value);
  if (Array.isArray(value)) return value.map((v) => substitute(v, fill));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[fill(k)] = substitute(v, fill);
    return out;
  }
  return value;
}
