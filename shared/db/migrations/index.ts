import { Migration0001Meta } from './0001-meta.js';

/** Migrations in order. Each runs once per app schema; append new ones, never edit applied ones. */
export const migrationsList = [{ name: '0001-meta', class: Migration0001Meta }];
