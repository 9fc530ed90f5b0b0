export type { RestDeclaration, Envelope, RestParams, RestMeta, ErrorBody } from './types.js';
export { RouteTable, type Route } from './route-table.js';
export { parseApiPath, type ApiTarget } from './parse-api-path.js';
export { mapError } from './map-error.js';
export { createGateway, type GatewayOptions } from './gateway-server.js';
export { restAction } from './rest-action.js';
export { HttpMetrics } from './http-metrics.js';
