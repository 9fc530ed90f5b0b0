import type { ServiceBroker } from 'moleculer';
import type { NodeState } from './node-state.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly status: 'ready' | 'draining' | 'drained' | 'not ready';
  readonly nodeID: string;
  readonly workerMode: string;
  readonly services: string[];
  readonly checks: Record<string, CheckResult>;
}

async function timed(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - start), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check of the node in parallel: database, transporter, its services, plus registered ones. */
export async function readiness(broker: ServiceBroker, state: NodeState, timeoutMs = 2000): Promise<ReadinessReport> {
  const checks: Record<string, () => Promise<void>> = {
    services: async () => {
      if (!broker.started) throw new Error('services are not started');
    },
    database: async () => {
      if (!state.started) throw new Error('not connected');
      await state.services().database.check(timeoutMs);
    },
  };
  if (state.config.transporter) {
    checks.transporter = async () => {
      const transit = (broker as unknown as { transit?: { connected: boolean } }).transit;
      if (!transit?.connected) throw new Error('not connected to the transporter');
    };
  }
  for (const [name, check] of state.readinessChecks()) checks[name] = check;

  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => timed(checks[name]!, timeoutMs)));
  const report: Record<string, CheckResult> = {};
  names.forEach((name, i) => (report[name] = results[i]!));
  const healthy = results.every((r) => r.ok);
  // Drained for maintenance (cluster:drain): not ready, so load balancers stop sending it work.
  const drained = state.started && state.services().cluster.work.drained;
  const ready = healthy && !state.draining && !drained;
  return {
    ready,
    status: state.draining ? 'draining' : drained ? 'drained' : ready ? 'ready' : 'not ready',
    nodeID: broker.nodeID,
    workerMode: state.config.workerMode.raw,
    services: broker.services.map((s) => s.fullName),
    checks: report,
  };
}
