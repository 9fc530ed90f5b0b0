import { Migration } from '@mikro-orm/migrations';

/**
 * Async import/export tasks (shared/tasks, issue 6). `asyncTasks` keeps NocoBase's columns (id uuid,
 * origin, type, title, params, status, result, createdById, cancelable, progressTotal/Current,
 * createdAt, startedAt, doneAt; status codes PENDING null, RUNNING 0, SUCCEEDED 1, FAILED -1,
 * CANCELED -2) plus what a takeover needs: the node running it (`ownerNode`), its lease
 * (`leaseUntil`), a fence bumped by every claim (a batch commits only while the fence is still the
 * runner's), the last committed batch/offset and the counts so far (`checkpoint`), a stop request,
 * the staged input file and the produced file.
 */
export class Migration0005AsyncTasks extends Migration {
  override name = '0005-async-tasks';

  override up(): void {
    this.addSql(`create table if not exists "asyncTasks" (
      "id" uuid primary key,
      "origin" varchar(255) not null,
      "type" varchar(64) not null,
      "title" varchar(255),
      "params" jsonb not null default '{}',
      "status" integer,
      "result" jsonb,
      "createdById" bigint,
      "cancelable" boolean not null default true,
      "progressTotal" double precision,
      "progressCurrent" double precision not null default 0,
      "createdAt" timestamptz not null default now(),
      "startedAt" timestamptz,
      "doneAt" timestamptz,
      "ownerNode" varchar(255),
      "leaseUntil" timestamptz,
      "fence" bigint not null default 0,
      "attempts" integer not null default 0,
      "committedBatch" integer not null default 0,
      "committedOffset" bigint not null default 0,
      "checkpoint" jsonb not null default '{}',
      "stopRequested" boolean not null default false,
      "inputPath" text,
      "filePath" text
    )`);
    this.addSql('create index if not exists "asyncTasks_createdById" on "asyncTasks" ("createdById", "createdAt")');
    this.addSql('create index if not exists "asyncTasks_running_lease" on "asyncTasks" ("leaseUntil") where "status" = 0');
    this.addSql('create index if not exists "asyncTasks_done" on "asyncTasks" ("doneAt") where "filePath" is not null');
  }

  override down(): void {
    this.addSql('drop table if exists "asyncTasks"');
  }
}
