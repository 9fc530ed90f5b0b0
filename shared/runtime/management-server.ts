import Fastify, { type FastifyInstance } from 'fastify';
import type { ServiceBroker } from 'moleculer';
import type { NodeState } from './node-state.js';
import type { PrometheusTextReporter } from './metrics-reporter.js';
import { readiness } from './readiness.js';

/**
 * The management port every node opens, whatever its role: `/healthz` (the process is alive and its
 * event loop turns), `/readyz` (it can do its work now: 200 or 503 with each check named) and
 * `/metrics` (Prometheus text).
 */
export async function startManagementServer(
  broker: ServiceBroker,
  state: NodeState,
  metrics: PrometheusTextReporter,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok', nodeID: broker.nodeID, uptime: process.uptime() }));
  app.get('/readyz', async (_req, reply) => {
    const report = await readiness(broker, state);
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => {
    await state.refreshMetrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render() + state.metricsText());
  });
  await app.listen({ host: state.config.health.host, port: state.config.health.port });
  return app;
}

export function listeningPort(app: FastifyInstance): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
