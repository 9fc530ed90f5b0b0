export type { CheckResult, ClusterAnswer, DeadLetterReport, LockReport, NodeChannel, NodeReport, PartName, QueueReport, RunningWork, Unreachable } from './types.js';
export { ClusterConsole, type ClusterPort } from './cluster-console.js';
export { answerPart, describeDelivery, nodeReport, type LocalNode } from './local-node.js';
export { askEach, type FanOut } from './fan-out.js';
export { degraded } from './degraded.js';
export { runCli, USAGE, type CliIo } from './cli/run-cli.js';
export { registerClusterPage } from './cluster-page.js';
export { registerQueueEvents, type QueuesFor } from './queue-events.js';
