import type { FastifyInstance } from 'fastify';
import type { ServiceSettingSchema } from 'moleculer';
import { createGateway, HttpMetrics, RouteTable } from '../shared/gateway/index.js';
import { nodeState, requestsService, version } from '../shared/runtime/index.js';

interface Methods {
  rebuildRoutes(): void;
}
interface Vars {
  routes: RouteTable;
  server: FastifyInstance | null;
  closed: Promise<void> | null;
}

/**
 * HTTP gateway of the requests role: a fastify server living in the service's lifecycle. Routes come
 * from the `rest` declarations of actions anywhere in the cluster; no business logic here.
 */
const ApiService = requestsService<ServiceSettingSchema, Methods, Vars>({
  name: 'api',

  events: {
    '$services.changed'() {
      this.rebuildRoutes();
    },
  },

  methods: {
    rebuildRoutes() {
      this.routes.rebuild(this.broker.registry.getActionList({ onlyAvailable: true }) as never);
    },
  },

  created() {
    this.routes = new RouteTable();
    this.server = null;
    this.closed = null;
  },

  async started() {
    const state = nodeState(this.broker);
    this.rebuildRoutes();
    const metrics = new HttpMetrics({ namespace: this.broker.namespace, nodeID: this.broker.nodeID });
    state.addMetricsText(() => metrics.render());
    const server = createGateway(this.broker, {
      host: state.config.http.host,
      port: state.config.http.port,
      bodyLimit: state.config.http.bodyLimit,
      timeouts: state.config.http,
      routes: this.routes,
      isAvailable: () => this.broker.started && !state.draining,
      logger: this.logger,
      metrics,
      version,
    });
    // Routes other services add (the supervisor's /apps proxy and /admin page), before the port opens.
    await state.applyHttpRoutes(server);
    await server.listen({ host: state.config.http.host, port: state.config.http.port });
    this.server = server;
    const address = server.server.address();
    this.logger.info(`API gateway listening on port ${typeof address === 'object' && address ? address.port : '?'}`);
    // Close before the services behind the gateway stop, so in-flight requests can finish.
    state.onDrain(() => (this.closed ??= server.close()));
  },

  async stopped() {
    if (this.server) await (this.closed ??= this.server.close());
  },
});

export = ApiService;
