import type { Condition } from '../api/v1alpha1.js';
import { setCondition } from './objects.js';

/**
 * The two "abnormal-true" conditions GitOps tools read (kstatus, which Flux
 * uses, and our Argo CD health check in examples/argocd): `Reconciling` True
 * while the operator works towards the spec, `Stalled` True when it cannot
 * get there without a change from the user (PortConflict, InvalidSpec, ...).
 * Both False once the object is where its spec wants it. Together with
 * status.observedGeneration (-1 on a new object, from the CRD's default) this
 * makes kstatus say InProgress, Failed or Current truthfully.
 */

export const PROGRESS_CONDITION = { reconciling: 'Reconciling', stalled: 'Stalled' } as const;

/** Where an object stands: done (Ready), still working, or stuck until its spec or surroundings change. */
export type Progress = 'Done' | 'Progressing' | 'Stalled';

export function withProgress(conditions: readonly Condition[], progress: Progress, reason: string, message: string, generation: number | undefined, now: Date): Condition[] {
  const reconciling = progress === 'Progressing' ? 'True' : 'False';
  const stalled = progress === 'Stalled' ? 'True' : 'False';
  let out = setCondition(conditions, { type: PROGRESS_CONDITION.reconciling, status: reconciling, reason, message }, generation, now);
  out = setCondition(out, { type: PROGRESS_CONDITION.stalled, status: stalled, reason, message }, generation, now);
  return out;
}
