import { StatusError, badRequest, type StatusCause } from '../../api/errors.js';
import type { KubeObject } from '../object.js';
import { applyDefaults } from './defaults.js';
import { errorText, fieldError, toCause } from './field-errors.js';
import { DEFAULT_FIELD_VALIDATION, unknownFieldText, type FieldValidation } from './field-validation.js';
import { pruneResource } from './prune.js';
import { ratchet } from './ratchet.js';
import { canonicalJson, type SchemaNode } from './schema.js';
import { validateResource, validateStatus } from './validate.js';

/** How a write treats unknown fields, and where its warnings go (the HTTP layer sends them as Warning headers). */
export interface SchemaWriteOptions {
  readonly fieldValidation?: FieldValidation;
  readonly warnings?: string[];
  /** A write of the status subresource: only the status schema is checked (scale: all of it, as a main write). */
  readonly subresource?: 'status' | 'scale';
  /**
   * How the written object was made, when not from a whole body: kube-apiserver
   * reports a patch's unknown fields under Strict as a 422 on `patch`, and
   * server-side apply refuses unknown fields whatever fieldValidation says.
   */
  readonly origin?: 'patch' | 'apply';
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

  /** Prunes (disallowed nulls too) and defaults in place. Strict with unknown fields → 400 BadRequest, nothing changed elsewhere. */
  decode(obj: KubeObject, opts: SchemaWriteOptions = {}): void {
    const mode = opts.origin === 'apply' ? 'Strict' : (opts.fieldValidation ?? DEFAULT_FIELD_VALIDATION);
    const unknown = mode === 'Ignore' ? undefined : [];
    // A patch refused under Strict shows the patched object as it was, unknown fields included.
    const patched = mode === 'Strict' && opts.origin === 'patch' ? canonicalJson(obj) : undefined;
    pruneResource(obj, this.root, unknown);
    applyDefaults(obj, this.root);
    if (!unknown?.length) return;
    unknown.sort();
    if (mode !== 'Strict') {
      opts.warnings?.push(...unknown.map(unknownFieldText));
      return;
    }
    if (opts.origin === 'apply') throw this.undeclaredFields(obj, unknown);
    const strict = `strict decoding error: ${unknown.map(unknownFieldText).join(', ')}`;
    if (patched !== undefined) throw strictPatchError(patched, strict);
    const { kind, version } = this.gvk;
    throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${strict}`);
  }

  /**
   * Server-side apply's refusal of fields the schema does not declare. kube-apiserver
   * answers this with a 500 (its typed-patch conversion fails); a client's mistake is
   * a 400 here, with kube-apiserver's text.
   */
  private undeclaredFields(obj: KubeObject, paths: readonly string[]): StatusError {
    const { group, version, kind } = this.gvk;
    const errors = paths.map((p) => `.${p}: field not declared in schema`);
    const list = errors.length === 1 ? errors[0]! : `errors:\n  ${errors.join('\n  ')}`;
    const where = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}; ${group}/${version}, Kind=${kind}`;
    return badRequest(`failed to create typed patch object (${where}): ${list}`);
  }

  /** The schema's causes for `obj`; with `old` (an update) errors about unchanged values are dropped (ratcheting). */
  validate(obj: KubeObject, old?: KubeObject, subresource?: 'status' | 'scale'): StatusCause[] {
    const errors = subresource === 'status' ? validateStatus(obj, this.root) : validateResource(obj, this.root);
    return (old ? ratchet(errors, obj, old) : errors).map(toCause);
  }

  /** decode + validate for an update of `existing`: throws the 400 or the 422 kube-apiserver would answer. */
  admitUpdate(next: KubeObject, existing: KubeObject, opts: SchemaWriteOptions = {}): void {
    this.decode(next, opts);
    const causes = this.validate(next, existing, opts.subresource);
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

/** A patch refused under Strict: kube-apiserver's 422 on the field `patch`, naming no kind and no object. */
function strictPatchError(patchedJson: string, strict: string): StatusError {
  const e = fieldError.invalid('patch', patchedJson, strict);
  return new StatusError(422, 'Invalid', ` "" is invalid: ${errorText(e)}`, { name: '', group: '', kind: '', causes: [toCause(e)] });
}
