import type { FastifyInstance } from 'fastify';
import type { ServiceBroker, ServiceSettingSchema } from 'moleculer';
import { cbError } from '../shared/errors/index.js';
import { forAppMode, nodeState, requestsService, version } from '../shared/runtime/index.js';
import { registerAdminPage, registerProxy, startSupervisorNode, type ControlPlane, type SupervisorNode } from '../shared/supervisor/index.js';
import { appsOf } from './support/apps.js';
import { restAction, type RestInput } from './support/rest-action.js';

interface Vars {
  node: SupervisorNode | null;
  server: FastifyInstance | null;
}
type This = Vars & { broker: ServiceBroker };

type Params = RestInput<undefined> & { dropData?: unknown; values?: Record<string, unknown> };

/** Control-plane resources are for the supervisor's own root and admin users: no other role gets any action. */
const ADMINS_ONLY = { applications: { member: [] }, environments: { member: [] } };

const key = (params: Params) => {
  if (!params.filterByTk) throw cbError('CB_ERR_VALIDATION', 'filterByTk (the app or environment name) is required');
  return String(params.filterByTk);
};

const action = (resource: string, name: string, write: boolean, run: (p: ControlPlane, params: Params) => Promise<unknown>) =>
  restAction<undefined, This>(
    { resource, action: name, write, mainAppOnly: 'The supervisor API belongs to the main app', access: { rules: ADMINS_ONLY } },
    async function (_app, _caller, _em, params) {
      if (!this.node) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The supervisor is starting');
      return { data: await run(this.node.plane, params as Params) };
    },
  );

/**
 * APP_MODE=supervisor: applications and environments (REST, NocoBase-like names), the `/apps/:app/*`
 * proxy and the `/admin` page. Logic lives in shared/supervisor.
 */
const SupervisorService = forAppMode(
  'supervisor',
  requestsService<ServiceSettingSchema, Record<string, never>, Vars>({
    name: 'supervisor',
    actions: {
      applicationsList: action('applications', 'list', false, (p) => p.apps()),
      applicationsGet: action('applications', 'get', false, (p, params) => p.app(key(params))),
      applicationsCreate: action('applications', 'create', true, (p, params) => p.create(params.values ?? {})),
      applicationsStart: action('applications', 'start', true, (p, params) => p.start(key(params))),
      applicationsStop: action('applications', 'stop', true, (p, params) => p.stop(key(params))),
      applicationsDestroy: action('applications', 'destroy', true, (p, params) => {
        const drop = params.dropData ?? params.values?.dropData;
        return p.destroy(key(params), drop === true || drop === 'true');
      }),
      applicationsCommands: action('applications', 'commands', false, (p, params) => p.commands(key(params))),
      environmentsList: action('environments', 'list', false, (p) => p.environments()),
      environmentsGet: action('environments', 'get', false, (p, params) => p.environment(key(params))),
    },

    created(this: This) {
      this.node = null;
      this.server = null;
      nodeState(this.broker).addHttpRoutes((server) => {
        this.server = server;
        registerProxy(server, () => this.node?.plane ?? null);
        registerAdminPage(server);
      });
    },

    async started(this: This) {
      const state = nodeState(this.broker);
      const checks = { add: (name: string, check: () => Promise<void>) => state.addCheck(name, check), remove: (name: string) => state.removeCheck(name) };
      this.node = await startSupervisorNode({ apps: appsOf(this.broker), checks, log: this.broker.getLogger('supervisor'), version }, () => {
        const address = this.server?.server.address();
        return typeof address === 'object' && address ? address.port : null;
      });
    },

    async stopped(this: This) {
      await this.node?.close();
      this.node = null;
    },
  }),
);

export = SupervisorService;
