import { BRANCH_INDEX, JOB_STATUS } from '../constants.js';
import { evaluateConditionIsolated } from './leaf.js';
import type { Instruction } from './types.js';

/**
 * `condition`: `{rejectOnFalse, engine, calculation | expression}`. The job result is the boolean.
 * With rejectOnFalse (and no branches) a false result fails the execution; with branches the true
 * (branchIndex 1) or false (0) branch runs, then the main line continues.
 */
export const condition: Instruction = {
  validate(config) {
    if (typeof config.rejectOnFalse !== 'boolean' && config.rejectOnFalse !== undefined) return '"rejectOnFalse" must be a boolean';
    return undefined;
  },
  async run({ node, scope }) {
    const result = await evaluateConditionIsolated(node.config as never, scope);
    return { status: result || !node.config.rejectOnFalse ? JOB_STATUS.RESOLVED : JOB_STATUS.FAILED, result };
  },
  async branches({ node }, job, runner) {
    if (job.status !== JOB_STATUS.RESOLVED) return { status: job.status };
    const index = job.result ? BRANCH_INDEX.ON_TRUE : BRANCH_INDEX.ON_FALSE;
    const start = runner.branchStarts(node).find((n) => n.branchIndex === index);
    if (!start) return { status: job.status };
    return { status: await runner.runBranch(start) };
  },
};

/**
 * `multi-conditions`: `{conditions: [{engine, calculation | expression}], continueOnNoMatch}`. The first
 * condition that holds picks branch `index + 1`; none picks branch 0 (the "otherwise" branch), or fails
 * unless continueOnNoMatch. The job result is the chosen branch index.
 */
export const multiConditions: Instruction = {
  validate(config) {
    if (config.conditions !== undefined && !Array.isArray(config.conditions)) return '"conditions" must be an array';
    return undefined;
  },
  async run({ node, scope }) {
    const conditions = (node.config.conditions as Record<string, unknown>[] | undefined) ?? [];
    let at = -1;
    for (let i = 0; i < conditions.length && at < 0; i++) if (await evaluateConditionIsolated(conditions[i] as never, scope)) at = i;
    const result = at >= 0 ? at + 1 : 0;
    return { status: JOB_STATUS.RESOLVED, result };
  },
  async branches({ node }, job, runner) {
    const start = runner.branchStarts(node).find((n) => n.branchIndex === job.result);
    if (!start) return { status: job.result === 0 && node.config.continueOnNoMatch === false ? JOB_STATUS.FAILED : job.status };
    return { status: await runner.runBranch(start) };
  },
};
