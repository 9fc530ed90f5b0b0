import { Migration } from '@mikro-orm/migrations';

/**
 * Workflow definitions, nodes, executions and jobs (shared/workflow, issue 5), with NocoBase's column
 * names so its exported definitions and API shapes carry over. Ids come from the snowflake generator.
 * Columns in snake_case prefixed `cb_` are ours and never leave the API: the execution's lease
 * (owner, expiry, fence) that fences every step's commit, and the job's position in its execution's
 * journal (`cb_seq`), by which a resumed execution replays what was already committed.
 */
export class Migration0004Workflows extends Migration {
  override name = '0004-workflows';

  override up(): void {
    this.addSql(`create table if not exists "workflows" (
      "id" bigint primary key,
      "key" varchar(255) not null,
      "title" varchar(255),
      "enabled" boolean not null default false,
      "description" text,
      "type" varchar(64) not null,
      "triggerTitle" varchar(255),
      "config" jsonb not null default '{}',
      "invalid" boolean not null default false,
      "executed" integer not null default 0,
      "allExecuted" integer not null default 0,
      "current" boolean not null default true,
      "sync" boolean not null default false,
      "options" jsonb not null default '{"timeout":0}',
      "createdById" bigint,
      "updatedById" bigint,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql('create index if not exists "workflows_key" on "workflows" ("key")');
    this.addSql('create index if not exists "workflows_enabled_type" on "workflows" ("type") where "enabled"');
    this.addSql(`create table if not exists "flow_nodes" (
      "id" bigint primary key,
      "key" varchar(255) not null,
      "title" varchar(255),
      "upstreamId" bigint,
      "branchIndex" integer,
      "downstreamId" bigint,
      "type" varchar(64) not null,
      "config" jsonb not null default '{}',
      "workflowId" bigint not null references "workflows" ("id") on delete cascade,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now()
    )`);
    this.addSql('create index if not exists "flow_nodes_workflow" on "flow_nodes" ("workflowId")');
    this.addSql(`create table if not exists "executions" (
      "id" bigint primary key,
      "workflowId" bigint not null,
      "key" varchar(255),
      "eventKey" varchar(255) not null unique,
      "context" jsonb,
      "status" integer,
      "reason" varchar(255),
      "dispatched" boolean not null default false,
      "parentExecutionId" bigint,
      "stack" jsonb,
      "output" jsonb,
      "manually" boolean,
      "startedAt" timestamptz,
      "expiresAt" timestamptz,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now(),
      "cb_lease_owner" varchar(255),
      "cb_lease_expires_at" timestamptz,
      "cb_fence" bigint not null default 0
    )`);
    this.addSql('create index if not exists "executions_workflow" on "executions" ("workflowId")');
    this.addSql('create index if not exists "executions_open" on "executions" ("cb_lease_expires_at") where "status" is null or "status" = 0');
    this.addSql(`create table if not exists "jobs" (
      "id" bigint primary key,
      "executionId" bigint not null references "executions" ("id") on delete cascade,
      "nodeId" bigint,
      "nodeKey" varchar(255),
      "upstreamId" bigint,
      "status" integer not null default 0,
      "meta" jsonb,
      "result" jsonb,
      "log" jsonb,
      "startedAt" timestamptz,
      "createdAt" timestamptz not null default now(),
      "updatedAt" timestamptz not null default now(),
      "cb_seq" integer not null default 0
    )`);
    this.addSql('create unique index if not exists "jobs_execution_seq" on "jobs" ("executionId", "cb_seq")');
  }

  override down(): void {
    for (const table of ['jobs', 'executions', 'flow_nodes', 'workflows']) this.addSql(`drop table if exists "${table}"`);
  }
}
