import type { EntityManager } from '@mikro-orm/postgresql';
import { assertCan, bearerToken } from '../shared/auth/index.js';
import { restAction } from '../shared/gateway/index.js';
import { appAuth, appWorkflows, nodeState, requestsService, type DataCtx as Ctx, type DataLog as Log } from '../shared/runtime/index.js';
import * as api from '../shared/workflow/index.js';

type Run = (wf: api.WorkflowApp, em: EntityManager, params: api.WorkflowParams) => Promise<unknown>;

const action = (resource: string, name: string, write: boolean, run: Run) =>
  restAction({ resource, action: name, write }, {
    async handler(this: { logger: Log }, ctx: Ctx) {
      const state = nodeState(ctx.broker);
      const app = ctx.meta.app ?? 'main';
      const { roles } = await (await appAuth(state, app, this.logger)).check(ctx.locals.em, bearerToken(ctx.meta.authorization));
      assertCan(roles, resource, name, api.WORKFLOW_RULES);
      const wf = await appWorkflows(state, app, this.logger);
      return run(wf, ctx.locals.em, ctx.params as api.WorkflowParams);
    },
  });

/**
 * Workflow definitions, executions and jobs over REST (requests role), NocoBase's resources and
 * shapes; logic in shared/workflow. Executions run on workflow:process nodes.
 */
const WorkflowApiService = requestsService({
  name: 'workflow-api',
  actions: {
    workflowsList: action('workflows', 'list', false, api.listWorkflows),
    workflowsGet: action('workflows', 'get', false, api.getWorkflow),
    workflowsCreate: action('workflows', 'create', true, api.createWorkflow),
    workflowsUpdate: action('workflows', 'update', true, api.updateWorkflow),
    workflowsDestroy: action('workflows', 'destroy', true, api.destroyWorkflow),
    workflowsRevision: action('workflows', 'revision', true, api.reviseWorkflow),
    workflowsExecute: action('workflows', 'execute', true, api.executeWorkflow),
    nodesCreate: action('workflows.nodes', 'create', true, api.createNode),
    flowNodesUpdate: action('flow_nodes', 'update', true, api.updateNode),
    flowNodesDestroy: action('flow_nodes', 'destroy', true, api.destroyNode),
    flowNodesMove: action('flow_nodes', 'move', true, api.moveNode),
    executionsList: action('executions', 'list', false, api.listExecutions),
    executionsGet: action('executions', 'get', false, api.getExecution),
    executionsCancel: action('executions', 'cancel', true, api.cancelExecution),
    executionsDestroy: action('executions', 'destroy', true, api.destroyExecutions),
    executionsRerun: action('executions', 'rerun', true, api.rerunExecution),
    jobsGet: action('jobs', 'get', false, api.getJob),
  },
});

export = WorkflowApiService;
