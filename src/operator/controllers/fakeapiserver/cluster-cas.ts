import { createHash } from 'node:crypto';
import { createCertificateAuthority, loadCertificateAuthority, PemCertificateAuthority, type CertificateAuthority } from '../../../pki/certificates.js';
import { generateEcKey, generateRsaKey } from '../../../pki/keys.js';
import { CAPI_CLUSTER_NAME_LABEL, CAPI_SECRET_TYPE } from '../../api/v1alpha1.js';
import { isAlreadyExists, isNotFound, type KubeClient } from '../../kube/client.js';

/**
 * The CAs a fake cluster serves with are CAPI's own: `<cluster>-ca` and
 * `<cluster>-etcd` in the cluster's namespace. When they exist we use them
 * (CAPI made them, and the kubeconfig CAPI writes trusts them); when they
 * don't, we create them in CAPI's format so CAPI adopts them instead of
 * generating its own. An existing CA is never overwritten.
 */

interface Secret {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

export class CaSecretError extends Error {}

/**
 * Key types for the CAs we generate, named as CAPI's encryptionAlgorithm
 * field names them. ECDSA-P256 is the default: RSA-2048 key generation costs
 * ~125 ms of CPU per CA, two CAs per cluster, which dominates the time to
 * Ready at hundreds of clusters; CAPI and kubeadm accept both.
 */
export const CA_KEY_ALGORITHMS = ['ECDSA-P256', 'RSA-2048'] as const;
export type CaKeyAlgorithm = (typeof CA_KEY_ALGORITHMS)[number];
export const DEFAULT_CA_KEY_ALGORITHM: CaKeyAlgorithm = 'ECDSA-P256';

/** kubeadm's CA common names. */
const CA_COMMON_NAME = { cluster: 'kubernetes', etcd: 'etcd-ca' } as const;

/** A CA read from (or written to) its Secret, checked: the simulator serves with it without checking it again. */
export class LoadedCa extends PemCertificateAuthority {
  /** caFingerprint of the pair. */
  readonly fingerprint: string;

  constructor(
    ca: CertificateAuthority,
    readonly created: boolean,
    readonly resourceVersion: string,
  ) {
    super(ca.certPem, ca.keyPem);
    this.fingerprint = ca instanceof LoadedCa ? ca.fingerprint : caFingerprint(ca);
  }
}

/**
 * CA Secrets already read and checked, by namespace/name and resourceVersion:
 * a reconcile that finds the same Secret does not decode and parse it again.
 */
export class CaSecretCache {
  private readonly loaded = new Map<string, LoadedCa>();

  /** The CA of a Secret as read now, parsed once per resourceVersion. */
  read(secret: Secret): LoadedCa {
    const key = `${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
    const rv = secret.metadata.resourceVersion ?? '';
    const hit = this.loaded.get(key);
    if (hit && rv !== '' && hit.resourceVersion === rv) return hit.created ? new LoadedCa(hit, false, rv) : hit;
    return this.remember(key, new LoadedCa(readCa(secret), false, rv));
  }

  remember(key: string, ca: LoadedCa): LoadedCa {
    this.loaded.set(key, ca);
    return ca;
  }

  forget(namespace: string, name: string): void {
    this.loaded.delete(`${namespace}/${name}`);
  }
}

export async function ensureCaSecret(
  client: KubeClient,
  cache: CaSecretCache,
  namespace: string,
  secretName: string,
  clusterName: string,
  purpose: keyof typeof CA_COMMON_NAME,
  keyAlgorithm: CaKeyAlgorithm = DEFAULT_CA_KEY_ALGORITHM,
): Promise<LoadedCa> {
  const path = { apiVersion: 'v1', plural: 'secrets', namespace, name: secretName };
  try {
    return cache.read(await client.get<Secret>(path));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const ca = await createCertificateAuthority({ commonName: CA_COMMON_NAME[purpose], key: keyAlgorithm === 'RSA-2048' ? await generateRsaKey() : await generateEcKey() });
  try {
    const created = await client.create<Secret>(path, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace, labels: { [CAPI_CLUSTER_NAME_LABEL]: clusterName } },
      type: CAPI_SECRET_TYPE,
      data: { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') },
    });
    return cache.remember(`${namespace}/${secretName}`, new LoadedCa(ca, true, created.metadata.resourceVersion ?? ''));
  } catch (err) {
    // Somebody (CAPI) created it between our read and our create: theirs wins.
    if (!isAlreadyExists(err)) throw err;
    return cache.read(await client.get<Secret>(path));
  }
}

function readCa(secret: Secret): CertificateAuthority {
  const where = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) throw new CaSecretError(`${where} must have data keys tls.crt and tls.key (CAPI's CA format); fix or delete it`);
  const certPem = Buffer.from(crt, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  try {
    return loadCertificateAuthority(certPem, keyPem);
  } catch (err) {
    throw new CaSecretError(`${where} does not hold a usable CA: ${(err as Error).message}`);
  }
}

/** Identifies a CA by its certificate and key, whatever else changed in its Secret. */
export function caFingerprint(ca: { readonly certPem: string; readonly keyPem: string }): string {
  return createHash('sha256').update(ca.certPem).update('\0').update(ca.keyPem).digest('hex');
}
