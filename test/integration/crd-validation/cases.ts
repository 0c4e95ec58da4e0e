/**
 * Good and bad writes of our custom resources, each sent to a real
 * kube-apiserver and to the embedded management API: the answers must be
 * the same. `setup` steps create what the case then updates or patches.
 */

export interface Step {
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Below /apis/fkas.metal3.io/v1alpha1/namespaces/default/. */
  readonly path: string;
  readonly query?: string;
  /** An object is sent as JSON; a string is sent as it is (numbers written as 7000.0). */
  readonly body: unknown;
  readonly contentType?: string;
}

export interface Case {
  readonly name: string;
  readonly setup?: readonly Step[];
  readonly step: Step;
  /**
   * kube-apiserver answers this client mistake with a 5xx (server-side apply's typed
   * conversion failing); the project's rule is a 4xx for every client mistake, so the
   * embedded API must answer 4xx here instead of copying the 500.
   */
  readonly kubeAnswers5xx?: string;
}

const FAS = 'fakeapiservers';
const NODES = 'fakenodes';
const server = (name: string, spec: unknown, metadata: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'fkas.metal3.io/v1alpha1',
  kind: 'FakeAPIServer',
  metadata: { name, ...metadata },
  spec,
});
const node = (name: string, spec: unknown): unknown => ({ apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeNode', metadata: { name }, spec });
const create = (name: string, spec: unknown = { port: 7000 }): Step => ({ method: 'POST', path: FAS, body: server(name, spec) });
const condition = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'Ready',
  status: 'True',
  reason: 'Serving',
  message: 'ok',
  lastTransitionTime: '2026-01-01T00:00:00Z',
  ...extra,
});
/** A PUT of the status subresource (the runner adds the stored resourceVersion to every PUT). */
const putStatus = (name: string, status: unknown): Step => ({
  method: 'PUT',
  path: `${FAS}/${name}/status`,
  body: { ...(server(name, { port: 7000 }) as object), status },
});
const merge = (name: string, patch: unknown, query?: string, sub = ''): Step => ({
  method: 'PATCH',
  path: `${FAS}/${name}${sub}`,
  body: patch,
  contentType: 'application/merge-patch+json',
  ...(query ? { query } : {}),
});

