import { Migration } from '@mikro-orm/migrations';

/** Async import/export tasks (shared/tasks, issue 6). */
export class Migration0005AsyncTasks extends Migration {
  override name = '0005-async-tasks';

  override up(): void {
    // Tables arrive with the feature.
  }
}
