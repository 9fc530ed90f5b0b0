import { loadConfig } from '../../../config';
import { mapError } from '../../../gateway';
import { NodeState } from '../../node-state';

const notStarted = expect.objectContaining({ code: 503, type: 'CB_ERR_NODE_NOT_STARTED', retryable: true });

describe('the services of a node', () => {
  test('before the node has started they do not exist: asking is a 503, never a null', () => {
    const state = new NodeState(loadConfig({}));
    expect(state.started).toBe(false);
    expect(() => state.services()).toThrow(notStarted);
  });

  test('a request reaching a node that is not started answers 503 through the gateway', () => {
    const failure = (() => {
      try {
        return new NodeState(loadConfig({})).services();
      } catch (err) {
        return err;
      }
    })();
    expect(mapError(failure)).toMatchObject({ status: 503, body: { errors: [{ code: 'CB_ERR_NODE_NOT_STARTED' }] } });
  });

  test('are one frozen object from start to stop', () => {
    const state = new NodeState(loadConfig({}));
    state.setServices(Object.freeze({ config: state.config, database: {}, secrets: {}, cluster: {} }) as never);
    expect(state.started).toBe(true);
    expect(Object.isFrozen(state.services())).toBe(true);
    state.setServices(null);
    expect(() => state.services()).toThrow(notStarted);
  });
});
