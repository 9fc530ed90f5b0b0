import { backoffDelay } from '../../backoff.js';
import { bodyJson, decodeEnvelope, envelopeJson } from '../../envelope.js';
import { bullJobId } from '../../redis-queue.js';
import { DELAY_STEPS_MS, delayStep } from '../../rabbitmq-topology.js';

describe('queue wire format', () => {
  it('writes an envelope that reads back with its body untouched', () => {
    const text = envelopeJson('id-1', bodyJson({ a: [1, { b: null }] }), 1234);
    expect(decodeEnvelope(text)).toEqual({ v: 1, id: 'id-1', publishedAt: 1234, body: { a: [1, { b: null }] } });
    expect(decodeEnvelope(envelopeJson('x', bodyJson(null), 1)).body).toBeNull();
  });

  it('refuses payloads that are not envelopes, saying why', () => {
    expect(() => decodeEnvelope('nope')).toThrow(/not JSON/);
    expect(() => decodeEnvelope('[1]')).toThrow(/an array/);
    expect(() => decodeEnvelope('{"v":2,"id":"x","body":1,"publishedAt":1}')).toThrow(/version/);
    expect(() => decodeEnvelope('{"v":1,"body":1,"publishedAt":1}')).toThrow(/id/);
    expect(() => decodeEnvelope('{"v":1,"id":"x","publishedAt":1}')).toThrow(/body/);
  });

  it('computes fixed and exponential backoff like BullMQ', () => {
    expect([1, 2, 3].map((n) => backoffDelay({ type: 'fixed', delayMs: 500 }, n))).toEqual([500, 500, 500]);
    expect([1, 2, 3, 4].map((n) => backoffDelay({ type: 'exponential', delayMs: 100 }, n))).toEqual([100, 200, 400, 800]);
  });

  it('maps ids BullMQ would refuse to ids it accepts, one to one', () => {
    expect(bullJobId('order-7')).toBe('order-7');
    const odd = ['42', 'a:b', '%41', 'a%3Ab'];
    const mapped = odd.map(bullJobId);
    for (const m of mapped) {
      expect(m).not.toContain(':');
      expect(`${Number.parseInt(m, 10)}`).not.toBe(m);
    }
    expect(new Set(mapped).size).toBe(odd.length);
    expect(mapped.map((m) => decodeURIComponent(m.slice(1)))).toEqual(odd);
  });

  it('covers any delay with the largest ladder step not longer than what is left', () => {
    expect(delayStep(50)).toBe(100);
    expect(delayStep(100)).toBe(100);
    expect(delayStep(399)).toBe(100);
    expect(delayStep(400)).toBe(400);
    expect(delayStep(5_000)).toBe(1_600);
    expect(delayStep(10 ** 12)).toBe(DELAY_STEPS_MS[DELAY_STEPS_MS.length - 1]);
  });
});
