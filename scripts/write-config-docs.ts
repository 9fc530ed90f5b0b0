import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationTable } from '../shared/config/index.js';

/** Rewrites the generated table between the markers of docs/configuration.md. */
const file = join(__dirname, '..', 'docs', 'configuration.md');
const text = readFileSync(file, 'utf8');
const start = '<!-- variables:start -->';
const end = '<!-- variables:end -->';
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(file, `${before}\n${configurationTable()}\n${after}`);
console.log(`wrote ${file}`);
