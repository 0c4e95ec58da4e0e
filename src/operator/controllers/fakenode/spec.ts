import { isIP } from 'node:net';
import { validateDns1123Label, validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '../../../simulator/store/validation.js';
import type { FakeNode } from '../../api/v1alpha1.js';

/**
 * What the operator needs of a FakeNode's spec before it can register the
 * node. As for FakeAPIServers, an unusable spec becomes an InvalidSpec
 * condition naming the field, not a registration that fails again and again.
 */

const VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;
const ROLES = ['worker', 'control-plane'];

export function nodeSpecProblems(fn: FakeNode): string[] {
  const s: unknown = fn.spec;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return ['spec must be an object with clusterName and nodeName'];
  const spec = s as Record<string, unknown>;
  const out: string[] = [];
  const name = (field: string, check: (v: string) => unknown[], what: string): void => {
    const v = spec[field];
    if (typeof v !== 'string' || v === '') out.push(`spec.${field} is required`);
    else if (check(v).length) out.push(`spec.${field} "${v}" must be ${what}`);
  };
  name('clusterName', validateDns1123Label, 'a DNS-1123 label (the FakeAPIServer\'s cluster name)');
  name('nodeName', validateDns1123Subdomain, 'a DNS-1123 subdomain (a Node name)');
  const optional = (field: string, valid: (v: unknown) => boolean, what: string): void => {
    const v = spec[field];
    if (v !== undefined && v !== null && v !== '' && !valid(v)) out.push(`spec.${field} ${JSON.stringify(v)} must be ${what}`);
  };
  optional('kubernetesVersion', (v) => typeof v === 'string' && VERSION.test(v), 'a version like v1.32.0');
  optional('role', (v) => typeof v === 'string' && ROLES.includes(v), ROLES.join(' or '));
  optional('ready', (v) => typeof v === 'boolean', 'true or false');
  optional('internalIP', (v) => typeof v === 'string' && isIP(v) !== 0, 'an IPv4 or IPv6 address');
  optional('providerID', (v) => typeof v === 'string', 'a string');
  optional('uuid', (v) => typeof v === 'string' && validateLabelValue(v, 'uuid').length === 0, 'usable as a label value (it becomes metal3.io/uuid)');
  const labels = spec.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) out.push('spec.labels must be a map of strings');
    else {
      for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
        const causes = [...validateQualifiedName(k, 'spec.labels'), ...(typeof v === 'string' ? validateLabelValue(v, 'spec.labels') : [{ message: `value of "${k}" must be a string` }])];
        for (const c of causes) out.push(`spec.labels: ${c.message}`);
      }
    }
  }
  return out;
}
