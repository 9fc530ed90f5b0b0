import { ServiceBroker } from 'moleculer';
import { StartupRefusal } from '../../../errors';
import { loadConfig } from '../../../config';
import { createBrokerOptions, discoverServices, selectServices } from '../../../runtime';
import { parseWorkerMode } from '../../../worker-mode';
import SupervisorService = require('../../../../services/supervisor.service');

describe('APP_MODE decides whether the supervisor and app-host services load', () => {
  const entries = discoverServices();
  const names = (mode: string, appMode: string) => selectServices(entries, parseWorkerMode(mode), appMode).map((e) => e.schema.name);

  test('standalone: neither', () => {
    expect(names('', 'standalone')).not.toEqual(expect.arrayContaining(['supervisor']));
    expect(names('', 'standalone')).not.toContain('app-host');
    expect(names('', 'standalone')).toContain('api');
  });

  test('supervisor: the control plane with the requests role, no app host', () => {
    expect(names('', 'supervisor')).toContain('supervisor');
    expect(names('!', 'supervisor')).toContain('supervisor');
    expect(names('*', 'supervisor')).not.toContain('supervisor');
    expect(names('', 'supervisor')).not.toContain('app-host');
  });

  test('worker: the app host on every node of the environment, whatever its WORKER_MODE', () => {
    for (const mode of ['', '!', '*', '-']) {
      expect(names(mode, 'worker')).toContain('app-host');
      expect(names(mode, 'worker')).not.toContain('supervisor');
    }
  });

  test('loading supervisor.service by hand (moleculer-runner) on a node without APP_MODE=supervisor is refused, naming APP_MODE', () => {
    const { brokerOptions } = createBrokerOptions(loadConfig({ LOG_LEVEL: 'fatal' }), { catalogue: () => [] });
    const broker = new ServiceBroker({ ...brokerOptions, logger: false });
    let refusal: unknown;
    try {
      broker.createService(SupervisorService as never);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(StartupRefusal);
    expect((refusal as StartupRefusal).problems[0]).toMatch(/^APP_MODE: service "supervisor" runs only with APP_MODE=supervisor/);
  });
});
