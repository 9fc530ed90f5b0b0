import { ServiceBroker, type ServiceSchema } from 'moleculer';
import { loadConfig, type Config } from '../../shared/config';
import { freePort } from '../../shared/db';
import { createBrokerOptions, type ServiceEntry } from '../../shared/runtime';
import { testDatabaseUrl } from './database';
import { tempStorage } from './node-process';

export interface InProcessNode {
  readonly broker: ServiceBroker;
  readonly config: Config;
  /** `http://127.0.0.1:<APP_PORT>/api` */
  readonly api: string;
  /** `http://127.0.0.1:<HEALTH_PORT>` */
  readonly management: string;
}

/**
 * A clusterbase node inside the test process (faster than a child process) on the machine's
 * PostgreSQL, in its own schema and storage folder, with free ports and the given services.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- service schemas of any settings/methods
export async function startInProcessNode(schema: string, services: ServiceSchema<any, any, any>[], env: Record<string, string> = {}): Promise<InProcessNode> {
  const config = loadConfig({
    DATABASE_URL: testDatabaseUrl(),
    DB_SCHEMA: schema,
    APP_PORT: String(await freePort()),
    HEALTH_PORT: String(await freePort()),
    APP_HOST: '127.0.0.1',
    STORAGE_PATH: tempStorage(),
    APP_KEY: 'a-test-app-key-of-some-length-fc5e1eb54db0beb33eb1a5b1',
    LOG_LEVEL: 'fatal',
    ...env,
  });
  const { brokerOptions } = createBrokerOptions(config, { catalogue: (): ServiceEntry[] => [] });
  const broker = new ServiceBroker({ ...brokerOptions, logger: false });
  for (const service of services) broker.createService(service as ServiceSchema);
  await broker.start();
  return { broker, config, api: `http://127.0.0.1:${config.http.port}/api`, management: `http://127.0.0.1:${config.health.port}` };
}
