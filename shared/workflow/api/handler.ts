import type { Caller } from '../../auth/index.js';
import type { WorkflowApp } from '../engine/workflow-app.js';
import type { Em } from '../types.js';
import type { Params } from './workflows.js';

/** The part of an app (shared/apps AppContext) the workflow REST actions use. */
export interface WorkflowsApp {
  readonly workflows: WorkflowApp;
}

/** A workflow REST action body (the signature every REST body in shared/ has). */
export type WorkflowHandler = (app: WorkflowsApp, caller: Caller, em: Em, params: Params) => Promise<unknown>;
