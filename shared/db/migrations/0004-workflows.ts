import { Migration } from '@mikro-orm/migrations';

/** Workflow definitions, nodes, executions and jobs (shared/workflow, issue 5). */
export class Migration0004Workflows extends Migration {
  override name = '0004-workflows';

  override up(): void {
    // Tables arrive with the feature.
  }
}
