import { StatusError, badRequest, type StatusCause } from '../../api/errors.js';
import type { KubeObject } from '../object.js';
import { applyDefaults } from './defaults.js';
import { errorText, toCause } from './field-errors.js';
import { DEFAULT_FIELD_VALIDATION, unknownFieldText, type FieldValidation } from './field-validation.js';
import { pruneNullsWithoutDefaults, pruneResource } from './prune.js';
import { ratchet } from './ratchet.js';
import type { SchemaNode } from './schema.js';
import { validateResource } from './validate.js';

/** How a write treats unknown fields, and where its warnings go (the HTTP layer sends them as Warning headers). */
export interface SchemaWriteOptions {
  readonly fieldValidation?: FieldValidation;
  readonly warnings?: string[];
}

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/**
 * One served version of a CRD, compiled: what kube-apiserver does to a
 * custom resource on the way in. `decode` prunes unknown fields (warning or
 * refusing per fieldValidation) and applies defaults, as kube-apiserver's
 * decoder does before anything else; `validate` returns the schema's causes
 * for the one 422 that also carries the metadata causes.
 */
export class CustomResourceSchema {
  constructor(
    readonly gvk: GroupVersionKind,
    readonly root: SchemaNode,
  ) {}

  /** Prunes, defaults and drops disallowed nulls in place. Strict with unknown fields → 400 BadRequest, nothing changed elsewhere. */
  decode(obj: KubeObject, opts: SchemaWriteOptions = {}): void {
    const mode = opts.fieldValidation ?? DEFAULT_FIELD_VALIDATION;
    const unknown = mode === 'Ignore' ? undefined : [];
    pruneResource(obj, this.root, unknown);
    applyDefaults(obj, this.root);
    pruneNullsWithoutDefaults(obj, this.root);
    if (!unknown?.length) return;
    const texts = unknown.sort().map(unknownFieldText);
    if (mode === 'Strict') {
      const { kind, version } = this.gvk;
      throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${texts.join(', ')}`);
    }
    opts.warnings?.push(...texts);
  }

  /** The schema's causes for `obj`; with `old` (an update) errors about unchanged values are dropped (ratcheting). */
  validate(obj: KubeObject, old?: KubeObject): StatusCause[] {
    const errors = validateResource(obj, this.root);
    return (old ? ratchet(errors, obj, old) : errors).map(toCause);
  }

  /** decode + validate for an update of `existing`: throws the 400 or the 422 kube-apiserver would answer. */
  admitUpdate(next: KubeObject, existing: KubeObject, opts: SchemaWriteOptions = {}): void {
    this.decode(next, opts);
    const causes = this.validate(next, existing);
    if (causes.length) throw this.invalid(existing.metadata.name, causes);
  }

  /** The 422 for a custom resource: `Kind.group "name" is invalid: ...`, several errors in brackets, every one a cause. */
  invalid(name: string | undefined, causes: readonly StatusCause[]): StatusError {
    const texts = causes.map((c) => errorText({ reason: c.reason ?? 'FieldValueInvalid', field: c.field ?? '', body: c.message }));
    const summary = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
    const { group, kind } = this.gvk;
    return new StatusError(422, 'Invalid', `${kind}.${group} "${name ?? ''}" is invalid: ${summary}`, {
      name: name ?? '',
      group,
      kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field ?? '' })),
    });
  }
}
