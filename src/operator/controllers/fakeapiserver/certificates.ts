import { clusterNameOf, type FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import { CaSecretError, ensureCaSecret, type LoadedCa } from './cluster-cas.js';
import { CONDITION, type StatusReport } from './status.js';

/**
 * ensure-certificates: the cluster and etcd CAs from CAPI's Secrets, created
 * in CAPI's format when absent. A served cluster whose spec did not change
 * reuses what it read less than CA_RECHECK_MS ago: the reconciles its own
 * status writes trigger cost no Secret reads.
 */

/** How long a served cluster trusts the CAs it read before reading their Secrets again (rotation is noticed then). */
export const CA_RECHECK_MS = 60_000;

const CAS_FOUND = 'serving with the cluster and etcd CAs from their Secrets';

export interface ClusterCas {
  readonly ca: LoadedCa;
  readonly etcdCa: LoadedCa;
}

export function caSecretNames(fas: FakeAPIServer): { ca: string; etcd: string } {
  const cluster = clusterNameOf(fas);
  return { ca: fas.spec?.caSecretName || `${cluster}-ca`, etcd: fas.spec?.etcdCASecretName || `${cluster}-etcd` };
}

/** The CAs, or undefined when a Secret is unusable (the report says why). */
export async function ensureCertificates(ctx: OperatorContext, key: string, fas: FakeAPIServer, report: StatusReport): Promise<ClusterCas | undefined> {
  const served = ctx.served.get(key);
  const checked = served?.casChecked;
  if (checked && checked.generation === fas.metadata.generation && ctx.now().getTime() - checked.atMs < CA_RECHECK_MS) {
    report.set(CONDITION.certificates, 'True', 'CASecretsFound', CAS_FOUND);
    return checked.cas;
  }
  const namespace = fas.metadata.namespace!;
  const cluster = clusterNameOf(fas);
  const names = caSecretNames(fas);
  let cas: ClusterCas;
  try {
    const [ca, etcdCa] = await Promise.all([
      ensureCaSecret(ctx.client, ctx.caSecrets, namespace, names.ca, cluster, 'cluster', ctx.caKeyAlgorithm),
      ensureCaSecret(ctx.client, ctx.caSecrets, namespace, names.etcd, cluster, 'etcd', ctx.caKeyAlgorithm),
    ]);
    cas = { ca, etcdCa };
  } catch (err) {
    if (!(err instanceof CaSecretError)) throw err;
    await report.fail(CONDITION.certificates, 'InvalidCASecret', err.message);
    return undefined;
  }
  report.set(CONDITION.certificates, 'True', 'CASecretsFound', CAS_FOUND);
  return cas;
}
