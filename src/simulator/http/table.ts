import type { KindInfo, PrinterColumn } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import { BUILTIN_COLUMNS } from './table-columns.js';
import { age, ageColumn, get, nameColumn, type Column } from './table-cells.js';

/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`),
 * which is what `kubectl get` renders. Built-in kinds get kube-apiserver's
 * columns (table-columns.ts); CRDs use their additionalPrinterColumns;
 * everything else gets NAME and AGE.
 */

function columnsFor(kind: KindInfo): readonly Column[] {
  const builtin = BUILTIN_COLUMNS[`${kind.group}/${kind.plural}`];
  if (builtin && !kind.custom) return builtin;
  // As kube-apiserver: a CRD that lists its columns gets NAME plus exactly those (Age only if listed).
  if (kind.printerColumns?.length) return [nameColumn, ...kind.printerColumns.map(printerColumn)];
  return [nameColumn, ageColumn];
}

function printerColumn(c: PrinterColumn): Column {
  return {
    name: c.name,
    type: c.type,
    ...(c.format ? { format: c.format } : {}),
    priority: c.priority,
    description: c.description ?? '',
    cell: (o, now) => {
      const v = evaluateJsonPath(o, c.jsonPath);
      if (c.type === 'date') return typeof v === 'string' ? age(v, now) : '<unknown>';
      if (v === undefined || v === null) return null;
      return typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
    },
  };
}

/**
 * The JSONPath subset CRD printer columns use: `.a.b`, `[0]`, `[*]` and
 * filters `[?(@.type=="Ready")]`; the first match wins, as in kubectl.
 */
export function evaluateJsonPath(obj: unknown, path: string): unknown {
  const tokens = path.match(/\.[^.[\]]+|\[\?\(@\.[^)]*\)\]|\[\*\]|\[\d+\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if (t.startsWith('.')) {
        if (isPlainObject(v) && t.slice(1) in v) next.push(v[t.slice(1)]);
      } else if (t === '[*]') {
        if (Array.isArray(v)) next.push(...v);
      } else if (t.startsWith('[?(')) {
        const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)\]$/.exec(t);
        if (m && Array.isArray(v)) next.push(...v.filter((x) => String(get(x, m[1]!)) === m[2]));
      } else if (Array.isArray(v)) {
        const i = Number(t.slice(1, -1));
        if (i < v.length) next.push(v[i]);
      }
    }
    current = next;
  }
  return current[0];
}

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export function renderTable(kind: KindInfo, objects: readonly KubeObject[], listMeta: Record<string, unknown>, include: IncludeObject): unknown {
  const columns = columnsFor(kind);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partialObjectMetadata(o) }),
    })),
  };
}

export function partialObjectMetadata(o: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export { age };
