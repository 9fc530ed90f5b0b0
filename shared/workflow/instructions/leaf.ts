/**
 * The pure leaf modules this engine wires in (built alongside it): variable rendering, expression
 * and condition evaluation, the HTTP request. One import point, so their signatures are named once.
 */
export { render, renderFilter, renderUrl } from '../variables/index.js';
export { calculateIsolated, evaluateConditionIsolated } from '../expressions/index.js';
export { runRequestNode } from '../request/index.js';
