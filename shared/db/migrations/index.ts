import { Migration0001Meta } from './0001-meta.js';
import { Migration0002Collections } from './0002-collections.js';
import { Migration0003Auth } from './0003-auth.js';
import { Migration0004Workflows } from './0004-workflows.js';
import { Migration0005AsyncTasks } from './0005-async-tasks.js';
import { Migration0006Supervisor } from './0006-supervisor.js';
import { Migration0007Idempotency } from './0007-idempotency.js';
import { Migration0010AppRootUser } from './0010-app-root-user.js';
import { Migration0011Acl } from './0011-acl.js';
import { Migration0012SystemSettings } from './0012-system-settings.js';
import { Migration0013UsersCollection } from './0013-users-collection.js';
import { Migration0014Files } from './0014-files.js';
import { Migration0020NocobaseFieldStorage } from './0020-nocobase-field-storage.js';
import { Migration0021WorkflowCurrentNull } from './0021-workflow-current-null.js';
import { Migration0030ExecutionNode } from './0030-execution-node.js';

/** Migrations in order. Each runs once per app schema; append new ones, never edit applied ones. */
export const migrationsList = [
  { name: '0001-meta', class: Migration0001Meta },
  { name: '0002-collections', class: Migration0002Collections },
  { name: '0003-auth', class: Migration0003Auth },
  { name: '0004-workflows', class: Migration0004Workflows },
  { name: '0005-async-tasks', class: Migration0005AsyncTasks },
  { name: '0006-supervisor', class: Migration0006Supervisor },
  { name: '0007-idempotency', class: Migration0007Idempotency },
  { name: '0010-app-root-user', class: Migration0010AppRootUser },
  { name: '0011-acl', class: Migration0011Acl },
  { name: '0012-system-settings', class: Migration0012SystemSettings },
  { name: '0013-users-collection', class: Migration0013UsersCollection },
  { name: '0014-files', class: Migration0014Files },
  { name: '0020-nocobase-field-storage', class: Migration0020NocobaseFieldStorage },
  { name: '0021-workflow-current-null', class: Migration0021WorkflowCurrentNull },
  { name: '0030-execution-node', class: Migration0030ExecutionNode },
];
