import type { CollectionMeta, FieldMeta, FieldType } from '../../data/index.js';

function meta(schema: string, table: string, fields: Record<string, FieldType>): CollectionMeta {
  const map = new Map<string, FieldMeta>(Object.entries(fields).map(([name, type]) => [name, { name, type, key: name, ...(name === 'id' ? { primaryKey: true } : {}) }]));
  return { name: table, schema, table, primaryKey: 'id', timestamps: { createdAt: true, updatedAt: true }, fields: map };
}

/**
 * The workflow tables described as collections, so `filter`, `sort` and pagination go through
 * shared/query like records do. The `cb_` lease columns are not fields: they cannot be filtered on.
 */
export function workflowsMeta(schema: string): CollectionMeta {
  return meta(schema, 'workflows', {
    id: 'snowflakeId', key: 'string', title: 'string', enabled: 'boolean', description: 'text', type: 'string', triggerTitle: 'string',
    config: 'json', invalid: 'boolean', executed: 'integer', allExecuted: 'integer', current: 'boolean', sync: 'boolean', options: 'json',
    createdById: 'bigInt', updatedById: 'bigInt', createdAt: 'datetime', updatedAt: 'datetime',
  });
}

export function executionsMeta(schema: string): CollectionMeta {
  return meta(schema, 'executions', {
    id: 'snowflakeId', workflowId: 'bigInt', key: 'string', eventKey: 'string', context: 'json', status: 'integer', reason: 'string',
    dispatched: 'boolean', parentExecutionId: 'bigInt', stack: 'json', output: 'json', manually: 'boolean',
    startedAt: 'datetime', expiresAt: 'datetime', createdAt: 'datetime', updatedAt: 'datetime',
  });
}
