import type { SyncSignal } from '../sync/index.js';
import type { ProgressEvent, TaskRow } from './types.js';

/** Sync-signal channel of task progress (per app): every batch, and once more when the task ends. */
export const PROGRESS_CHANNEL = 'asyncTasks:progress';

/** Moleculer broadcast event that asks the node running a task to stop it now (the DB flag backs it up). */
export const STOP_EVENT = 'asyncTasks.stop';

export function progressOf(task: TaskRow): ProgressEvent {
  return { id: task.id, status: task.status, progressCurrent: Number(task.progressCurrent), progressTotal: task.progressTotal === null ? null : Number(task.progressTotal), result: task.result };
}

export function publishProgress(sync: SyncSignal, app: string, event: ProgressEvent): Promise<void> {
  // Not skipSelf: a gateway on the running node streams this task's progress too.
  return sync.forApp(app).publish(PROGRESS_CHANNEL, event, { skipSelf: false });
}

export function isFinished(status: ProgressEvent['status']): boolean {
  return status === 1 || status === -1 || status === -2;
}
