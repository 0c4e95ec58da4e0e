/**
 * Load generator process for the HTTP benchmark: runs autocannon against one
 * fake cluster and prints its figures as one JSON line. Kept in its own
 * process so the load does not share the event loop it measures.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

interface LoadSpec {
  url: string;
  method: 'GET' | 'PATCH' | 'POST';
  path: string;
  connections: number;
  durationSeconds: number;
  contentType?: string;
  /** For PATCH and POST: a body template; `{{n}}` becomes a request counter so every write changes the object. */
  bodyTemplate?: string;
  certFile: string;
  keyFile: string;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let n = 0;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  pipelining: 1,
  tlsOptions: { cert: readFileSync(spec.certFile), key: readFileSync(spec.keyFile) },
  requests: [
    {
      method: spec.method,
      path: spec.path,
      headers: { accept: 'application/json', ...(spec.contentType ? { 'content-type': spec.contentType } : {}) },
      ...(spec.bodyTemplate
        ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: spec.bodyTemplate!.replace('{{n}}', String(n++)) }) }
        : {}),
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  }) + '\n',
);
