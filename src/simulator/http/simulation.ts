import { setTimeout as sleep } from 'node:timers/promises';
import { StatusError, conflict, internalError, type StatusReason } from '../api/errors.js';
import type { Exchange } from './exchange.js';
import type { RequestInfo } from './request-info.js';

/**
 * What a fake cluster's API server simulates for every request: added
 * latency (plus jitter) and fault rules that answer a request with the
 * Status kube-apiserver sends for that code. Settings arrive parsed (ms,
 * codes) and are compiled once here, so a request pays one property check
 * when nothing is simulated and a few set lookups when something is. No
 * timers live in a cluster: a delayed request holds one setTimeout.
 */

/** One fault rule; the first rule that matches a request decides it. */
export interface FaultRule {
  /** get list watch create update patch delete deletecollection; absent = every verb. */
  readonly verbs?: readonly string[];
  /** plural or plural/subresource; absent = every resource (and non-resource paths). */
  readonly resources?: readonly string[];
  /** Glob on the User-Agent (`*` any run of characters, `?` one). */
  readonly userAgent?: string;
  /** 400–599: the answer is kube-apiserver's Status for this code. */
  readonly code: number;
  /** Probability the rule fires for a matching request (default 1). */
  readonly ratio?: number;
  /** Extra delay before a matching request is answered (whether the fault fires or not). */
  readonly latencyMs?: number;
}

export interface ApiSimulation {
  readonly latencyMs?: number;
  readonly jitterMs?: number;
  readonly faults?: readonly FaultRule[];
}

/** How long a client is told to wait (Retry-After) on 429 and the retryable 5xx answers, as kube-apiserver's filters say. */
export const RETRY_AFTER_SECONDS = 1;
export const FAULT_CODE_MIN = 400;
export const FAULT_CODE_MAX = 599;

interface CompiledRule {
  readonly verbs?: ReadonlySet<string>;
  readonly resources?: ReadonlySet<string>;
  readonly userAgent?: RegExp;
  readonly code: number;
  readonly ratio: number;
  readonly latencyMs: number;
}

/** A compiled simulation; `random` is injectable so specs can decide the ratio draw. */
export class RequestSimulation {
  private readonly rules: readonly CompiledRule[];
  private readonly latencyMs: number;
  private readonly jitterMs: number;

  constructor(
    settings: ApiSimulation,
    private readonly random: () => number = Math.random,
  ) {
    this.latencyMs = nonNegative(settings.latencyMs, 'latency');
    this.jitterMs = nonNegative(settings.jitterMs, 'jitter');
    this.rules = (settings.faults ?? []).map(compileRule);
  }

  /** True when this simulation does nothing: the cluster drops it and serves at full speed. */
  get isNoop(): boolean {
    return this.latencyMs === 0 && this.jitterMs === 0 && this.rules.length === 0;
  }

  /**
   * Waits what the simulation adds, then throws the fault's StatusError when
   * a rule fires. Called once per request, before it is served.
   */
  async intercept(ex: Exchange, info: RequestInfo): Promise<void> {
    const rule = this.match(ex, info);
    const delay = this.latencyMs + (this.jitterMs ? this.random() * this.jitterMs : 0) + (rule?.latencyMs ?? 0);
    if (delay > 0) await sleep(delay);
    if (rule && (rule.ratio >= 1 || this.random() < rule.ratio)) {
      ex.simulatedFault = rule.code;
      throw faultStatus(rule.code, info);
    }
  }

  /** The first rule whose verbs, resources and user agent all match; undefined when none does. */
  private match(ex: Exchange, info: RequestInfo): CompiledRule | undefined {
    if (this.rules.length === 0) return undefined;
    const verb = info.isResource ? info.verb : ex.method === 'GET' || ex.method === 'HEAD' ? 'get' : ex.method.toLowerCase();
    const resource = info.isResource ? info.resource : undefined;
    const withSub = info.isResource && info.subresource ? `${info.resource}/${info.subresource}` : undefined;
    for (const r of this.rules) {
      if (r.verbs && !r.verbs.has(verb)) continue;
      if (r.resources && !(resource && (r.resources.has(withSub ?? resource) || (!withSub && r.resources.has(resource))))) continue;
      if (r.userAgent && !r.userAgent.test(ex.header('user-agent') ?? '')) continue;
      return r;
    }
    return undefined;
  }
}

function compileRule(f: FaultRule, i: number): CompiledRule {
  if (!Number.isInteger(f.code) || f.code < FAULT_CODE_MIN || f.code > FAULT_CODE_MAX) {
    throw new Error(`faults[${i}].code ${f.code} is not an HTTP error code (${FAULT_CODE_MIN}-${FAULT_CODE_MAX})`);
  }
  const ratio = f.ratio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`faults[${i}].ratio ${ratio} is not a probability (0-1)`);
  return {
    ...(f.verbs?.length ? { verbs: new Set(f.verbs) } : {}),
    ...(f.resources?.length ? { resources: new Set(f.resources) } : {}),
    ...(f.userAgent ? { userAgent: globToRegExp(f.userAgent) } : {}),
    code: f.code,
    ratio,
    latencyMs: nonNegative(f.latencyMs, `faults[${i}].latency`),
  };
}

function nonNegative(ms: number | undefined, what: string): number {
  if (ms === undefined) return 0;
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${what} must be a duration of 0 or more, not ${ms}`);
  return ms;
}

/** `cluster-api*` → /^cluster-api.*$/: only `*` and `?` are special. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const SIMULATED = 'simulated by metal3-fkas (spec.simulation.faults)';

/** kube-apiserver's Status for `code`, for the request it answers (apimachinery's NewXxx errors). */
export function faultStatus(code: number, info: RequestInfo): StatusError {
  const ref = info.isResource ? { group: info.group, resource: info.resource, name: info.name ?? '' } : { group: '', resource: '', name: '' };
  const retry = { retryAfterSeconds: RETRY_AFTER_SECONDS };
  switch (code) {
    case 400:
      return new StatusError(400, 'BadRequest', `the request was refused (${SIMULATED})`);
    case 401:
      return new StatusError(401, 'Unauthorized', 'Unauthorized');
    case 403:
      return new StatusError(403, 'Forbidden', `${ref.resource || 'the request'} is forbidden: ${SIMULATED}`, { name: ref.name, group: ref.group, kind: ref.resource });
    case 404:
      return new StatusError(404, 'NotFound', 'the server could not find the requested resource', { name: ref.name, group: ref.group, kind: ref.resource });
    case 409:
      return conflict(ref, `the object has been modified; please apply your changes to the latest version and try again (${SIMULATED})`);
    case 410:
      return new StatusError(410, 'Expired', `too old resource version (${SIMULATED})`);
    case 429:
      return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', retry);
    case 500:
      return internalError(SIMULATED);
    case 503:
      return new StatusError(503, 'ServiceUnavailable', `the server is currently unable to handle the request (${SIMULATED})`, retry);
    case 504:
      return new StatusError(504, 'Timeout', `Timeout: request did not complete within the allotted timeout (${SIMULATED})`, retry);
    default:
      return new StatusError(code, code < 500 ? genericClientReason(code) : 'InternalError', `the server responded with the status code ${code} (${SIMULATED})`);
  }
}

function genericClientReason(code: number): StatusReason {
  const reasons: Partial<Record<number, StatusReason>> = { 405: 'MethodNotAllowed', 406: 'NotAcceptable', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 422: 'Invalid' };
  return reasons[code] ?? 'BadRequest';
}
