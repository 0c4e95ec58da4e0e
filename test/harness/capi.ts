import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import type { KubeObject } from '../../src/simulator/store/object.js';
import { freePort, waitUntil, type ControlPlane } from './control-plane.js';
import { moduleCrds, moduleDir } from './module-crds.js';
import { ManagedProcess } from './processes.js';
import { binary, ensureTools, versions } from './tools.js';

/**
 * The real Cluster API managers (core, KubeadmControlPlane, kubeadm
 * bootstrap) against a harness control plane, installed the way their
 * release manifests install them: CRDs with the labels kustomize adds,
 * conversion and admission webhooks, the manager flags of the release
 * Deployment. Only the addresses differ: everything is on loopback.
 */

export const CAPI_MODULE = 'sigs.k8s.io/cluster-api';

interface ProviderLayout {
  /** Name used for files, logs and webhook configuration prefixes (as kustomize's namePrefix). */
  readonly name: string;
  readonly binary: string;
  /** Folder of the provider's kustomize config inside the cluster-api module. */
  readonly configDir: string;
  /** The `cluster.x-k8s.io/provider` label its release puts on everything. */
  readonly providerLabel: string;
}

const PROVIDERS: readonly ProviderLayout[] = [
  { name: 'capi', binary: 'capi-manager', configDir: 'config', providerLabel: 'cluster-api' },
  { name: 'capi-kubeadm-control-plane', binary: 'capi-kubeadm-control-plane', configDir: 'controlplane/kubeadm/config', providerLabel: 'control-plane-kubeadm' },
  { name: 'capi-kubeadm-bootstrap', binary: 'capi-kubeadm-bootstrap', configDir: 'bootstrap/kubeadm/config', providerLabel: 'bootstrap-kubeadm' },
];

const READY_TIMEOUT_MS = 120_000;
/** CAPI's own default log verbosity is 2; 2 keeps the logs useful when a test fails. */
const LOG_VERBOSITY = '2';

export interface CapiManagers {
  readonly version: string;
  /** Log file of each manager, by provider name (for failure messages). */
  readonly logs: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface CapiOptions {
  /** Extra feature gates, e.g. { ClusterTopology: true }, over the release defaults. */
  readonly featureGates?: Readonly<Record<string, boolean>>;
  /** Extra flags per provider name. */
  readonly extraArgs?: Readonly<Record<string, readonly string[]>>;
}

export async function startCapi(cp: ControlPlane, opts: CapiOptions = {}): Promise<CapiManagers> {
  const version = versions().CLUSTER_API_VERSION!;
  const [, root] = await Promise.all([ensureTools('capi'), moduleDir(CAPI_MODULE, version)]);
  const dir = join(cp.dir, 'capi');
  await mkdir(dir, { recursive: true });

  // One webhook CA and one serving certificate for 127.0.0.1, shared by the three managers.
  const ca = await createCertificateAuthority({ commonName: 'capi-webhook-ca', key: await generateEcKey() });
  const key = await generateEcKey();
  const serving = issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usages: ['server'], publicKey: key });
  const certDir = join(dir, 'webhook-certs');
  await mkdir(certDir, { recursive: true });
  await writeFile(join(certDir, 'tls.crt'), serving.certPem);
  await writeFile(join(certDir, 'tls.key'), privateKeyToPem(key));
  const caBundle = Buffer.from(ca.certPem).toString('base64');

  const processes: ManagedProcess[] = [];
  const logs: Record<string, string> = {};
  try {
    // Every provider's CRDs first: each manager maps the kinds of the others at start.
    const planned = [];
    for (const p of PROVIDERS) {
      const ports = { webhook: await freePort(), health: await freePort(), diagnostics: await freePort() };
      const webhookBase = `https://127.0.0.1:${ports.webhook}`;
      const providerRoot = join(root, p.configDir);
      const crds = await providerCrds(providerRoot, p, webhookBase, caBundle);
      const webhooks = await webhookConfigurations(providerRoot, p, webhookBase, caBundle);
      await cp.applyObjects([...crds, ...webhooks]);
      planned.push({ p, ports, providerRoot });
    }
    await Promise.all(planned.map(async ({ p, ports, providerRoot }) => {
      const args = [
        ...(await releaseArgs(providerRoot)),
        '--leader-elect=false',
        `--kubeconfig=${cp.kubeconfigPath}`,
        `--webhook-port=${ports.webhook}`,
        `--webhook-cert-dir=${certDir}`,
        `--health-addr=127.0.0.1:${ports.health}`,
        `--diagnostics-address=127.0.0.1:${ports.diagnostics}`,
        '--insecure-diagnostics=true',
        `--v=${LOG_VERBOSITY}`,
        ...featureGateArgs(opts.featureGates),
        ...(opts.extraArgs?.[p.name] ?? []),
      ];
      const log = join(dir, `${p.name}.log`);
      logs[p.name] = log;
      const proc = new ManagedProcess(p.name, binary(p.binary), mergeFeatureGates(args), log);
      processes.push(proc);
      proc.start();
      await waitUntil(p.name, proc, () => httpOk(`http://127.0.0.1:${ports.health}/readyz`), READY_TIMEOUT_MS);
    }));
  } catch (err) {
    for (const proc of processes.reverse()) await proc.stop();
    throw err;
  }
  return {
    version,
    logs,
    async stop() {
      for (const proc of [...processes].reverse()) await proc.stop();
    },
  };
}

