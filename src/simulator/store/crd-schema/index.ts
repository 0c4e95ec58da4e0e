/**
 * CRD schemas enforced on custom resources as kube-apiserver's
 * apiextensions server enforces them: structural pruning with unknown-field
 * warnings (or Strict refusal), defaulting, and OpenAPI v3 validation with
 * kube's messages. Generic over every CRD a fake cluster serves.
 */
export { customResourceSchema } from './crd-schemas.js';
export { CustomResourceSchema, type SchemaWriteOptions } from './custom-resource-schema.js';
export { parseFieldValidation, type FieldValidation } from './field-validation.js';
