/**
 * Collection and field metadata: the contract between the collection manager (DDL, metadata store),
 * the query compiler (filters → SQL) and the record repository. A collection is a real PostgreSQL
 * table in the app's schema; its metadata lives in `cb_collections` / `cb_fields` of that schema.
 */

/** Field types (NocoBase's names). Relations have no column of their own except belongsTo's foreign key. */
export type FieldType =
  | 'string'
  | 'text'
  | 'integer'
  | 'bigInt'
  | 'float'
  | 'double'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'datetimeTz'
  | 'datetimeNoTz'
  | 'dateOnly'
  | 'time'
  | 'json'
  | 'array'
  | 'uuid'
  | 'nanoid'
  | 'snowflakeId'
  | 'sort'
  | 'password'
  | 'encrypted'
  | 'belongsTo'
  | 'hasOne'
  | 'hasMany'
  | 'belongsToMany'
  | 'createdBy'
  | 'updatedBy';

export interface FieldMeta {
  /** API name, e.g. `price`; also the column name (quoted, case kept) for column fields. */
  readonly name: string;
  readonly type: FieldType;
  /** NocoBase UI hints kept as given (`interface`, `uiSchema`), never interpreted. */
  readonly interface?: string;
  readonly uiSchema?: unknown;
  /** A stable random key, as NocoBase gives fields. */
  readonly key: string;
  readonly primaryKey?: boolean;
  readonly unique?: boolean;
  readonly allowNull?: boolean;
  readonly defaultValue?: unknown;
  /** string: varchar length (default 255). decimal: precision/scale (default 20/6). */
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
  /** belongsTo / hasMany: the target collection name. */
  readonly target?: string;
  /**
   * belongsTo: the column on this table (default `<name>Id`).
   * hasMany: the column on the target table pointing back here (default `<thisCollection>Id`… NocoBase
   * uses `<collectionName in singular>Id`; we default to `${sourceCollection}Id` and document it).
   */
  readonly foreignKey?: string;
  /** Relations: the key on the other side (default the target's / source's primary key). */
  readonly targetKey?: string;
  readonly sourceKey?: string;
  /** belongsToMany: the through table (a collection name, or a table made for the relation). */
  readonly through?: string;
  /** belongsToMany: the column of the through table pointing at the target (foreignKey points at this side). */
  readonly otherKey?: string;
  /** A column field made by a belongsTo for its foreign key (removed with that belongsTo). */
  readonly isForeignKey?: boolean;
  /** Other NocoBase field options (`description`, …) kept as given and returned, never interpreted. */
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface CollectionMeta {
  readonly name: string;
  readonly title?: string;
  /** PostgreSQL schema of the app (`public` for main by default, `app_<name>` for sub-apps). */
  readonly schema: string;
  /** Table name in that schema (= collection name). */
  readonly table: string;
  /** Name of the primary key field (default `id`, type snowflakeId). */
  readonly primaryKey: string;
  /** Adds createdAt / updatedAt datetime columns maintained on write. */
  readonly timestamps: { readonly createdAt: boolean; readonly updatedAt: boolean };
  /** Every field by name, including the primary key and timestamps. */
  readonly fields: ReadonlyMap<string, FieldMeta>;
  /** A stable key, as NocoBase gives collections. */
  readonly key?: string;
  /** True when the primary key is the generated `id` snowflakeId. */
  readonly autoGenId?: boolean;
  /** Other NocoBase collection options (`description`, `hidden`, …) kept as given, never interpreted. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Resolves another collection of the same app (for relation paths and appends). */
export type CollectionLookup = (name: string) => CollectionMeta | undefined;

/** A SQL fragment with its bound parameters ($1… numbering is done by whoever assembles the statement). */
export interface SqlFragment {
  /** SQL text with `?` placeholders, one per entry of `params`, in order. */
  readonly sql: string;
  readonly params: readonly unknown[];
}
