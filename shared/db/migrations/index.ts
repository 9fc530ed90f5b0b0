import { Migration0001Meta } from './0001-meta.js';
import { Migration0002Collections } from './0002-collections.js';
import { Migration0003Auth } from './0003-auth.js';

/** Migrations in order. Each runs once per app schema; append new ones, never edit applied ones. */
export const migrationsList = [
  { name: '0001-meta', class: Migration0001Meta },
  { name: '0002-collections', class: Migration0002Collections },
  { name: '0003-auth', class: Migration0003Auth },
];
