import { requestsService } from '../shared/runtime/index.js';
import * as api from '../shared/workflow/index.js';
import { restAction } from './support/rest-action.js';

/** Workflow resources: members and anonymous callers may not see or change them (api.WORKFLOW_RULES). */
const action = (resource: string, name: string, write: boolean, run: api.WorkflowHandler) =>
  restAction({ resource, action: name, write, access: { rules: api.WORKFLOW_RULES } }, (app, caller, em, params) => run(app, caller, em, params));

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
