import Fastify from 'fastify';
import { registerProxy } from '../../proxy';

describe('the /apps proxy of a supervisor that is starting', () => {
  test('answers 503 CB_ERR_SERVICE_UNAVAILABLE (not a 500) until the control plane is up', async () => {
    const server = Fastify({ logger: false });
    registerProxy(server, () => null);
    await server.ready();
    const res = await server.inject({ method: 'GET', url: '/apps/shop/api/orders:list' });
    await server.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ errors: [{ message: 'The supervisor is starting', code: 'CB_ERR_SERVICE_UNAVAILABLE' }] });
  });
});
