import type { Case } from './cases.js';

/**
 * A test CRD using the schema keywords our own CRDs do not (int-or-string,
 * nullable, set and map lists, formats, exclusive bounds, multipleOf,
 * min/maxProperties, preserve-unknown-fields, embedded resources, nested
 * defaults), so the comparison with kube-apiserver covers the engine and
 * not only the fields of FakeAPIServer and FakeNode.
 */

export const PROBE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'probes.test.fkas.metal3.io' },
  spec: {
    group: 'test.fkas.metal3.io',
    scope: 'Namespaced',
    names: { plural: 'probes', singular: 'probe', kind: 'Probe', listKind: 'ProbeList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                properties: {
                  replicas: { type: 'integer', minimum: 0, maximum: 10, exclusiveMaximum: true, multipleOf: 2 },
                  ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
                  amount: { 'x-kubernetes-int-or-string': true },
                  note: { type: 'string', nullable: true },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', minItems: 1, maxItems: 3 },
                  id: { type: 'string', format: 'uuid' },
                  ip: { type: 'string', format: 'ipv4' },
                  day: { type: 'string', format: 'date' },
                  blob: { type: 'string', format: 'byte' },
                  settings: { type: 'object', additionalProperties: { type: 'integer' }, minProperties: 1, maxProperties: 2 },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
                  template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  limits: {
                    type: 'object',
                    default: {},
                    properties: { cpu: { type: 'integer', default: 2 }, memory: { type: 'string', default: '1Gi' } },
                  },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name', 'protocol'],
                    items: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const probe = (name: string, spec: unknown): Case['step'] => ({
  method: 'POST',
  path: 'probes',
  body: { apiVersion: 'test.fkas.metal3.io/v1', kind: 'Probe', metadata: { name }, spec },
});

export const PROBE_CASES: readonly Case[] = [
  {
    name: 'probe: every keyword satisfied, nested defaults filled',
    step: probe('good', {
      replicas: 4,
      ratio: 0.5,
      amount: '50%',
      note: null,
      tags: ['a', 'b'],
      id: '123e4567-e89b-12d3-a456-426614174000',
      ip: '10.0.0.1',
      day: '2026-11-25',
      blob: 'aGVsbG8=',
      settings: { a: 1 },
      free: { anything: { goes: [1, 'x'] }, known: 'k' },
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } },
      ports: [{ name: 'http', port: 80 }],
    }),
  },
  { name: 'probe: replicas 10 (exclusive maximum)', step: probe('max-excl', { replicas: 10 }) },
  { name: 'probe: replicas 3 (multipleOf 2)', step: probe('multiple', { replicas: 3 }) },
  { name: 'probe: replicas -2 (minimum 0)', step: probe('negative', { replicas: -2 }) },
  { name: 'probe: ratio 0 (exclusive minimum)', step: probe('min-excl', { ratio: 0 }) },
  { name: 'probe: amount 7 (int-or-string, an integer)', step: probe('ios-int', { amount: 7 }) },
  { name: 'probe: amount true (int-or-string given a boolean)', step: probe('ios-bool', { amount: true }) },
  { name: 'probe: amount 1.5 (int-or-string given a fraction)', step: probe('ios-float', { amount: 1.5 }) },
  { name: 'probe: tags with a repeated value (set)', step: probe('set-dup', { tags: ['a', 'b', 'a'] }) },
  { name: 'probe: tags empty (minItems)', step: probe('set-empty', { tags: [] }) },
  { name: 'probe: tags of four (maxItems)', step: probe('set-many', { tags: ['a', 'b', 'c', 'd'] }) },
  { name: 'probe: bad uuid, ipv4, date and byte formats', step: probe('formats', { id: 'nope', ip: '10.0.0.256', day: '2026-13-01', blob: '???' }) },
  { name: 'probe: settings {} (minProperties)', step: probe('props-few', { settings: {} }) },
  { name: 'probe: settings of three (maxProperties)', step: probe('props-many', { settings: { a: 1, b: 2, c: 3 } }) },
  { name: 'probe: settings value "x" (additionalProperties type)', step: probe('props-type', { settings: { a: 'x' } }) },
  { name: 'probe: free keeps unknown fields, its known field is checked', step: probe('free', { free: { other: 1, known: 5 } }) },
  { name: 'probe: template without apiVersion and kind (embedded resource)', step: probe('embedded-bare', { template: { data: {} } }) },
  {
    name: 'probe: template metadata with an unknown field',
    step: probe('embedded-meta', { template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', colour: 'red' } } }),
  },
  {
    name: 'probe: ports with the same name and defaulted protocol (map list)',
    step: probe('map-dup', { ports: [{ name: 'http' }, { name: 'http', protocol: 'TCP' }] }),
  },
  { name: 'probe: ports item without its key name (required)', step: probe('map-key', { ports: [{ port: 1 }] }) },
  { name: 'probe: limits given partly get the rest defaulted', step: probe('limits', { limits: { cpu: 8 } }) },
];
