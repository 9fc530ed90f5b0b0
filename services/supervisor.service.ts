import type { Context } from 'moleculer';
import type { FastifyInstance } from 'fastify';
import { bearerToken, forbiddenError } from '../shared/auth/index.js';
import { cbError, type Logger } from '../shared/errors/index.js';
import { restAction, type RestMeta } from '../shared/gateway/index.js';
import { appAuth, forAppMode, nodeState, requestsService } from '../shared/runtime/index.js';
import { registerAdminPage, registerProxy, startSupervisorNode, type ControlPlane, type SupervisorNode } from '../shared/supervisor/index.js';

type Ctx = Context<{ filterByTk?: string; values?: Record<string, unknown>; dropData?: unknown }, Partial<RestMeta>>;
type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
interface This {
  node: SupervisorNode | null;
  server: FastifyInstance | null;
  logger: Log;
}

/** Control-plane actions are for the supervisor's own root/admin users. */
async function plane(svc: This, ctx: Ctx): Promise<ControlPlane> {
  if ((ctx.meta.app ?? 'main') !== 'main') throw cbError('CB_ERR_HTTP_NOT_FOUND', 'The supervisor API belongs to the main app');
  const auth = await appAuth(nodeState(ctx.broker), 'main', svc.logger);
  const { roles } = await auth.check(ctx.locals.em, bearerToken(ctx.meta.authorization));
  if (!roles.includes('root') && !roles.includes('admin')) throw forbiddenError();
  if (!svc.node) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The supervisor is starting');
  return svc.node.plane;
}

const key = (ctx: Ctx) => {
  if (!ctx.params.filterByTk) throw cbError('CB_ERR_VALIDATION', 'filterByTk (the app or environment name) is required');
  return String(ctx.params.filterByTk);
};

const action = (resource: string, name: string, write: boolean, run: (p: ControlPlane, ctx: Ctx) => Promise<unknown>) =>
  restAction({ resource, action: name, write }, {
    async handler(this: This, ctx: Ctx) {
      return { data: await run(await plane(this, ctx), ctx) };
    },
  });

/**
 * APP_MODE=supervisor: applications and environments (REST, NocoBase-like names), the `/apps/:app/*`
 * proxy and the `/admin` page. Logic lives in shared/supervisor.
 */
const SupervisorService = forAppMode(
  'supervisor',
  requestsService({
    name: 'supervisor',
    actions: {
      applicationsList: action('applications', 'list', false, (p) => p.apps()),
      applicationsGet: action('applications', 'get', false, (p, ctx) => p.app(key(ctx))),
      applicationsCreate: action('applications', 'create', true, (p, ctx) => p.create(ctx.params.values ?? {})),
      applicationsStart: action('applications', 'start', true, (p, ctx) => p.start(key(ctx))),
      applicationsStop: action('applications', 'stop', true, (p, ctx) => p.stop(key(ctx))),
      applicationsDestroy: action('applications', 'destroy', true, (p, ctx) => {
        const drop = ctx.params.dropData ?? ctx.params.values?.dropData;
        return p.destroy(key(ctx), drop === true || drop === 'true');
      }),
      applicationsCommands: action('applications', 'commands', false, (p, ctx) => p.commands(key(ctx))),
      environmentsList: action('environments', 'list', false, (p) => p.environments()),
      environmentsGet: action('environments', 'get', false, (p, ctx) => p.environment(key(ctx))),
    },

    created(this: This & { broker: Ctx['broker'] }) {
      this.node = null;
      this.server = null;
      nodeState(this.broker).addHttpRoutes((server) => {
        this.server = server;
        registerProxy(server, () => this.node?.plane ?? null);
        registerAdminPage(server);
      });
    },

    async started(this: This & { broker: Ctx['broker'] }) {
      this.node = await startSupervisorNode(this.broker, () => {
        const address = this.server?.server.address();
        return typeof address === 'object' && address ? address.port : null;
      });
    },

    async stopped(this: This) {
      await this.node?.close();
      this.node = null;
    },
  } as never),
);

export = SupervisorService;
