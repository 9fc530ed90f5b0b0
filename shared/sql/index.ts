export { quoteIdent, qualified, toPositional } from './quote.js';
export { runSql, type SqlResult, type SqlRunner } from './run-sql.js';
export { assertBeforeDeadline, deadlineError, deadlineMargin, deadlineOf, isDeadlineError, limitTransaction, type Deadline } from './deadline.js';
