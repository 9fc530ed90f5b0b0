import { JOB_STATUS } from '../constants.js';
import { calculateIsolated } from './leaf.js';
import type { Instruction } from './types.js';

/**
 * `calculation`: `{engine: 'math.js' | 'formula.js', expression}`; the job result is the value. The
 * expression runs in the expression sandbox's worker thread, so no expression can stall the node.
 */
export const calculation: Instruction = {
  validate(config) {
    if (config.engine !== undefined && config.engine !== 'math.js' && config.engine !== 'formula.js') return `Engine "${String(config.engine)}" is not supported`;
    return undefined;
  },
  async run({ node, scope }) {
    return { status: JOB_STATUS.RESOLVED, result: await calculateIsolated({ engine: (node.config.engine as 'math.js' | 'formula.js' | undefined) ?? 'math.js', expression: String(node.config.expression ?? '') }, scope) };
  },
};
