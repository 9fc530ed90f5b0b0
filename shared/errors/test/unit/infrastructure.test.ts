import { Errors } from 'moleculer';
import { cbError, isRetryableInfrastructureError, OutageLog, unavailableDependency } from '../../index.js';
import { mapError } from '../../../gateway/map-error.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('infrastructure errors', () => {
  it('treats a lost, refused or starting database, an unreachable Redis and retryable catalogue errors as retryable', () => {
    expect(isRetryableInfrastructureError(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isRetryableInfrastructureError(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isRetryableInfrastructureError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isRetryableInfrastructureError(new Error('Reached the max retries per request limit (which is 3).'))).toBe(true);
    expect(isRetryableInfrastructureError(cbError('CB_ERR_ID_NO_WORKER_ID', 'no worker ID'))).toBe(true);
    expect(isRetryableInfrastructureError(new Errors.RequestTimeoutError({ action: 'workflow.x', nodeID: 'node-1' }))).toBe(true);
    expect(isRetryableInfrastructureError(new Error('wrapped', { cause: pgError('08006', 'connection failure') }))).toBe(true);
  });

  it('leaves the work\'s own failures to fail it: bad input, non-retryable catalogue errors, plain errors', () => {
    expect(isRetryableInfrastructureError(cbError('CB_ERR_VALIDATION', 'bad'))).toBe(false);
    expect(isRetryableInfrastructureError(new Error('Unexpected token in expression'))).toBe(false);
    expect(isRetryableInfrastructureError(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isRetryableInfrastructureError(null)).toBe(false);
  });

  it('names the dependency: database or Redis', () => {
    expect(unavailableDependency(pgError('57P01', 'terminating connection'))).toBe('CB_ERR_DB_UNAVAILABLE');
    expect(unavailableDependency(new Error('Connection terminated unexpectedly'))).toBe('CB_ERR_DB_UNAVAILABLE');
    expect(unavailableDependency(new Error('Reached the max retries per request limit (which is 3).'))).toBe('CB_ERR_REDIS_UNAVAILABLE');
    expect(unavailableDependency(new Error('boom'))).toBeNull();
  });

  it('answers an outage with a 503, Retry-After and the dependency\'s code, never a 500', () => {
    const db = mapError(new Error('Connection terminated unexpectedly'));
    expect(db).toMatchObject({ status: 503, internal: false, body: { errors: [{ code: 'CB_ERR_DB_UNAVAILABLE' }] } });
    expect(db.retryAfterSec).toBeGreaterThan(0);
    expect(mapError(new Error('Reached the max retries per request limit (which is 3).'))).toMatchObject({ status: 503, body: { errors: [{ code: 'CB_ERR_REDIS_UNAVAILABLE' }] } });
    expect(mapError(cbError('CB_ERR_ID_NO_WORKER_ID', 'no worker ID')).retryAfterSec).toBeGreaterThan(0);
    expect(mapError(new Error('boom'))).toMatchObject({ status: 500, internal: true });
  });
});

describe('OutageLog', () => {
  it('logs an outage once when it starts and once when it ends, naming the dependency and the node', () => {
    const lines: string[] = [];
    const log = new OutageLog('redis 127.0.0.1:6379', 'node-1', { warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`) });
    log.ok();
    for (let i = 0; i < 5; i++) log.failed(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    expect(log.down).toBe(true);
    log.ok();
    log.ok();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warn redis 127\.0\.0\.1:6379 unreachable from node-1: connect ECONNREFUSED/);
    expect(lines[1]).toMatch(/^info redis 127\.0\.0\.1:6379 reachable again from node-1 after \d+\.\d s$/);
  });
});
