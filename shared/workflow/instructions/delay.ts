import { JOB_STATUS } from '../constants.js';
import type { Instruction } from './types.js';

/** Clock differences between nodes and the database that a due delay tolerates. */
const SKEW_MS = 2_000;

/**
 * `delay`: `{duration, unit (ms), endStatus: 1 | -1}`. Durable: the job stays PENDING (result = the
 * delay in ms, meta.resumeAt) and the execution is parked in the same transaction; a delayed queue
 * message (and, should it be lost, the sweep) brings it back when due, on any node.
 */
export const delay: Instruction = {
  validate(config) {
    if (config.duration !== undefined && (typeof config.duration !== 'number' || config.duration < 0)) return '"duration" must be a non-negative number';
    return undefined;
  },
  async run({ node, sync }) {
    if (sync) throw new Error('a delay node cannot run in a synchronous workflow');
    const ms = Math.max(0, Number(node.config.duration ?? 0) * Number(node.config.unit ?? 1000));
    return { status: JOB_STATUS.PENDING, result: ms, meta: { resumeAt: Date.now() + ms } };
  },
  async resume({ node }, job) {
    const resumeAt = Number(job.meta?.resumeAt ?? 0);
    if (Date.now() + SKEW_MS < resumeAt) return { wait: resumeAt };
    return { status: node.config.endStatus === JOB_STATUS.FAILED ? JOB_STATUS.FAILED : JOB_STATUS.RESOLVED };
  },
};
