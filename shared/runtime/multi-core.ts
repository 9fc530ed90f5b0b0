import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../config/index.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

const jsonLog = (format: Config['log']['format']): Log => (level, msg) => {
  const line = format === 'json' ? JSON.stringify({ ts: Date.now(), level, mod: 'cluster-mode', msg }) : `[${new Date().toISOString()}] ${level.toUpperCase()}  CLUSTER-MODE: ${msg}`;
  process.stdout.write(`${line}\n`);
};

/**
 * CLUSTER_MODE (N or max): the primary process forks N broker processes that share the HTTP and
 * management ports (node:cluster hands connections round-robin) and restarts one that dies, logging
 * it. Each child is a full node with its own NODE_ID (`<NODE_ID>-<n>`) and its own worker-ID lease.
 * SIGTERM/SIGINT are passed to every child, and the primary exits when they all have.
 * Returns false in a child process (or without CLUSTER_MODE): the caller then runs a node itself.
 */
export function superviseChildren(config: Config): boolean {
  if (config.clusterMode === null || !cluster.isPrimary) return false;
  const count = config.clusterMode === 'max' ? availableParallelism() : config.clusterMode;
  const log = jsonLog(config.log.format);
  let stopping = false;
  const slots = new Map<Worker, number>();

  const fork = (slot: number) => {
    const worker = cluster.fork({ NODE_ID: `${config.nodeId}-${slot}`, CLUSTER_MODE: '' });
    slots.set(worker, slot);
  };

  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.get(worker) ?? -1;
    slots.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        log('info', `all ${count} processes stopped`);
        process.exit(0);
      }
      return;
    }
    log('warn', `process ${slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}): restarting it`);
    fork(slot);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal} received: stopping ${slots.size} processes`);
    for (const worker of slots.keys()) worker.process.kill('SIGTERM');
    if (slots.size === 0) process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  log('info', `CLUSTER_MODE=${config.clusterMode}: starting ${count} broker processes`);
  for (let slot = 1; slot <= count; slot++) fork(slot);
  return true;
}
