import { StartupRefusal } from '../errors/index.js';
import type { Env, VarSpec } from './types.js';
import { variables, type Values, type VariableName } from './variables.js';

function rawValue(env: Env, name: string, s: VarSpec<unknown>): string | undefined {
  for (const key of [name, ...(s.aliases ?? [])]) {
    const value = env[key];
    if (value !== undefined && value !== '') return value;
  }
  return s.default;
}

/**
 * Reads and validates every variable at once; all bad variables are reported together, one line each,
 * as `NAME: reason`.
 */
export function readEnv(env: Env): Values {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(variables) as [VariableName, VarSpec<unknown>][]) {
    try {
      values[name] = s.parse(rawValue(env, name, s));
    } catch (err) {
      // Parsers used for secrets (url, text) never echo the raw value in their message.
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', problems);
  return values as unknown as Values;
}
