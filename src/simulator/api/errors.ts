/**
 * Errors that reach an API client as a Kubernetes `Status` object.
 * Every layer of the simulator (store, patch, decoding, HTTP) throws these,
 * so the HTTP layer has one place that turns an error into a response.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** The JSON body kube-apiserver sends for every failed request. */
export interface StatusObject {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  /** Empty, except the continue token of a 410 for an expired continue parameter. */
  readonly metadata: { readonly continue?: string };
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;
  readonly code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** ListMeta of the Status: kube-apiserver puts a fresh continue token there when an old one expired. */
    readonly listMeta?: { readonly continue?: string },
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): StatusObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMeta ?? {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: omitEmptyGroup(this.details) } : {}),
      code: this.code,
    };
  }
}

/** kube's StatusDetails leaves out an empty group (the core group), as Go's omitempty does. */
function omitEmptyGroup(details: StatusDetails): StatusDetails {
  if (details.group !== '') return details;
  const { group: _core, ...rest } = details;
  return rest;
}

/** Where a resource is named in messages: `pods "etcd-cp0"` or `deployments.apps "x"`. */
export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
  readonly kind?: string;
  readonly name?: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export const badRequest = (message: string, causes?: StatusCause[]): StatusError =>
  new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);

export const notFound = (ref: ResourceRef): StatusError =>
  new StatusError(404, 'NotFound', `${qualified(ref)} "${ref.name ?? ''}" not found`, {
    name: ref.name,
    group: ref.group,
    kind: ref.resource,
  });

export const alreadyExists = (ref: ResourceRef): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualified(ref)} "${ref.name ?? ''}" already exists`, {
    name: ref.name,
    group: ref.group,
    kind: ref.resource,
  });

export const conflict = (ref: ResourceRef, why: string): StatusError =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${ref.name ?? ''}": ${why}`,
    { name: ref.name, group: ref.group, kind: ref.resource },
  );

/** 422: the object itself is wrong; each cause names the offending field. */
export const invalid = (ref: ResourceRef, causes: StatusCause[]): StatusError => {
  const kind = ref.kind ?? ref.resource;
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new StatusError(422, 'Invalid', `${kind} "${ref.name ?? ''}" is invalid: ${summary}`, {
    name: ref.name,
    group: ref.group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', ...c })),
  });
};

export const unsupportedMediaType = (contentType: string, supported: readonly string[]): StatusError =>
  new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: `content type ${contentType} is not supported` }] },
  );

export const internalError = (message: string): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
