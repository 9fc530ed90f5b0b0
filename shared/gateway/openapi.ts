import type { RouteEntry, RouteTable } from './route-table.js';

type JsonSchema = Record<string, unknown>;
type FvRule = string | Record<string, unknown> | unknown[];

const SIMPLE: Record<string, JsonSchema> = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  email: { type: 'string', format: 'email' },
  uuid: { type: 'string', format: 'uuid' },
  date: { type: 'string', format: 'date-time' },
  url: { type: 'string', format: 'uri' },
  any: {},
};

/** fastest-validator rule → JSON Schema, for the types actions use; anything else is documented as "any". */
export function ruleToJsonSchema(rule: FvRule): { schema: JsonSchema; optional: boolean } {
  if (typeof rule === 'string') {
    const [type, ...flags] = rule.split('|');
    return { schema: SIMPLE[type!] ?? {}, optional: flags.includes('optional') };
  }
  if (Array.isArray(rule)) return { schema: { anyOf: rule.map((r) => ruleToJsonSchema(r as FvRule).schema) }, optional: false };
  const r = rule as { type?: string; optional?: boolean; props?: Record<string, FvRule>; items?: FvRule; values?: unknown[]; min?: number; max?: number; integer?: boolean; positive?: boolean };
  let schema: JsonSchema;
  switch (r.type) {
    case 'object':
      schema = r.props ? objectSchema(r.props) : { type: 'object' };
      break;
    case 'array':
      schema = { type: 'array', items: r.items ? ruleToJsonSchema(r.items).schema : {} };
      break;
    case 'enum':
      schema = { enum: r.values ?? [] };
      break;
    case 'number':
      schema = { type: r.integer ? 'integer' : 'number', ...(r.min !== undefined ? { minimum: r.min } : {}), ...(r.max !== undefined ? { maximum: r.max } : {}), ...(r.positive ? { exclusiveMinimum: 0 } : {}) };
      break;
    case 'string':
      schema = { type: 'string', ...(r.min !== undefined ? { minLength: r.min } : {}), ...(r.max !== undefined ? { maxLength: r.max } : {}) };
      break;
    default:
      schema = SIMPLE[r.type ?? 'any'] ?? {};
  }
  return { schema, optional: r.optional === true };
}

function objectSchema(props: Record<string, FvRule>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(props)) {
    if (name.startsWith('$$')) continue;
    const { schema, optional } = ruleToJsonSchema(rule);
    properties[name] = schema;
    if (!optional) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

const ERROR = { $ref: '#/components/schemas/Errors' };

function operation(route: RouteEntry): Record<string, unknown> {
  const params = Object.entries(route.params ?? {}).filter(([name]) => !name.startsWith('$$'));
  const query = params.filter(([name]) => name !== 'values');
  const values = params.find(([name]) => name === 'values');
  const op: Record<string, unknown> = {
    operationId: `${route.resource}:${route.action}`,
    tags: [route.resource],
    parameters: query.map(([name, rule]) => {
      const { schema, optional } = ruleToJsonSchema(rule as FvRule);
      return { name, in: 'query', required: !optional, schema };
    }),
    responses: {
      200: { description: 'NocoBase envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' } } } },
      400: { description: 'Invalid parameters', content: { 'application/json': { schema: ERROR } } },
      401: { description: 'Not signed in', content: { 'application/json': { schema: ERROR } } },
      403: { description: 'No permission', content: { 'application/json': { schema: ERROR } } },
      404: { description: 'Not found', content: { 'application/json': { schema: ERROR } } },
    },
  };
  if (route.write) op.requestBody = { required: !!values, content: { 'application/json': { schema: values ? ruleToJsonSchema(values[1] as FvRule).schema : {} } } };
  return op;
}

/**
 * The OpenAPI 3.1 document of the REST routes every gateway knows, generated from the actions'
 * `rest` declarations and `params` schemas (so it follows the cluster's services as they come and go).
 */
export function openApiDocument(routes: RouteTable, info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes.entries()) {
    const [resource, association] = route.resource.split('.');
    if (resource === '*') {
      // Records of any collection: documented once, with the collection as a path parameter.
      const op = operation(route);
      (op.parameters as unknown[]).unshift({ name: 'collection', in: 'path', required: true, schema: { type: 'string' } });
      paths[`/api/{collection}:${route.action}`] = route.write ? { post: op } : { get: op, post: { ...op, operationId: `${op.operationId}#post` } };
      continue;
    }
    const path = association ? `/api/${resource}/{associatedIndex}/${association}:${route.action}` : `/api/${route.resource}:${route.action}`;
    const op = operation(route);
    if (association) (op.parameters as unknown[]).unshift({ name: 'associatedIndex', in: 'path', required: true, schema: { type: 'string' } });
    paths[path] = route.write ? { post: op } : { get: op, post: { ...op, operationId: `${op.operationId}#post` } };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: {
        Envelope: { type: 'object', properties: { data: {}, meta: { type: 'object' } }, required: ['data'] },
        Errors: {
          type: 'object',
          properties: { errors: { type: 'array', items: { type: 'object', properties: { message: { type: 'string' }, code: { type: 'string' } }, required: ['message'] } } },
          required: ['errors'],
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }, {}],
  };
}
