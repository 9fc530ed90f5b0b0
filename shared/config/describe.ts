import type { VarSpec } from './types.js';
import { variables } from './variables.js';

/** The Markdown table of docs/configuration.md, generated from the variable table. */
export function configurationTable(): string {
  const rows = Object.entries(variables).map(([name, raw]) => {
    const s = raw as VarSpec<unknown>;
    const aliases = s.aliases?.length ? ` (also ${s.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
    const def = s.defaultDoc ?? (s.default === undefined ? 'unset' : s.default === '' ? 'empty' : `\`${s.default}\``);
    return `| \`${name}\`${aliases} | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
