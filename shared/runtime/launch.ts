import { ServiceBroker, type BrokerOptions } from 'moleculer';
import { StartupRefusal } from '../errors/index.js';
import { nodeState } from './node-state.js';
import { exitWithRefusal } from './refusal.js';
import { discoverServices, selectServices } from './service-catalogue.js';

/**
 * `npm start`: one broker with the services WORKER_MODE selects from services/, stopped gracefully on
 * SIGTERM/SIGINT (readiness 503, drain, stop) and forced out after SHUTDOWN_TIMEOUT.
 */
export async function launchNode(brokerOptions: BrokerOptions): Promise<ServiceBroker> {
  // Signals are handled here (drain, bounded stop), not by the broker's own exit handlers.
  const broker = new ServiceBroker({ ...brokerOptions, skipProcessEventRegistration: true });
  const state = nodeState(broker);
  const log = broker.getLogger('launcher');
  try {
    for (const entry of selectServices(discoverServices(), state.config.workerMode, state.config.apps.mode)) broker.createService(entry.schema);
    await broker.start();
  } catch (err) {
    await broker.stop().catch(() => undefined);
    if (err instanceof StartupRefusal) exitWithRefusal(err);
    log.fatal(`start failed: ${(err as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: draining and stopping node ${broker.nodeID}`);
    const deadline = state.config.shutdown.delayMs + state.config.shutdown.timeoutMs;
    const force = setTimeout(() => {
      log.error(`stop took longer than ${deadline} ms (SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT): exiting anyway`);
      process.exit(1);
    }, deadline);
    force.unref();
    try {
      await broker.stop();
      process.exit(0);
    } catch (err) {
      log.error(`stop failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return broker;
}
