import { StartupRefusal } from '../errors/index.js';

/** Prints a start-up refusal as one line per problem on stderr and exits with status 1. */
export function exitWithRefusal(err: StartupRefusal): never {
  for (const problem of err.problems) process.stderr.write(`clusterbase refused to start: ${problem}\n`);
  process.exit(1);
}

/** Runs `fn`; a StartupRefusal ends the process with its lines, anything else is rethrown. */
export function orExitOnRefusal<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StartupRefusal) exitWithRefusal(err);
    throw err;
  }
}
