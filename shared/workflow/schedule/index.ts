export type {
  DateFieldRef,
  DateFieldScheduleConfig,
  Repeat,
  ScheduleConfig,
  ScheduledWorkflow,
  ScheduleFireContext,
  ScheduleTickerOptions,
  StaticScheduleConfig,
  TickerLogger,
} from './types.js';
export { validateScheduleConfig, isCron, isTimezone } from './validate.js';
export { dueTicks, nextTicks, dateFieldDue, dateFieldWindow, scheduleEventKey, MAX_LISTED_TICKS } from './ticks.js';
export { ScheduleTicker } from './schedule-ticker.js';
