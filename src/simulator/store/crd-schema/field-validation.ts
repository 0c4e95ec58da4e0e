import { StatusError } from '../../api/errors.js';
import { fieldError, errorText } from './field-errors.js';

/**
 * The `fieldValidation` write option: what to do about fields the schema
 * does not know. Ignore drops them silently, Warn (kube-apiserver's default
 * when the parameter is absent) drops them and answers with a `Warning`
 * header per field, Strict refuses the write with 400 BadRequest.
 */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const SUPPORTED: readonly FieldValidation[] = ['Ignore', 'Strict', 'Warn'];
/** As kube-apiserver lists them in its Unsupported value message (the empty string means the default). */
const LISTED_AS_SUPPORTED: readonly string[] = ['', ...SUPPORTED];
export const DEFAULT_FIELD_VALIDATION: FieldValidation = 'Warn';

/** The `fieldValidation` query parameter, or a 422 naming the supported values. */
export function parseFieldValidation(raw: string | null, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  if (raw === null || raw === '') return DEFAULT_FIELD_VALIDATION;
  if ((SUPPORTED as readonly string[]).includes(raw)) return raw as FieldValidation;
  const e = fieldError.notSupported('fieldValidation', raw, LISTED_AS_SUPPORTED);
  throw new StatusError(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: ${errorText(e)}`, {
    group: 'meta.k8s.io',
    kind: optionsKind,
    causes: [{ reason: e.reason, message: e.body, field: e.field }],
  });
}

/** The text of one unknown-field warning (or one item of the Strict error). */
export function unknownFieldText(path: string): string {
  return `unknown field "${path}"`;
}
