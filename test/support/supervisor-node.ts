import type { ServiceBroker, ServiceSchema } from 'moleculer';
import ApiService = require('../../services/api.service');
import AuthService = require('../../services/auth.service');
import DataService = require('../../services/data.service');
import SupervisorService = require('../../services/supervisor.service');
import { startInProcessNode } from './in-process-node';
import { ROOT_PASSWORD } from './root';

/**
 * A supervisor in shared-memory mode (sub-apps hosted in its own process) inside the test process:
 * the requests role, the supervisor, and any `extra` services (e.g. the workflow processor).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- service schemas of any settings/methods
export async function startSharedMemorySupervisor(schema: string, extra: ServiceSchema<any, any, any>[] = []): Promise<{ broker: ServiceBroker; origin: string }> {
  const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, SupervisorService, ...extra], {
    APP_MODE: 'supervisor',
    APP_PROCESS_ADAPTER: 'local',
    APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde',
    INIT_ROOT_PASSWORD: ROOT_PASSWORD,
  });
  return { broker: node.broker, origin: node.api.replace(/\/api$/, '') };
}
