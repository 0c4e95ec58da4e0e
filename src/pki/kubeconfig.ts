import { dump } from 'js-yaml';

/** A kubeconfig (v1) with one cluster, one user and one context, as `kubectl` and client libraries read it. */
export interface KubeconfigSpec {
  readonly clusterName: string;
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly token?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function buildKubeconfig(spec: KubeconfigSpec): string {
  const context = `${spec.user}@${spec.clusterName}`;
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.clusterName, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [
      {
        name: spec.user,
        user: {
          ...(spec.clientCertPem ? { 'client-certificate-data': b64(spec.clientCertPem) } : {}),
          ...(spec.clientKeyPem ? { 'client-key-data': b64(spec.clientKeyPem) } : {}),
          ...(spec.token ? { token: spec.token } : {}),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: spec.clusterName, user: spec.user } }],
    'current-context': context,
    preferences: {},
  });
}
