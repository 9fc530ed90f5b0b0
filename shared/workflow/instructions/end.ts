import { JOB_STATUS } from '../constants.js';
import type { Instruction } from './types.js';

/** `end`: `{endStatus: 1 | -1}` ends the execution here with that status. */
export const end: Instruction = {
  validate(config) {
    if (config.endStatus !== undefined && config.endStatus !== 1 && config.endStatus !== -1) return '"endStatus" must be one of [1, -1]';
    return undefined;
  },
  async run({ node }) {
    return { status: node.config.endStatus === JOB_STATUS.FAILED ? JOB_STATUS.FAILED : JOB_STATUS.RESOLVED, result: null };
  },
};
