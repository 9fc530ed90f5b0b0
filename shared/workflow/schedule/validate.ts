import { CronExpressionParser } from 'cron-parser';
import { cbError } from '../../errors/index.js';
import type { DateFieldRef, ScheduleConfig } from './types.js';

function invalid(message: string): never {
  throw cbError('CB_ERR_VALIDATION', message);
}

const isIso = (value: unknown): boolean => typeof value === 'string' && !Number.isNaN(Date.parse(value));
const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** True for a cron string of 5 fields, or 6 with seconds first, or a cron-parser macro (@daily…). */
export function isCron(value: string): boolean {
  const text = value.trim();
  if (!text.startsWith('@')) {
    const fields = text.split(/\s+/).length;
    if (fields !== 5 && fields !== 6) return false;
  }
  try {
    CronExpressionParser.parse(text, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

export function isTimezone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function checkRepeat(repeat: unknown): void {
  if (isAbsent(repeat)) return;
  if (typeof repeat === 'number') {
    if (!Number.isInteger(repeat) || repeat <= 0) invalid('"repeat" must be a positive number of milliseconds');
    return;
  }
  if (typeof repeat !== 'string' || !isCron(repeat)) {
    invalid('"repeat" must be a cron expression (5 fields, or 6 with seconds first), a number of milliseconds or null');
  }
}

function checkFieldRef(value: unknown, name: string): void {
  const ref = value as DateFieldRef;
  if (!ref || typeof ref !== 'object' || typeof ref.field !== 'string' || ref.field === '') invalid(`"${name}.field" is required`);
  if (!isAbsent(ref.offset) && typeof ref.offset !== 'number') invalid(`"${name}.offset" must be a number`);
  if (!isAbsent(ref.unit) && (typeof ref.unit !== 'number' || ref.unit <= 0)) invalid(`"${name}.unit" must be a positive number of milliseconds`);
}

/**
 * Checks a schedule trigger config with NocoBase's rules (mode ∈ {0, 1}) plus the shape of each mode,
 * so a config that could never fire is refused at save time. Throws CB_ERR_VALIDATION (400).
 */
export function validateScheduleConfig(config: unknown): ScheduleConfig {
  const value = (config ?? {}) as Record<string, unknown>;
  if (value.mode !== 0 && value.mode !== 1) invalid('"mode" must be one of [0, 1]');
  checkRepeat(value.repeat);
  if (!isAbsent(value.limit) && (typeof value.limit !== 'number' || !Number.isInteger(value.limit) || value.limit < 0)) {
    invalid('"limit" must be a non-negative integer');
  }
  if (!isAbsent(value.timezone) && (typeof value.timezone !== 'string' || !isTimezone(value.timezone))) {
    invalid('"timezone" must be an IANA time zone such as "Europe/Paris"');
  }
  if (value.mode === 0) {
    if (!isAbsent(value.startsOn) && !isIso(value.startsOn)) invalid('"startsOn" must be an ISO date');
    if (!isAbsent(value.endsOn) && !isIso(value.endsOn)) invalid('"endsOn" must be an ISO date');
  } else {
    if (typeof value.collection !== 'string' || value.collection === '') invalid('"collection" is required');
    checkFieldRef(value.startsOn, 'startsOn');
    const endsOn = value.endsOn;
    if (!isAbsent(endsOn) && typeof endsOn === 'object') checkFieldRef(endsOn, 'endsOn');
    else if (!isAbsent(endsOn) && typeof endsOn !== 'string') invalid('"endsOn" must be a field name, a field reference or an ISO date');
    if (!isAbsent(value.appends) && !Array.isArray(value.appends)) invalid('"appends" must be an array');
  }
  return value as unknown as ScheduleConfig;
}
