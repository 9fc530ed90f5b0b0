import { Errors } from 'moleculer';
import { catalogue, type ErrorCode } from './catalogue.js';

/**
 * Builds the Moleculer error for a catalogue code. Moleculer carries `type` (our code), `code` (the
 * HTTP status) and `data` across the transporter, so a remote caller and the gateway see the same error.
 * Client errors (4xx) are MoleculerClientError (never retried); retryable ones MoleculerRetryableError.
 */
export function cbError(code: ErrorCode, message?: string, data?: unknown): Errors.MoleculerError {
  const spec = catalogue[code];
  const text = message ?? spec.message;
  if (spec.status < 500) return new Errors.MoleculerClientError(text, spec.status, code, data);
  if (spec.retryable) return new Errors.MoleculerRetryableError(text, spec.status, code, data);
  // MoleculerServerError is retryable in Moleculer; a non-retryable server error must not be retried.
  return new Errors.MoleculerError(text, spec.status, code, data);
}

/** A start-up refusal: thrown before the broker runs, printed as one line per problem by the launcher. */
export class StartupRefusal extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly string[];

  constructor(code: ErrorCode, problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'StartupRefusal';
    this.code = code;
    this.problems = problems;
  }
}
