import fc from 'fast-check';
import { cloneObject, isPlainObject, type KubeObject } from '../../../src/simulator/store/object.js';

/**
 * Random writes for the field-diff specs: a typed object, and a copy of it
 * changed by a few random edits anywhere (leaves, map entries, keyed-list
 * items reordered, duplicated or re-keyed, containers emptied or turned
 * into scalars). Untouched parts stay shared with the original, as after
 * a patch, or are copied, as after a decoded write.
 */

/** Objects the edits start from: keyed lists (one and two keys), sets, maps, atomic structs, status. */
export const SEEDS: readonly { apiVersion: string; kind: string; object: KubeObject }[] = [
  {
    apiVersion: 'v1',
    kind: 'Node',
    object: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n', uid: 'u', labels: { 'kubernetes.io/os': 'linux' }, annotations: { a: '1' } },
      spec: { providerID: 'fake://n', taints: [{ key: 'k', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '4', memory: '16Gi' },
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'ok' },
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'heartbeat 1' },
        ],
        addresses: [
          { type: 'InternalIP', address: '10.0.0.1' },
          { type: 'Hostname', address: 'n' },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: { machineID: 'm', kubeletVersion: 'v1.34.0' },
      },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default', labels: { app: 'x' }, finalizers: ['a/b', 'c/d'] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            containers: [
              { name: 'c', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 80, protocol: 'UDP' }], env: [{ name: 'A', value: '1' }] },
              { name: 'd', image: 'j' },
            ],
          },
        },
      },
      status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u' }] },
      spec: {
        containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1' } }, volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
        volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['a'] }] }] } } },
      },
      status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { a: '1', b: '2' } },
  },
];

/** One random edit: which container (by index among all), what to do, and with what. */
export interface Edit {
  readonly at: number;
  readonly op: number;
  readonly key: string;
  readonly value: unknown;
}

const scalar = fc.oneof(fc.constantFrom('Ready', 'True', 'False', 'TCP', 'c', 'x', ''), fc.integer({ min: -1, max: 81 }), fc.boolean(), fc.constant(null));
const key = fc.constantFrom('type', 'status', 'name', 'message', 'containerPort', 'protocol', 'image', 'labels', 'app', 'x', 'spec', 'metadata', 'conditions');
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.dictionary(key, scalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.dictionary(key, scalar, { maxKeys: 3 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom({}, []) },
);

export const edits = fc.array(fc.record({ at: fc.nat(), op: fc.nat({ max: 9 }), key, value }), { minLength: 0, maxLength: 4 });

/** Whether the copy shares untouched subtrees with the original (a patch) or is a full copy (a decoded write). */
export const sharing = fc.boolean();

/** A copy of `obj` with the edits applied; with `share`, containers no edit reached are the original's. */
export function edited(obj: KubeObject, list: readonly Edit[], share: boolean): KubeObject {
  const root = share ? ({ ...obj } as Record<string, unknown>) : (cloneObject(obj) as Record<string, unknown>);
  for (const e of list) {
    // The containers of the copy, each made its own before it is changed (copy on write).
    const containers = containersOf(root);
    const target = containers[e.at % containers.length]!;
    const own = ownCopy(root, target.path);
    applyEdit(own, e);
  }
  return root as KubeObject;
}

interface Located {
  readonly path: readonly (string | number)[];
}

function containersOf(root: Record<string, unknown>): Located[] {
  const out: Located[] = [];
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: root, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (Array.isArray(v)) {
      out.push({ path });
      v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
    } else if (isPlainObject(v)) {
      out.push({ path });
      for (const k of Object.keys(v)) stack.push({ v: v[k], path: [...path, k] });
    }
  }
  return out;
}

/** The container at `path`, after replacing it and every container above it by a shallow copy. */
function ownCopy(root: Record<string, unknown>, path: readonly (string | number)[]): Record<string, unknown> | unknown[] {
  let cur: Record<string, unknown> | unknown[] = root;
  for (const step of path) {
    const parent: Record<string, unknown> | unknown[] = cur;
    const child = (parent as Record<string | number, unknown>)[step] as Record<string, unknown> | unknown[];
    const copy = Array.isArray(child) ? child.slice() : { ...child };
    (parent as Record<string | number, unknown>)[step] = copy;
    cur = copy;
  }
  return cur;
}

function applyEdit(c: Record<string, unknown> | unknown[], e: Edit): void {
  if (Array.isArray(c)) {
    const i = c.length ? e.at % c.length : 0;
    switch (e.op % 5) {
      case 0:
        c.splice(i, 1);
        break;
      case 1:
        if (c.length) c.push(c[i]); // a duplicate item
        break;
      case 2:
        c.reverse();
        break;
      case 3:
        c.splice(i, 0, e.value);
        break;
      default:
        if (isPlainObject(c[i])) c[i] = { ...c[i], [e.key]: e.value }; // maybe its key
    }
    return;
  }
  const keys = Object.keys(c);
  const k = keys.length && e.op % 3 !== 0 ? keys[e.at % keys.length]! : e.key;
  switch (e.op % 4) {
    case 0:
      delete c[k];
      break;
    default:
      c[k] = e.value;
  }
}
