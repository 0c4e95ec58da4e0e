import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { kubeTime, type KubeObject } from '../../simulator/store/object.js';
import { KindRegistry } from '../../simulator/kinds/registry.js';
import { asCreatedBy, type SeedWriters } from '../../simulator/store/seeded-writes.js';
import { assetPath } from '../../assets.js';

/**
 * What fake clusters contain beyond Nodes is data: YAML templates with
 * `${variable}` placeholders. Users extend or replace them by pointing the
 * operator at their own directory (--workload-templates); a template missing
 * there falls back to ours.
 */

export type TemplateName = 'control-plane-node' | 'kubeadm-init';

export const BUILTIN_TEMPLATE_DIR = assetPath('src/operator/workload/templates');

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;
/**
 * Before parsing, `${name}` becomes a marker without YAML syntax in it, so
 * a placeholder inside a flow sequence (`[--name=${nodeName}]`) parses.
 */
const MARKER = /__fkas_var_([A-Za-z][A-Za-z0-9]*)__/g;
const toMarker = (_m: string, name: string): string => `__fkas_var_${name}__`;

/**
 * Who writes a template's objects in a kubeadm cluster: kubeadm creates what
 * `kubeadm init` leaves; a control-plane node's mirror pods are the
 * kubelet's, status included. Their managedFields say so.
 */
const TEMPLATE_WRITERS: Readonly<Record<TemplateName, SeedWriters>> = {
  'kubeadm-init': { manager: 'kubeadm', statusManager: 'kube-controller-manager' },
  'control-plane-node': { manager: 'kubelet', statusManager: 'kubelet' },
};
/** Stands for the write time in managedFields: the render's `now`, else the time of the render. */
const WRITE_TIME = 'fkasWriteTime';
/** The built-in kinds, to default a template's objects as kube-apiserver would on create. */
const KINDS = new KindRegistry();

/** A template parsed once: its objects with the placeholders, as markers, still in their strings, and how to render each. */
interface ParsedTemplate {
  readonly name: TemplateName;
  readonly objects: readonly unknown[];
  readonly renderers: readonly Renderer[];
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
    for (const o of objects) {
      asWrittenBy(o as KubeObject, TEMPLATE_WRITERS[name]);
      freezeUnchanging(o);
    }
    const t = { name, objects, renderers: objects.map((o) => rendererOf(o) ?? (() => o)) };
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
  let writeTime: string | undefined;
  const valueOf = (key: string): string | undefined => (key === WRITE_TIME ? (writeTime ??= vars.now ?? kubeTime(new Date())) : vars[key]);
  const fill = (text: string): string =>
    text.includes('__fkas_var_')
      ? text.replace(MARKER, (_m, key: string) => {
          const v = valueOf(key);
          if (v === undefined) throw new Error(`workload template ${t.name} uses \${${key}}, which is not one of: ${Object.keys(vars).join(', ')}`);
          return v;
        })
      : text;
  return t.objects.map((o, i) => {
    const rendered = t.renderers[i]!(fill) as KubeObject;
    sourceOf.set(rendered, o as object);
    return rendered;
  });
}

/** Each rendered object's parsed template object. */
const sourceOf = new WeakMap<KubeObject, object>();
/** Parsed template objects a render of which passed kube-apiserver's type checks. */
const typesPassed = new WeakSet<object>();

/**
 * Whether a render of the same template object passed kube-apiserver's type
 * checks already, so this one may skip them (WriteOptions.typesChecked).
 * Renders of one template object differ only in the strings placeholders
 * fill, and every variable has one format whatever its value (names,
 * addresses, versions, RFC 3339 times, base64): what passed once passes
 * again. A template object whose render failed is checked every time, so
 * its error is the one kube-apiserver would give.
 */
export function typesCheckedBefore(rendered: KubeObject): boolean {
  const source = sourceOf.get(rendered);
  return source !== undefined && typesPassed.has(source);
}

/** Records that `rendered` passed the type checks (its create succeeded). */
export function recordTypesPassed(rendered: KubeObject): void {
  const source = sourceOf.get(rendered);
  if (source) typesPassed.add(source);
}

/**
 * Defaults and completes a parsed object as kube-apiserver does on create,
 * and records its writer in managedFields, once per process: the result is
 * shared like the rest of the template. The write time is the `now` of the
 * render. Objects of kinds the fake cluster does not serve are left alone
 * (applying them fails with a clear error later).
 */
function asWrittenBy(obj: KubeObject, writers: SeedWriters): void {
  const kind = typeof obj.apiVersion === 'string' && typeof obj.kind === 'string' ? KINDS.byKind(obj.apiVersion, obj.kind) : undefined;
  if (!kind || typeof obj.metadata !== 'object' || obj.metadata === null) return;
  asCreatedBy(kind, obj, writers, toMarker('', WRITE_TIME), { complete: true });
}

/**
 * Freezes every part of a parsed template that holds no placeholder, and
 * says whether `value` holds one. A frozen part is the same for every
 * cluster: rendering hands it out as is and the store keeps it by reference
 * (see cloneObject's shareFrozen), so a thousand clusters hold one copy of
 * a ClusterRole's rules or a static Pod's probes, not a thousand.
 */
function freezeUnchanging(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('__fkas_var_');
  if (typeof value !== 'object' || value === null) return false;
  let changing = false;
  for (const [k, v] of Object.entries(value)) {
    // Every child is visited (no short cut): each unchanging one must be frozen.
    if (freezeUnchanging(v)) changing = true;
    if (!Array.isArray(value) && k.includes('__fkas_var_')) changing = true;
  }
  if (!changing) Object.freeze(value);
  return changing;
}

/** Makes a copy of a parsed value with `fill` applied to every string holding a placeholder, keys included. */
type Renderer = (fill: (s: string) => string) => unknown;

/**
 * How to render a parsed value, worked out once per template: frozen
 * (unchanging) parts and strings without a placeholder are handed out as
 * they are (undefined: nothing to render); the rest is copied, and only the
 * strings and keys that hold a placeholder are filled. Rendering then walks
 * just the parts that change instead of testing every key and string.
 */
function rendererOf(value: unknown): Renderer | undefined {
  if (typeof value === 'string') return value.includes('__fkas_var_') ? (fill) => fill(value) : undefined;
  if (Object.isFrozen(value)) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(rendererOf);
    return (fill) => value.map((v, i) => (items[i] ? items[i](fill) : v));
  }
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([key, v]) => ({ key, keyFilled: key.includes('__fkas_var_'), render: rendererOf(v), value: v }));
    return (fill) => {
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f.keyFilled ? fill(f.key) : f.key] = f.render ? f.render(fill) : f.value;
      return out;
    };
  }
  return undefined;
}
