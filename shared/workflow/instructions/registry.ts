import { calculation } from './calculation.js';
import { condition, multiConditions } from './condition.js';
import { delay } from './delay.js';
import { end } from './end.js';
import { loop, parallel } from './flow.js';
import { create, destroy, query, update } from './records.js';
import { request } from './request.js';
import type { Instruction } from './types.js';

const registry = new Map<string, Instruction>([
  ['condition', condition],
  ['multi-conditions', multiConditions],
  ['query', query],
  ['create', create],
  ['update', update],
  ['destroy', destroy],
  ['calculation', calculation],
  ['delay', delay],
  ['request', request],
  ['loop', loop],
  ['parallel', parallel],
  ['end', end],
]);

/** The instruction of a node type, or undefined (`Node type "x" is not registered`). */
export function instructionOf(type: string): Instruction | undefined {
  return registry.get(type);
}

/** Adds a node type (plugins). */
export function registerInstruction(type: string, instruction: Instruction): void {
  registry.set(type, instruction);
}
