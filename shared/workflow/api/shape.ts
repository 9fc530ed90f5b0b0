/** `a,b`, `['a','b']` or `{0:'a'}` (qs) → names. */
function listItems(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'object' ? Object.values(value) : [String(value)];
  return list.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** `fields` / `except` of NocoBase's get and list, applied to an API object. */
export function shape<T extends object>(row: T, params: { fields?: unknown; except?: unknown }): Partial<T> {
  const only = listItems(params.fields);
  const except = new Set(listItems(params.except));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (only.length > 0 && !only.includes(k)) continue;
    if (except.has(k)) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

/** `appends=jobs`, `appends[]=jobs`, `appends=a,b` → names. */
export function appendsOf(appends: unknown): Set<string> {
  return new Set(listItems(appends));
}
