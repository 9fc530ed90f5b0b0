import type { RelationLink } from '../data/relation-keys.js';
import { qualified, quoteIdent } from '../sql/index.js';

/** One table joined on the way to a relation's target: `<table> AS <alias> ON <on>`. */
export interface JoinStep {
  readonly table: string;
  readonly alias: string;
  readonly on: string;
}

/**
 * The joins from a source row (named `from`) to a relation's target rows, aliased `<alias>` (and
 * `<alias>_t` for a belongsToMany's through table). Returns the steps and the target's quoted alias.
 */
export function relationJoin(link: RelationLink, from: string, alias: string): { steps: JoinStep[]; alias: string } {
  const target = quoteIdent(alias);
  const table = qualified(link.target.schema, link.target.table);
  const q = quoteIdent;
  switch (link.type) {
    case 'belongsTo':
      return { alias: target, steps: [{ table, alias: target, on: `${target}.${q(link.targetKey)} = ${from}.${q(link.foreignKey)}` }] };
    case 'hasOne':
    case 'hasMany':
      return { alias: target, steps: [{ table, alias: target, on: `${target}.${q(link.foreignKey)} = ${from}.${q(link.sourceKey)}` }] };
    case 'belongsToMany': {
      const through = quoteIdent(`${alias}_t`);
      return {
        alias: target,
        steps: [
          { table: qualified(link.through!.schema, link.through!.table), alias: through, on: `${through}.${q(link.foreignKey)} = ${from}.${q(link.sourceKey)}` },
          { table, alias: target, on: `${target}.${q(link.targetKey)} = ${through}.${q(link.otherKey!)}` },
        ],
      };
    }
  }
}
