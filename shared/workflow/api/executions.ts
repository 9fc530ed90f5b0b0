import type { Caller } from '../../auth/index.js';
import type { WorkflowsApp } from './handler.js';
import { cbError } from '../../errors/index.js';
import { EXECUTION_STATUS, JOB_STATUS } from '../constants.js';
import type { WorkflowApp } from '../engine/workflow-app.js';
import { executionRow, jobJson } from '../rows.js';
import type { Em } from '../types.js';
import { listTable } from '../store-list.js';
import { executionsMeta } from './metas.js';
import { appendsOf, shape } from './shape.js';
import type { Params } from './workflows.js';

export async function listExecutions({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const page = await listTable(em, executionsMeta(wf.store.schema), params, executionRow);
  return { data: page.data.map((e) => shape(e, params)), ...(page.meta ? { meta: page.meta } : {}) };
}

async function withJobs(wf: WorkflowApp, em: Em, id: unknown, params: Params) {
  const row = await wf.store.execution(em, id);
  if (!row) return null;
  const out: Record<string, unknown> = { ...shape(row, params) };
  if (appendsOf(params.appends).has('jobs')) out.jobs = (await wf.store.jobsOf(em, row.id)).map(jobJson);
  return out;
}

/** `executions:get` (`appends=jobs` gives the jobs in the order they ran). */
export async function getExecution({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  return { data: await withJobs(wf, em, params.filterByTk, params) };
}

/** `executions:cancel`: only QUEUEING or STARTED executions (else NocoBase's bare 400). */
export async function cancelExecution({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const existing = await wf.store.execution(em, params.filterByTk);
  if (!existing) throw cbError('CB_ERR_HTTP_NOT_FOUND', 'execution not found');
  const cancelled = await wf.cancel(em, existing.id);
  if (!cancelled) throw cbError('CB_ERR_VALIDATION', 'Bad Request');
  return { data: await withJobs(wf, em, existing.id, { ...params, appends: 'jobs' }) };
}

/** `executions:destroy`: by key or filter, never a STARTED one; answers the count. */
export async function destroyExecutions({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const meta = executionsMeta(wf.store.schema);
  const byKey = params.filterByTk !== undefined && params.filterByTk !== '';
  const filter = byKey ? { id: { $eq: Number(params.filterByTk) } } : params.filter;
  if (!byKey && (filter === undefined || filter === null || filter === '')) throw cbError('CB_ERR_VALIDATION', 'filterByTk or a non-empty filter is required');
  const page = await listTable(em, meta, { filter, paginate: false }, (r) => r, { sql: '"status" is distinct from ?', params: [EXECUTION_STATUS.STARTED] });
  const affected = await wf.store.deleteExecutionsWhere(em, page.cond, page.params);
  return { data: affected };
}

/**
 * `executions:rerun`: a FAILED/ERROR execution (or one whose last job failed) runs again from the
 * failed node: the failing job is removed from the journal and the execution queued; the jobs before
 * it are replayed, not repeated. A STARTED execution whose lease ran out is queued again as it is.
 */
export async function rerunExecution({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const execution = await wf.store.execution(em, params.filterByTk);
  if (!execution) throw cbError('CB_ERR_HTTP_NOT_FOUND', 'execution not found');
  const retryable: Array<number | null> = [EXECUTION_STATUS.FAILED, EXECUTION_STATUS.ERROR, EXECUTION_STATUS.RETRY_NEEDED, EXECUTION_STATUS.STARTED];
  if (!retryable.includes(execution.status)) throw cbError('CB_ERR_VALIDATION', `execution ${execution.id} has status ${execution.status} and cannot be rerun`);
  if (execution.status !== EXECUTION_STATUS.STARTED) {
    await em.transactional(async (tx) => {
      const jobs = await wf.store.jobsOf(tx, execution.id);
      const last = jobs[jobs.length - 1];
      if (last && last.status !== JOB_STATUS.RESOLVED && last.status !== JOB_STATUS.PENDING) await wf.store.deleteJob(tx, last.id);
      await wf.store.requeueExecution(tx, execution.id);
    });
  }
  await wf.publish(execution.id, 0, `r${Date.now()}`);
  return { data: await wf.store.execution(em, execution.id) };
}

export async function getJob({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const job = await wf.store.job(em, params.filterByTk);
  return { data: job ? shape(jobJson(job), params) : null };
}
