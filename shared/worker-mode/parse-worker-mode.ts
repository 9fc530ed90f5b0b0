import type { WorkerMode } from './types.js';

/** A processor key: `<area>:<verb>`, lower-case words joined by dashes, e.g. `async-task:process`. */
export const PROCESSOR_KEY = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export class WorkerModeSyntaxError extends Error {
  override name = 'WorkerModeSyntaxError';
}

/**
 * Parses WORKER_MODE as the reference defines it: empty = everything, `!` = requests only,
 * `*` = every processor, `-` = nothing, or a comma list of `!` and processor keys.
 * Items are trimmed; an empty item, `-` mixed with others or anything else is refused naming the item.
 * Whether a key is known is checked later, against the services that declare keys.
 */
export function parseWorkerMode(value: string | undefined): WorkerMode {
  const raw = (value ?? '').trim();
  if (raw === '') return { raw, requests: true, processors: 'all' };

  const items = raw.split(',').map((item) => item.trim());
  let requests = false;
  let all = false;
  let none = false;
  const keys: string[] = [];
  items.forEach((item, index) => {
    if (item === '') throw new WorkerModeSyntaxError(`empty item at position ${index + 1} in "${raw}"`);
    if (item === '!') requests = true;
    else if (item === '*') all = true;
    else if (item === '-') none = true;
    else if (PROCESSOR_KEY.test(item)) {
      if (!keys.includes(item)) keys.push(item);
    } else {
      throw new WorkerModeSyntaxError(
        `unknown item "${item}" (expected "!", "*", "-" or a processor key like "workflow:process")`,
      );
    }
  });
  if (none && items.length > 1) {
    throw new WorkerModeSyntaxError(`"-" (no requests, no processors) cannot be combined with other items in "${raw}"`);
  }
  return { raw, requests, processors: all ? 'all' : keys };
}