async function yamlFile(path: string): Promise<KubeObject[]> {
  return (loadAll(await readFile(path, 'utf8')) as unknown[]).filter((o): o is KubeObject => typeof o === 'object' && o !== null);
}

interface Kustomization {
  resources?: string[];
  labels?: { pairs?: Record<string, string> }[];
  patches?: { path?: string }[];
}

/**
 * The provider's CRDs as its crd/kustomization.yaml assembles them: its
 * resources, its labels (the contract labels), and — where it patches in a
 * conversion webhook — that webhook, pointed at the manager on loopback.
 */
async function providerCrds(providerRoot: string, p: ProviderLayout, webhookBase: string, caBundle: string): Promise<KubeObject[]> {
  const crdDir = join(providerRoot, 'crd');
  const k = (await yamlFile(join(crdDir, 'kustomization.yaml')))[0] as unknown as Kustomization;
  const labels: Record<string, string> = { 'cluster.x-k8s.io/provider': p.providerLabel };
  for (const l of k.labels ?? []) Object.assign(labels, l.pairs ?? {});
  const files = new Set((k.resources ?? []).map((r) => r.replace(/^bases\//, '')));
  const crds = await moduleCrds(CAPI_MODULE, versions().CLUSTER_API_VERSION!, join(p.configDir, 'crd', 'bases'), { accept: (f) => files.has(f), labels });
  const converted = new Set<string>();
  for (const patch of k.patches ?? []) {
    if (!patch.path) continue;
    for (const o of await yamlFile(join(crdDir, patch.path))) {
      const spec = o.spec as { conversion?: { strategy?: string } } | undefined;
      if (o.kind === 'CustomResourceDefinition' && spec?.conversion?.strategy === 'Webhook') converted.add(o.metadata.name!);
    }
  }
  for (const crd of crds) {
    if (!converted.has(crd.metadata.name!)) continue;
    (crd.spec as Record<string, unknown>).conversion = {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: `${webhookBase}/convert`, caBundle } },
    };
  }
  return crds;
}

interface WebhookEntry {
  clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
}

/** The provider's admission webhooks, renamed as kustomize's namePrefix does and pointed at loopback. */
async function webhookConfigurations(providerRoot: string, p: ProviderLayout, webhookBase: string, caBundle: string): Promise<KubeObject[]> {
  const configs = (await yamlFile(join(providerRoot, 'webhook', 'manifests.yaml'))).filter((o) => /WebhookConfiguration$/.test(o.kind ?? ''));
  for (const c of configs) {
    c.metadata.name = `${p.name}-${c.metadata.name}`;
    for (const w of (c as unknown as { webhooks: WebhookEntry[] }).webhooks) {
      const path = w.clientConfig.service?.path ?? '/';
      w.clientConfig = { url: `${webhookBase}${path}`, caBundle };
    }
  }
  return configs;
}

/**
 * The manager's arguments from its release Deployment, with each
 * `${VAR:=default}` at its default (what clusterctl does when the variable
 * is unset), minus what the harness sets itself.
 */
async function releaseArgs(providerRoot: string): Promise<string[]> {
  const text = await readFile(join(providerRoot, 'manager', 'manager.yaml'), 'utf8');
  const deployment = (loadAll(text) as KubeObject[]).find((o) => o?.kind === 'Deployment');
  const containers = ((deployment?.spec as { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } })?.template?.spec?.containers) ?? [];
  const manager = containers.find((c) => c.name === 'manager');
  if (!manager?.args) throw new Error(`no manager container args in ${providerRoot}/manager/manager.yaml: has the layout of cluster-api changed?`);
  const owned = /^--(leader-elect|diagnostics-address|insecure-diagnostics|webhook-port|webhook-cert-dir|health-addr|kubeconfig)(=|$)/;
  return manager.args.map((a) => a.replace(/\$\{[A-Z0-9_]+:=([^}]*)\}/g, '$1')).filter((a) => !owned.test(a));
}

function featureGateArgs(gates: Readonly<Record<string, boolean>> | undefined): string[] {
  if (!gates) return [];
  return [`--feature-gates=${Object.entries(gates).map(([k, v]) => `${k}=${v}`).join(',')}`];
}

/** Several --feature-gates flags become one, later values winning (pflag keeps only the last flag). */
function mergeFeatureGates(args: string[]): string[] {
  const gates = new Map<string, string>();
  const rest: string[] = [];
  for (const a of args) {
    const m = /^--feature-gates=(.*)$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    for (const kv of m[1]!.split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      gates.set(k!, v!);
    }
  }
  return gates.size ? [...rest, `--feature-gates=${[...gates].map(([k, v]) => `${k}=${v}`).join(',')}`] : rest;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.status === 200;
}
