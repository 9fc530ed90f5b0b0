import { Migration } from '@mikro-orm/migrations';

/**
 * The cluster node that last claimed each workflow execution (its NODE_ID), kept after the execution
 * ends (the lease owner is cleared then): `executions:get` shows where an execution ran.
 */
export class Migration0030ExecutionNode extends Migration {
  override name = '0030-execution-node';

  override up(): void {
    this.addSql(`alter table "executions" add column if not exists "cb_node" varchar(255)`);
  }
}
