#!/usr/bin/env node
/* global __dirname */
// The `clusterbase` command (package.json bin): the compiled CLI after `npm run build`, else the
// TypeScript source through tsx (a development checkout).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'scripts', 'clusterbase.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs/api').register();
  require(join(__dirname, '..', 'scripts', 'clusterbase.ts'));
}
