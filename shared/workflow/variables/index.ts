export type { VariableScope } from './types.js';
export { render, type Binding } from './render.js';
export { renderFilter, renderUrl } from './bindings.js';
export { renderExpression, toExpressionLiteral } from './render-expression.js';
export { getPath } from './path.js';
