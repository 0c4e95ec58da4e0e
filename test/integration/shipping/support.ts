import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { REPO_ROOT } from '../../harness/tools.js';

/** Helpers the shipping specs share: rendering config/ and the chart, and comparing RBAC rules. */

const run = promisify(execFile);
/** Rendered manifests are a few hundred KiB; leave room. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export const SYSTEM_NAMESPACE = 'metal3-fkas-system';
export const SERVICE_ACCOUNT = 'metal3-fkas-controller-manager';
export const MANAGER_ROLE = 'metal3-fkas-manager-role';
export const LEADER_ELECTION_ROLE = 'metal3-fkas-leader-election-role';
export const HELM = join(REPO_ROOT, 'bin', 'helm');
export const CHART = join(REPO_ROOT, 'charts', 'metal3-fkas');

export async function sh(file: string, args: readonly string[], opts: { input?: string } = {}): Promise<string> {
  const child = run(file, [...args], { cwd: REPO_ROOT, maxBuffer: MAX_OUTPUT_BYTES });
  if (opts.input !== undefined) child.child.stdin?.end(opts.input);
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')}: ${e.stderr || e.message}`, { cause: err });
  }
}

export function parseManifests(text: string): KubeObject[] {
  return (loadAll(text) as (KubeObject | null)[]).filter((o): o is KubeObject => !!o);
}

/** `kubectl kustomize config/<name>`, as objects. */
export async function kustomize(config: string): Promise<KubeObject[]> {
  return parseManifests(await sh('kubectl', ['kustomize', join(REPO_ROOT, 'config', config)]));
}

export interface ReleaseOptions {
  /** The release name: metal3-fkas unless given. */
  readonly release?: string;
  /** The release namespace: metal3-fkas-system unless given. */
  readonly namespace?: string;
  /** With the chart's crds/ (the default), as `helm install` applies them. */
  readonly crds?: boolean;
}

/** `helm template` of the chart (release metal3-fkas in metal3-fkas-system unless told otherwise), with --set values. */
export async function helmTemplate(set: readonly string[] = [], opts: ReleaseOptions = {}): Promise<KubeObject[]> {
  const { release = 'metal3-fkas', namespace = SYSTEM_NAMESPACE, crds = true } = opts;
  const args = ['template', release, CHART, '--namespace', namespace, ...(crds ? ['--include-crds'] : []), ...set.flatMap((s) => ['--set', s])];
  return parseManifests(await sh(HELM, args));
}

export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs: readonly string[];
}

/** One `group resource verb` string per permission a set of rules grants, sorted: rules compare by what they allow, not how they are written. */
export function permissions(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups ?? ['']) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(`${g || 'core'} ${res} ${v}`);
  return [...out].sort();
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

export const idOf = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
