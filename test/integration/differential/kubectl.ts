import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityName, Target } from './targets.js';

/**
 * kubectl scenarios: the same command line against both servers, the exit
 * code and both output streams compared after normalising what differs by
 * nature (server address, certificate fingerprints, ages).
 */

export interface KubectlScenario {
  readonly name: string;
  readonly as: Exclude<IdentityName, 'anonymous'>;
  readonly args: readonly string[];
  /** Sent on standard input (a manifest for `-f -`). */
  readonly stdin?: string;
  /** Compares only what this keeps of standard output (e.g. the field list of `kubectl explain`, without descriptions). */
  readonly keep?: (stdout: string) => string;
}

export interface KubectlAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const KUBECTL_TIMEOUT_MS = 60_000;
const NS = 'diff';

const configMap = (name: string, value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n  a: "${value}"\n`;

/**
 * Client-side apply, then server-side apply of a changed value: kubectl's
 * own manager takes the fields client-side apply recorded (and migrates
 * the annotation), another manager conflicts with "kubectl-client-side-apply";
 * a `kubectl create`d object conflicts with "kubectl-create". Run in order.
 */
const APPLY_SEQUENCE: readonly KubectlScenario[] = [
  { name: 'kubectl: apply (client-side) creates csa', as: 'admin', args: ['apply', '-f', '-'], stdin: configMap('csa', '1') },
  { name: 'kubectl: apply --server-side --field-manager=other after client-side apply conflicts', as: 'admin', args: ['apply', '--server-side', '--field-manager=other', '-f', '-'], stdin: configMap('csa', '2') },
  { name: 'kubectl: apply --server-side after client-side apply takes the fields over', as: 'admin', args: ['apply', '--server-side', '-f', '-'], stdin: configMap('csa', '2') },
  { name: 'kubectl: get csa -o json (managedFields after the takeover)', as: 'admin', args: ['get', 'configmap', 'csa', '-n', NS, '-o', 'json'] },
  { name: 'kubectl: apply (client-side) again after server-side apply', as: 'admin', args: ['apply', '-f', '-'], stdin: configMap('csa', '3') },
  { name: 'kubectl: get csa -o json (after client-side apply again)', as: 'admin', args: ['get', 'configmap', 'csa', '-n', NS, '-o', 'json'] },
  { name: 'kubectl: create configmap created', as: 'admin', args: ['create', 'configmap', 'created', '-n', NS, '--from-literal=a=1'] },
  { name: 'kubectl: apply --server-side over kubectl create conflicts', as: 'admin', args: ['apply', '--server-side', '-f', '-'], stdin: configMap('created', '2') },
  { name: 'kubectl: apply --server-side --force-conflicts over kubectl create', as: 'admin', args: ['apply', '--server-side', '--force-conflicts', '-f', '-'], stdin: configMap('created', '2') },
  { name: 'kubectl: label created', as: 'admin', args: ['label', 'configmap', 'created', '-n', NS, 'team=x'] },
  { name: 'kubectl: get created -o json (managedFields of create, apply, label)', as: 'admin', args: ['get', 'configmap', 'created', '-n', NS, '-o', 'json'] },
  { name: 'kubectl: apply --server-side --dry-run=server of a changed value conflicts', as: 'admin', args: ['apply', '--server-side', '--field-manager=third', '--dry-run=server', '-f', '-'], stdin: configMap('created', '9') },
];

export const KUBECTL_SCENARIOS: readonly KubectlScenario[] = [
  { name: 'kubectl: admin auth whoami', as: 'admin', args: ['auth', 'whoami'] },
  { name: 'kubectl: jane auth whoami -o json', as: 'jane', args: ['auth', 'whoami', '-o', 'json'] },
  { name: 'kubectl: jane auth can-i list nodes', as: 'jane', args: ['auth', 'can-i', 'list', 'nodes'] },
  { name: 'kubectl: admin auth can-i "*" "*"', as: 'admin', args: ['auth', 'can-i', '*', '*'] },
  { name: 'kubectl: vera auth can-i get configmaps -n diff', as: 'vera', args: ['auth', 'can-i', 'get', 'configmaps', '-n', NS] },
  { name: 'kubectl: vera auth can-i create rolebindings -n default', as: 'vera', args: ['auth', 'can-i', 'create', 'rolebindings', '-n', 'default'] },
  { name: 'kubectl: admin auth can-i --as vera delete secrets -n diff', as: 'admin', args: ['auth', 'can-i', '--as', 'vera', 'delete', 'secrets', '-n', NS] },
  { name: 'kubectl: admin auth can-i --as vera delete secrets -n default', as: 'admin', args: ['auth', 'can-i', '--as', 'vera', 'delete', 'secrets', '-n', 'default'] },
  { name: 'kubectl: admin auth whoami --as vera --as-group fkas:viewers', as: 'admin', args: ['auth', 'whoami', '--as', 'vera', '--as-group', 'fkas:viewers'] },
  { name: 'kubectl: jane get configmaps --as vera', as: 'jane', args: ['get', 'configmaps', '--as', 'vera', '-n', NS] },
  { name: 'kubectl: vera auth can-i --list -n diff', as: 'vera', args: ['auth', 'can-i', '--list', '-n', NS] },
  { name: 'kubectl: jane auth can-i --list', as: 'jane', args: ['auth', 'can-i', '--list'] },
  { name: 'kubectl: jane get nodes', as: 'jane', args: ['get', 'nodes'] },
  { name: 'kubectl: jane get secrets -n kube-system', as: 'jane', args: ['get', 'secrets', '-n', 'kube-system'] },
  { name: 'kubectl: vera get configmaps -n diff -o name', as: 'vera', args: ['get', 'configmaps', '-n', NS, '-o', 'name'] },
  { name: 'kubectl: admin api-resources of authorization.k8s.io', as: 'admin', args: ['api-resources', '--api-group=authorization.k8s.io'] },
  { name: 'kubectl: admin get clusterrole view -o name', as: 'admin', args: ['get', 'clusterrole', 'view', '-o', 'name'] },
  ...APPLY_SEQUENCE,
  // Only the setup's event: kube-apiserver's own repair loops may add Warnings about objects other scenarios created.
  { name: 'kubectl: get events -n diff (the setup event)', as: 'admin', args: ['get', 'events', '-n', NS, '--field-selector', 'reason=Tested'] },
  { name: 'kubectl: get daemonsets -n diff -o wide', as: 'admin', args: ['get', 'daemonsets', '-n', NS, '-o', 'wide'] },
  { name: 'kubectl: get deployments -n diff -o wide', as: 'admin', args: ['get', 'deployments', '-n', NS, '-o', 'wide'] },
  { name: 'kubectl: get serviceaccounts robot -n diff', as: 'admin', args: ['get', 'serviceaccounts', 'robot', '-n', NS] },
  { name: 'kubectl: get roles,rolebindings -n diff -o wide', as: 'admin', args: ['get', 'roles,rolebindings', '-n', NS, '-o', 'wide'] },
  { name: 'kubectl: get clusterrole diff-reader', as: 'admin', args: ['get', 'clusterrole', 'diff-reader'] },
  { name: 'kubectl: get clusterrolebinding viewers -o wide', as: 'admin', args: ['get', 'clusterrolebinding', 'viewers', '-o', 'wide'] },
  { name: 'kubectl: get pods -n diff -o wide', as: 'admin', args: ['get', 'pods', '-n', NS, '-o', 'wide'] },
  { name: 'kubectl: logs p -n diff', as: 'admin', args: ['logs', 'p', '-n', NS] },
  { name: 'kubectl: explain node.spec', as: 'admin', args: ['explain', 'node.spec'] },
  { name: 'kubectl: explain deployment.spec.strategy', as: 'admin', args: ['explain', 'deployment.spec.strategy'] },
  { name: 'kubectl: explain node.spec (fields and types)', as: 'admin', args: ['explain', 'node.spec'], keep: explainFields },
  { name: 'kubectl: explain pod.spec.containers (fields and types)', as: 'admin', args: ['explain', 'pod.spec.containers'], keep: explainFields },
  { name: 'kubectl: explain deployment.spec (fields and types)', as: 'admin', args: ['explain', 'deployment.spec'], keep: explainFields },
];

/** The header and field lines of `kubectl explain` (`  name\t<type> -required-`, `  enum: …` excluded): what a reader of the schema sees without descriptions. */
function explainFields(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => /^(GROUP|KIND|VERSION|FIELD):/.test(l) || /^ {2}\S+\t<.*>( -required-)?$/.test(l))
    .join('\n');
}

export function runKubectl(t: Target, s: KubectlScenario): Promise<KubectlAnswer> {
  const args = ['--kubeconfig', t.kubeconfigs[s.as], '--cache-dir', join(tmpdir(), `fkas-differential-kubectl-${process.pid}-${t.name}`), ...s.args];
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, { timeout: KUBECTL_TIMEOUT_MS }, (err, stdout, stderr) => {
      const exitCode = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      const out = normaliseText(stdout);
      resolve({ exitCode, stdout: s.keep ? s.keep(out) : out, stderr: normaliseText(stderr) });
    });
    child.stdin?.end(s.stdin ?? '');
  });
}

function normaliseText(text: string): string {
  return text
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/X509SHA256=[0-9a-f]{64}/g, 'X509SHA256=<fingerprint>')
    .replace(/"(creationTimestamp|time)": "[^"]+"/g, '"$1": "<timestamp>"')
    .replace(/"resourceVersion": "\d+"/g, '"resourceVersion": "<resourceVersion>"')
    .replace(/"uid": "[0-9a-f-]{36}"/g, '"uid": "<uid>"')
    // Conflict messages of Update managers name the time of their last write.
    .replace(/ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, ' at <timestamp>')
    // Table ages (`5s`, `3m2s`) and Created At timestamps, wherever a column holds them.
    .replace(/(?<=\s)(\d+d)?(\d+h)?(\d+m)?\d+s(?=\s|$)/gm, '<age>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<timestamp>')
    // klog's line header: severity, date, time, pid (e.g. discovery errors when the cache is cold).
    .replace(/^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ /gm, '$1<date> <time> <pid> ');
}
