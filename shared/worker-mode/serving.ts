import { REQUESTS, type ServiceRole, type WorkerMode } from './types.js';

/**
 * Does this node serve `key`? `key` is a processor key (`workflow:process`) or `!` for the requests
 * role. The answer depends only on the parsed mode, so plugin code may call it on every request.
 */
export function serving(mode: WorkerMode, key: string): boolean {
  if (key === REQUESTS) return mode.requests;
  return mode.processors === 'all' || mode.processors.includes(key);
}

/** Whether a service with this role belongs on a node with this mode. */
export function selects(mode: WorkerMode, role: ServiceRole): boolean {
  switch (role.kind) {
    case 'every-node':
      return true;
    case 'requests':
      return mode.requests;
    case 'processor':
      return serving(mode, role.key);
  }
}

/** Keys named in WORKER_MODE that no service declares (`*` names none). */
export function unknownKeys(mode: WorkerMode, declared: Iterable<string>): string[] {
  if (mode.processors === 'all') return [];
  const known = new Set(declared);
  return mode.processors.filter((key) => !known.has(key));
}
