import { mapError, parseApiPath, RouteTable } from '../../index';
import { cbError } from '../../../errors';
import { Errors } from 'moleculer';

describe('API paths', () => {
  test.each([
    ['products:list', { resource: 'products', action: 'list' }],
    ['app:getInfo', { resource: 'app', action: 'getInfo' }],
    ['collections/products/fields:create', { resource: 'collections.fields', action: 'create', associatedIndex: 'products' }],
    ['workflows/42/nodes:create', { resource: 'workflows.nodes', action: 'create', associatedIndex: '42' }],
  ])('%s', (path, target) => expect(parseApiPath(path)).toEqual(target));

  test.each(['products:', ':list', 'a/b:list', 'a/b/c/d:list', 'pro ducts:list', 'products:li st'])('"%s" is not an API path', (path) => {
    expect(parseApiPath(path)).toBeNull();
  });

  test.each([
    ['GET', 'products', { resource: 'products', action: 'list' }],
    ['POST', 'products', { resource: 'products', action: 'create' }],
    ['GET', 'products/1', { resource: 'products', action: 'get', filterByTk: '1' }],
    ['PUT', 'products/1', { resource: 'products', action: 'update', filterByTk: '1' }],
    ['PATCH', 'products/1', { resource: 'products', action: 'update', filterByTk: '1' }],
    ['DELETE', 'products/1', { resource: 'products', action: 'destroy', filterByTk: '1' }],
    ['GET', 'collections/products/fields', { resource: 'collections.fields', action: 'list', associatedIndex: 'products' }],
    ['DELETE', 'collections/products/fields/sku', { resource: 'collections.fields', action: 'destroy', associatedIndex: 'products', filterByTk: 'sku' }],
  ])('REST style: %s %s', (method, path, target) => {
    expect(parseApiPath(path, method)).toEqual(target);
  });

  test.each([
    ['DELETE', 'products'],
    ['PUT', 'products'],
    ['POST', 'products/1'],
    ['GET', 'products/1/fields/x/y'],
    ['GET', 'products//1'],
    ['GET', 'products/%E0%A4%A'],
  ])('REST style: %s %s is not an API path', (method, path) => {
    expect(parseApiPath(path, method)).toBeNull();
  });
});

describe('route table built from action declarations', () => {
  const table = new RouteTable();
  table.rebuild([
    { name: 'data.appInfo', available: true, action: { rest: { resource: 'app', action: 'getInfo', write: false } } },
    { name: 'data.create', available: true, action: { rest: { resource: 'products', action: 'create', write: true } } },
    { name: 'data.internal', available: true, action: {} },
  ]);

  test('finds the action for a resource and action', () => {
    expect(table.lookup('app', 'getInfo')).toEqual({ found: true, route: { actionName: 'data.appInfo', write: false } });
    expect(table.lookup('products', 'create')).toEqual({ found: true, route: { actionName: 'data.create', write: true } });
  });

  test('tells an unknown resource from an unknown action', () => {
    expect(table.lookup('nope', 'list')).toEqual({ found: false, reason: 'resource' });
    expect(table.lookup('app', 'destroy')).toEqual({ found: false, reason: 'action' });
  });

  test('an action without a REST declaration is not reachable over HTTP', () => {
    expect(table.size).toBe(2);
  });

  test('a `*` declaration serves every resource no other declaration names', () => {
    const withAny = new RouteTable();
    withAny.rebuild([
      { name: 'data.appInfo', available: true, action: { rest: { resource: 'app', action: 'getInfo', write: false } } },
      { name: 'data.list', available: true, action: { rest: { resource: '*', action: 'list', write: false } } },
    ]);
    expect(withAny.lookup('products', 'list')).toEqual({ found: true, route: { actionName: 'data.list', write: false } });
    expect(withAny.lookup('products', 'explode')).toEqual({ found: false, reason: 'action' });
    expect(withAny.lookup('app', 'list')).toEqual({ found: false, reason: 'action' });
    expect(withAny.lookup('collections.fields', 'list')).toEqual({ found: false, reason: 'resource' });
  });
});

describe('errors mapped to HTTP answers', () => {
  test('catalogue errors keep their status, message and code', () => {
    expect(mapError(cbError('CB_ERR_VALIDATION', 'pageSize must be at most 1000'))).toEqual({
      status: 400,
      body: { errors: [{ message: 'pageSize must be at most 1000', code: 'CB_ERR_VALIDATION' }] },
      internal: false,
    });
  });

  test('parameter validation failures are 400 naming the field', () => {
    const err = new Errors.ValidationError('Parameters validation error!', 'VALIDATION_ERROR', [
      { type: 'required', field: 'name', message: "The 'name' field is required." },
    ]);
    expect(mapError(err)).toMatchObject({ status: 400, body: { errors: [{ message: "The 'name' field is required.", code: 'CB_ERR_VALIDATION' }] } });
  });

  test('an unexpected error is a generic 500: no message, no stack', () => {
    const mapped = mapError(new TypeError("Cannot read properties of undefined (reading 'x') at /srv/app/secret.ts:12"));
    expect(mapped).toEqual({ status: 500, body: { errors: [{ message: 'Internal server error', code: 'CB_ERR_INTERNAL' }] }, internal: true });
  });

  test('a service that is not available is a retryable 503, a timeout a 504', () => {
    expect(mapError(new Errors.ServiceNotAvailableError({ action: 'data.list' })).status).toBe(503);
    expect(mapError(new Errors.RequestTimeoutError({ action: 'data.list', nodeID: 'n1' })).status).toBe(504);
  });
});

describe('a named resource that is also a collection', () => {
  test('serves its own actions and leaves the others to the `*` records actions', () => {
    const table = new RouteTable();
    table.rebuild([
      { name: 'files.attachmentsCreate', available: true, action: { rest: { resource: 'attachments', action: 'create', write: true, collection: true } } },
      { name: 'users.usersList', available: true, action: { rest: { resource: 'users', action: 'list', write: false } } },
      { name: 'data.list', available: true, action: { rest: { resource: '*', action: 'list', write: false } } },
    ]);
    expect(table.lookup('attachments', 'create')).toEqual({ found: true, route: { actionName: 'files.attachmentsCreate', write: true } });
    expect(table.lookup('attachments', 'list')).toEqual({ found: true, route: { actionName: 'data.list', write: false } });
    expect(table.lookup('users', 'count')).toEqual({ found: false, reason: 'action' });
  });
});
