/**
 * The scope node configs are rendered against (NocoBase's `Processor.getScope()` shape). Any key may be
 * present; the well-known ones are listed for readers. A function value is called (no arguments) when a
 * template reaches it, as NocoBase does for `{{$system.now}}`.
 */
export interface VariableScope extends Record<string, unknown> {
  $context?: unknown;
  $jobsMapByNodeKey?: Record<string, unknown>;
  $scopes?: Record<string, unknown>;
  $system?: Record<string, unknown>;
  $env?: Record<string, unknown>;
}
