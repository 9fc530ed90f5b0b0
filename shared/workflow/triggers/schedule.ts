import { validateScheduleConfig } from '../schedule/index.js';

/** Schedule trigger config checks at the API (shared/workflow/schedule's rules, NocoBase's messages). */
export function validateScheduleTrigger(config: Record<string, unknown>): string[] {
  try {
    validateScheduleConfig(config);
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}