export const CASES: readonly Case[] = [
  { name: 'a minimal FakeAPIServer gets its defaults', step: { method: 'POST', path: FAS, body: server('minimal', {}) } },
  {
    name: 'a FakeAPIServer with every field valid',
    step: {
      method: 'POST',
      path: FAS,
      body: server('full', {
        clusterName: 'full',
        kubernetesVersion: 'v1.33.1',
        port: 65535,
        advertiseHost: '10.0.0.1',
        exposure: 'Service',
        caSecretName: 'full-ca',
        etcdCASecretName: 'full-etcd',
        machineNodes: true,
      }),
    },
  },
  {
    name: 'wrong types: port "abc", kubernetesVersion 7',
    step: { method: 'POST', path: FAS, body: server('bad-types', { port: 'abc', kubernetesVersion: 7 }) },
  },
  {
    name: "the issue's object without fieldValidation: warning and 422",
    step: { method: 'POST', path: FAS, body: server('issue', { port: 'abc', kubernetesVersion: 7, bogusField: 'yes' }) },
  },
  {
    name: 'an unknown field with fieldValidation=Warn',
    step: { method: 'POST', path: FAS, query: 'fieldValidation=Warn', body: server('warn', { bogusField: 1 }) },
  },
  {
    name: 'an unknown field with fieldValidation=Strict',
    step: { method: 'POST', path: FAS, query: 'fieldValidation=Strict', body: server('strict', { bogusField: 1 }) },
  },
  {
    name: 'two unknown fields and a nested one with fieldValidation=Strict',
    step: { method: 'POST', path: FAS, query: 'fieldValidation=Strict', body: { ...(server('strict2', { zeta: 1, alpha: { x: 1 } }) as object), extra: true } },
  },
  {
    name: 'an unknown field with fieldValidation=Ignore',
    step: { method: 'POST', path: FAS, query: 'fieldValidation=Ignore', body: server('ignore', { bogusField: 1 }) },
  },
  { name: 'an unknown metadata field', step: { method: 'POST', path: FAS, body: server('meta-unknown', {}, { colour: 'red' }) } },
  { name: 'an unsupported fieldValidation value', step: { method: 'POST', path: FAS, query: 'fieldValidation=Loud', body: server('loud', {}) } },
  { name: 'port 0 (below minimum)', step: { method: 'POST', path: FAS, body: server('port-zero', { port: 0 }) } },
  { name: 'port 70000 (above maximum)', step: { method: 'POST', path: FAS, body: server('port-high', { port: 70000 }) } },
  { name: 'port 1.5 (a number where an integer is expected)', step: { method: 'POST', path: FAS, body: server('port-float', { port: 1.5 }) } },
  {
    name: 'port 7000.0 (a whole number written as a float)',
    step: {
      method: 'POST',
      path: FAS,
      body: '{"apiVersion":"fkas.metal3.io/v1alpha1","kind":"FakeAPIServer","metadata":{"name":"port-point-zero"},"spec":{"port":7000.0}}',
    },
  },
  { name: 'port null (dropped: not nullable, no default)', step: { method: 'POST', path: FAS, body: server('port-null', { port: null }) } },
  { name: 'exposure null (replaced by its default)', step: { method: 'POST', path: FAS, body: server('exposure-null', { exposure: null }) } },
  { name: 'exposure "Tunnel" (not in the enum)', step: { method: 'POST', path: FAS, body: server('enum', { exposure: 'Tunnel' }) } },
  { name: 'exposure 7 (wrong type and not in the enum)', step: { method: 'POST', path: FAS, body: server('enum-type', { exposure: 7 }) } },
  { name: 'kubernetesVersion "seven" (pattern)', step: { method: 'POST', path: FAS, body: server('pattern', { kubernetesVersion: 'seven' }) } },
  { name: 'clusterName of 64 characters (maxLength)', step: { method: 'POST', path: FAS, body: server('too-long', { clusterName: 'a'.repeat(64) }) } },
  { name: 'clusterName "Bad_Name" (pattern)', step: { method: 'POST', path: FAS, body: server('bad-name', { clusterName: 'Bad_Name' }) } },
  { name: 'advertiseHost "" (minLength)', step: { method: 'POST', path: FAS, body: server('min-length', { advertiseHost: '' }) } },
  { name: 'machineNodes "yes" (boolean expected)', step: { method: 'POST', path: FAS, body: server('bool', { machineNodes: 'yes' }) } },
  {
    name: 'no spec (required)',
    step: { method: 'POST', path: FAS, body: { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'no-spec' } } },
  },
  { name: 'spec "x" (object expected)', step: { method: 'POST', path: FAS, body: server('spec-string', 'x') } },
  { name: 'spec [1] (object expected, list given)', step: { method: 'POST', path: FAS, body: server('spec-list', [1]) } },
  {
    name: 'spec.simulation: every field valid',
    step: create('sim-good', { simulation: { available: false, latency: '1m30s', jitter: '1.5s', faults: [{ verbs: ['list', 'watch'], resources: ['nodes', 'nodes/status'], userAgent: 'cluster-api*', code: 503, ratio: 0.5, latency: '2s' }], etcd: { latency: '50ms', unhealthyMembers: ['n-0'], alarms: ['NOSPACE'] } } }),
  },
  {
    name: 'spec.simulation: bad durations, code 302, ratio 1.5, an unknown verb and alarm',
    step: create('sim-bad', { simulation: { latency: 'fast', jitter: '5', faults: [{ code: 302, ratio: 1.5, verbs: ['fly'], latency: '2 s' }], etcd: { alarms: ['FULL'] } } }),
  },
  { name: 'spec.simulation: a fault without its code', step: create('sim-nocode', { simulation: { faults: [{ ratio: 0.5 }] } }) },
  { name: 'spec.simulation: code 600 and ratio -0.1', step: create('sim-range', { simulation: { faults: [{ code: 600, ratio: -0.1 }] } }) },
  { name: 'a bad name and a bad port together', step: { method: 'POST', path: FAS, body: server('Bad_Name', { port: -1 }) } },
  { name: 'a FakeNode without its required fields', step: { method: 'POST', path: NODES, body: node('node-empty', {}) } },
  {
    name: 'a valid FakeNode gets role and ready defaults',
    step: { method: 'POST', path: NODES, body: node('node-good', { clusterName: 'c', nodeName: 'n-0' }) },
  },
  {
    name: 'a FakeNode with a bad role, a long label value and ready "true"',
    step: {
      method: 'POST',
      path: NODES,
      body: node('node-bad', { clusterName: 'c', nodeName: 'n-1', role: 'boss', ready: 'true', labels: { a: 'x'.repeat(64), b: 3 } }),
    },
  },
  {
    name: 'a FakeNode nodeName with capitals (pattern)',
    step: { method: 'POST', path: NODES, body: node('node-caps', { clusterName: 'c', nodeName: 'Node-1' }) },
  },
  { name: 'status: a valid condition', setup: [create('st-good')], step: putStatus('st-good', { conditions: [condition()], nodes: 2, observedGeneration: 1 }) },
  { name: 'status: condition status "Maybe" (enum)', setup: [create('st-enum')], step: putStatus('st-enum', { conditions: [condition({ status: 'Maybe' })] }) },
  {
    name: 'status: two conditions of type Ready (map list)',
    setup: [create('st-dup')],
    step: putStatus('st-dup', { conditions: [condition(), condition({ status: 'False' })] }),
  },
  {
    name: 'status: lastTransitionTime "yesterday" (date-time)',
    setup: [create('st-time')],
    step: putStatus('st-time', { conditions: [condition({ lastTransitionTime: 'yesterday' })] }),
  },
  {
    name: 'status: lastTransitionTime 5 (date-time given a number)',
    setup: [create('st-time-num')],
    step: putStatus('st-time-num', { conditions: [condition({ lastTransitionTime: 5 })] }),
  },
  {
    name: 'status: a condition without reason and message (required)',
    setup: [create('st-req')],
    step: putStatus('st-req', { conditions: [{ type: 'Ready', status: 'True' }] }),
  },
  { name: 'status: observedGeneration 1.5', setup: [create('st-float')], step: putStatus('st-float', { observedGeneration: 1.5 }) },
  {
    name: 'status: condition observedGeneration -1 (minimum 0)',
    setup: [create('st-neg')],
    step: putStatus('st-neg', { conditions: [condition({ observedGeneration: -1 })] }),
  },
  { name: 'status: an unknown status field (Warn)', setup: [create('st-unknown')], step: putStatus('st-unknown', { mood: 'happy', nodes: 1 }) },
  {
    name: 'status: spec changes sent to /status are ignored',
    setup: [create('st-spec')],
    step: { ...putStatus('st-spec', { nodes: 3 }), body: { ...(server('st-spec', { port: 'abc' }) as object), status: { nodes: 3 } } },
  },
  { name: 'merge patch: exposure "Tunnel"', setup: [create('mp-enum')], step: merge('mp-enum', { spec: { exposure: 'Tunnel' } }) },
  { name: 'merge patch: port "abc"', setup: [create('mp-type')], step: merge('mp-type', { spec: { port: 'abc' } }) },
  {
    name: 'merge patch: an unknown field with fieldValidation=Strict',
    setup: [create('mp-strict')],
    step: merge('mp-strict', { spec: { bogusField: 1 } }, 'fieldValidation=Strict'),
  },
  {
    name: 'merge patch: an unknown field with fieldValidation=Warn',
    setup: [create('mp-warn')],
    step: merge('mp-warn', { spec: { bogusField: 1 } }, 'fieldValidation=Warn'),
  },
  { name: 'merge patch: removing port is valid', setup: [create('mp-null')], step: merge('mp-null', { spec: { port: null } }) },
  {
    name: 'merge patch of /status: bad condition',
    setup: [create('mp-status')],
    step: merge('mp-status', { status: { conditions: [condition({ status: 'Maybe' })] } }, undefined, '/status'),
  },
  {
    name: 'PUT with an unknown field and fieldValidation=Strict',
    setup: [create('put-strict')],
    step: { method: 'PUT', path: `${FAS}/put-strict`, query: 'fieldValidation=Strict', body: server('put-strict', { port: 7000, bogusField: 1 }) },
  },
  {
    name: 'server-side apply of a new object with an unknown field and fieldValidation=Strict',
    step: {
      method: 'PATCH',
      path: `${FAS}/ssa-strict`,
      query: 'fieldManager=test&fieldValidation=Strict',
      contentType: 'application/apply-patch+yaml',
      body: server('ssa-strict', { bogusField: 1 }),
    },
    kubeAnswers5xx: 'kube-apiserver: 500 "failed to create typed patch object"',
  },
  {
    name: 'server-side apply of a new object with an unknown field and fieldValidation=Warn',
    step: {
      method: 'PATCH',
      path: `${FAS}/ssa-warn`,
      query: 'fieldManager=test&fieldValidation=Warn',
      contentType: 'application/apply-patch+yaml',
      body: server('ssa-warn', { bogusField: 1 }),
    },
    kubeAnswers5xx: 'kube-apiserver: 500 "failed to create typed patch object"',
  },
  {
    name: 'server-side apply of a new object with port "abc"',
    step: {
      method: 'PATCH',
      path: `${FAS}/ssa-type`,
      query: 'fieldManager=test',
      contentType: 'application/apply-patch+yaml',
      body: server('ssa-type', { port: 'abc' }),
    },
    kubeAnswers5xx: 'kube-apiserver: 500 "failed to create typed patch object"',
  },
  { name: 'PUT with port 70000', setup: [create('put-bad')], step: { method: 'PUT', path: `${FAS}/put-bad`, body: server('put-bad', { port: 70000 }) } },
];
