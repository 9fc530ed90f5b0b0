import type { Profile } from '../types';

/** kill -9 of a workflow node while it runs executions and of the task node while it exports; both started again. */
export const nodeKill: Profile = {
  name: 'node-kill',
  summary: 'kill -9 of a workflow node and of the async-task node mid-work, then started again',
  async apply({ cluster, nodes, busy, log, sleep }) {
    const [workflow] = nodes('workflow');
    const [task] = nodes('async-task');
    await busy();
    log(`kill -9 ${workflow!.spec.name} and ${task!.spec.name}`);
    await Promise.all([cluster.kill(workflow!), cluster.kill(task!)]);
    await sleep(3000);
    log('starting them again');
    await Promise.all([cluster.restart(workflow!), cluster.restart(task!)]);
  },
};
