import ApiService = require('../../services/api.service');
import AsyncTaskApiService = require('../../services/async-task-api.service');
import AsyncTaskService = require('../../services/async-task.service');
import AuthService = require('../../services/auth.service');
import DataService = require('../../services/data.service');
import WorkflowApiService = require('../../services/workflow-api.service');
import WorkflowService = require('../../services/workflow.service');
import { dropSchemas, uniqueSchema } from '../support/database';
import { startInProcessNode, type InProcessNode } from '../support/in-process-node';
import { requireServices } from '../support/services';
import { addMember, client, type Client } from '../integration/tasks/support';

export { sql } from '../integration/tasks/support';

export interface AbuseNode {
  readonly node: InProcessNode;
  readonly schema: string;
  readonly api: Client;
  readonly admin: string;
  /** A signed-in member (role `member`), the abusive user. */
  readonly member: string;
  stop(): Promise<void>;
}

/**
 * One real all-in-one node (gateway, data, auth, workflows, tasks) in its own schema, with an admin
 * and a member signed in: what the abuse suite attacks.
 */
export async function startAbuseNode(env: Record<string, string> = {}): Promise<AbuseNode> {
  await requireServices('postgres');
  const schema = uniqueSchema('abuse');
  const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, WorkflowApiService, WorkflowService, AsyncTaskApiService, AsyncTaskService], {
    APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
    ...env,
  });
  const api = client(node.api);
  const admin = await api.signIn();
  await addMember(schema, 'mallory', 'mallory-pass-1');
  const member = await api.signIn('mallory', 'mallory-pass-1');
  return {
    node, schema, api, admin, member,
    async stop() {
      await node.broker.stop();
      await dropSchemas(schema);
    },
  };
}
