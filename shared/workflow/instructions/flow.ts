import { JOB_STATUS } from '../constants.js';
import { render } from './leaf.js';
import type { Instruction, NodeContext } from './types.js';

function loopItems(ctx: NodeContext): unknown[] {
  const target = render(ctx.node.config.target, ctx.scope);
  if (Array.isArray(target)) return target;
  if (typeof target === 'number' && Number.isFinite(target)) return Array.from({ length: Math.max(0, Math.floor(target)) }, (_, i) => i);
  if (typeof target === 'string' && /^\d+$/.test(target)) return Array.from({ length: Number(target) }, (_, i) => i);
  return target === null || target === undefined ? [] : [target];
}

/**
 * `loop`: `{target: array | number | template}` runs branch 0 once per item with
 * `$scopes.<loop node key or id> = {item, index, sequence, length}`; a failing iteration fails the
 * loop. The job result is the number of items.
 */
export const loop: Instruction = {
  async run(ctx) {
    return { status: JOB_STATUS.PENDING, result: loopItems(ctx).length };
  },
  async branches(ctx, _job, runner) {
    const start = runner.branchStarts(ctx.node)[0];
    const items = loopItems(ctx);
    if (start) {
      for (let index = 0; index < items.length; index += 1) {
        const frame = { item: items[index], index, sequence: index + 1, length: items.length };
        const status = await runner.runBranch(start, { [ctx.node.key]: frame, [String(ctx.node.id)]: frame });
        if (status !== JOB_STATUS.RESOLVED) return { status, result: index };
      }
    }
    return { status: JOB_STATUS.RESOLVED, result: items.length };
  },
};

/**
 * `parallel`: `{mode: 'all' | 'any' | 'race'}` over its branches. Branches run one after another on
 * the worker (their effects are independent steps); `all` needs every branch resolved, `any` one,
 * `race` takes the first branch's outcome.
 */
export const parallel: Instruction = {
  async run() {
    return { status: JOB_STATUS.PENDING, result: null };
  },
  async branches(ctx, _job, runner) {
    const mode = (ctx.node.config.mode as string | undefined) ?? 'all';
    const statuses: number[] = [];
    for (const start of runner.branchStarts(ctx.node)) {
      const status = await runner.runBranch(start);
      statuses.push(status);
      if (mode === 'race') break;
      if (mode === 'all' && status !== JOB_STATUS.RESOLVED) return { status, result: statuses };
      if (mode === 'any' && status === JOB_STATUS.RESOLVED) break;
    }
    const ok = mode === 'any' ? statuses.includes(JOB_STATUS.RESOLVED) || statuses.length === 0 : statuses.every((s) => s === JOB_STATUS.RESOLVED);
    return { status: ok ? JOB_STATUS.RESOLVED : (statuses.find((s) => s !== JOB_STATUS.RESOLVED) ?? JOB_STATUS.FAILED), result: statuses };
  },
};
