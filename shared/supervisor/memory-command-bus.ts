import type { Command, CommandBus, CommandHandler, CommandOutcome } from './types.js';
import { runWithin } from './timeouts.js';

/**
 * In-process command bus: the supervisor's own process is the only environment (shared-memory mode)
 * and unit tests. Same contract as the Redis bus: no handler within the ack timeout → `timeout`.
 */
export class MemoryCommandBus implements CommandBus {
  private readonly handlers = new Map<string, CommandHandler>();

  async send(environment: string, command: Command, opts: { ackTimeoutMs: number; timeoutMs: number; onAck?: () => void }): Promise<CommandOutcome> {
    const handler = this.handlers.get(environment);
    if (!handler || Date.now() > command.ackBy) {
      return { id: command.id, status: 'timeout', error: `environment "${environment}" did not acknowledge the command`, acknowledgedAt: null, finishedAt: Date.now() };
    }
    const acknowledgedAt = Date.now();
    opts.onAck?.();
    const result = await runWithin(handler(command), opts.timeoutMs);
    return { id: command.id, ...result, acknowledgedAt, finishedAt: Date.now() };
  }

  async serve(environment: string, handler: CommandHandler): Promise<() => Promise<void>> {
    this.handlers.set(environment, handler);
    return async () => {
      if (this.handlers.get(environment) === handler) this.handlers.delete(environment);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
