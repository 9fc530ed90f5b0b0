export { EXECUTION_STATUS, JOB_STATUS, EXECUTION_REASON, COLLECTION_MODE, BRANCH_INDEX, WORKFLOW_RULES, workflowChannel } from './constants.js';
export type { WorkflowRow, NodeRow, ExecutionRow, JobRow, FlowDefinition, RecordsPort, WorkflowSettings } from './types.js';
export { WorkflowApp, type WorkflowAppOptions } from './engine/workflow-app.js';
export { StaleLeaseError } from './engine/lease.js';
export { registerInstruction, instructionOf } from './instructions/registry.js';
export type { Instruction, NodeContext, Outcome, BranchRunner } from './instructions/types.js';
export { listWorkflows, getWorkflow, createWorkflow, updateWorkflow, destroyWorkflow, reviseWorkflow, executeWorkflow, type Params as WorkflowParams } from './api/workflows.js';
export { createNode, updateNode, destroyNode, moveNode } from './api/nodes.js';
export { listExecutions, getExecution, cancelExecution, destroyExecutions, rerunExecution, getJob } from './api/executions.js';
