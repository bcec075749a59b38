/**
 * The core's progress hub as the API's handlers reach it: the one each Custos
 * owns (main/work/progress-hub.ts), which coreEvents passes on to the window.
 */
import type { Custos } from '../custos.ts';
import type { ProgressHub } from '../work/progress-hub.ts';

export { ProgressHub as WorkProgress, type Progress, type Work } from '../work/progress-hub.ts';

/** The hub of this core: the handlers report into it, coreEvents passes it on to the window. */
export function workProgressOf(custos: Custos): ProgressHub {
  return custos.work;
}
