import { KubeApiError } from '../operator/kube/client.js';

/**
 * What the shim answers when it does not answer 200: a status and a JSON
 * `{error, field}`. A client's mistake is a 4xx naming the field; only a
 * management API that fails, is unreachable or too slow is a 5xx.
 */

export class ShimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Management-API answers that are about the request (the client can fix it), passed on with their code. */
const CLIENT_SIDE_CODES = new Set([400, 403, 409, 422, 429]);

/** The request fields of the shim that our writes put at these object paths. */
const FIELD_OF_PATH: Readonly<Record<string, string>> = {
  'metadata.namespace': 'namespace',
  'metadata.name': 'cluster',
  'spec.clusterName': 'cluster',
  'spec.nodeName': 'nodeName',
  'spec.providerID': 'providerID',
  'spec.uuid': 'uuid',
  'spec.labels': 'labels',
  'spec.kubernetesVersion': 'k8sversion',
  'spec.role': 'role',
};

interface StatusBody {
  details?: { kind?: string; causes?: { field?: string }[] };
}

function fieldOf(err: KubeApiError): string | undefined {
  const details = (err.body as StatusBody | undefined)?.details;
  if (details?.kind === 'namespaces') return 'namespace';
  for (const cause of details?.causes ?? []) {
    const path = cause.field?.replace(/\[.*$/, '');
    if (!path) continue;
    const match = Object.keys(FIELD_OF_PATH).find((p) => path === p || path.startsWith(`${p}.`));
    if (match) return FIELD_OF_PATH[match];
  }
  return undefined;
}

/**
 * Turns a failed management-API call into the shim's answer. `doing` says
 * what the shim was doing, e.g. "creating FakeAPIServer default/c1".
 */
export function fromManagementApi(err: unknown, doing: string, namespace: string): ShimError {
  if (err instanceof ShimError) return err;
  if (err instanceof KubeApiError) {
    const field = fieldOf(err);
    if (err.code === 404 && field === 'namespace') {
      return new ShimError(404, `namespace ${namespace} does not exist: create it first (kubectl create namespace ${namespace}) or send another namespace`, 'namespace');
    }
    // Any other 404 on our own writes means the management API does not serve the kind: not the client's doing.
    if (err.code === 404) return new ShimError(502, `the management API has no such resource while ${doing}: ${err.message}; are the fkas.metal3.io CRDs installed?`);
    if (CLIENT_SIDE_CODES.has(err.code)) return new ShimError(err.code, `the management API refused ${doing}: ${err.message}`, field ?? 'body');
    if (err.code === 504) return new ShimError(504, `the management API timed out while ${doing}: ${err.message}; send the request again`);
    return new ShimError(502, `the management API failed while ${doing}: ${err.message}; check the management API and send the request again`);
  }
  // No answer at all: the client's own request timeout, or connection refused or reset, DNS, TLS.
  if (/timed out/.test((err as Error).message)) return new ShimError(504, `the management API did not answer while ${doing}: ${(err as Error).message}; send the request again`);
  return new ShimError(503, `the management API is unreachable while ${doing}: ${(err as Error).message}; check that it runs and send the request again`);
}
