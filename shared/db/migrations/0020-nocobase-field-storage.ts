import { Migration } from '@mikro-orm/migrations';

/**
 * Field storage as NocoBase's (issue 12): a `date` field keeps the instant (timestamptz; it was a
 * calendar `date`, read as that day's midnight UTC) and `float` is double precision (it was `real`;
 * converted through its shortest text so 0.1 stays 0.1, never 0.100000001490116). Only columns of
 * collections in this schema's cb_fields whose type is still the old one are altered, so it runs once
 * and never touches a table it does not describe.
 */
export const NOCOBASE_FIELD_STORAGE_SQL = `do $cb$
declare r record;
begin
  for r in
    select c.table_name, c.column_name, c.data_type
    from information_schema.columns c
    join "cb_fields" f on f.collection_name = c.table_name and f.name = c.column_name
    where c.table_schema = current_schema()
      and ((f.type = 'date' and c.data_type = 'date') or (f.type = 'float' and c.data_type = 'real'))
  loop
    if r.data_type = 'date' then
      execute format('alter table %I alter column %I type timestamptz using (%I::timestamp at time zone ''UTC'')', r.table_name, r.column_name, r.column_name);
    else
      execute format('alter table %I alter column %I type float8 using (%I::text::float8)', r.table_name, r.column_name, r.column_name);
    end if;
  end loop;
end
$cb$`;

export class Migration0020NocobaseFieldStorage extends Migration {
  override name = '0020-nocobase-field-storage';

  override up(): void {
    this.addSql(NOCOBASE_FIELD_STORAGE_SQL);
  }

  override down(): void {
    // Going back would lose the time of day and digits: not done.
  }
}
