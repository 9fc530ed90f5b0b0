import { join } from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';
import { cbError } from '../errors/index.js';
import { createRedisClient, luaScript, type LuaScript } from '../redis/index.js';
import { checkMs, topicKey } from './names.js';
import type { Envelope, SyncTransport, TransportSink } from './types.js';

export interface RedisStreamTransportOptions {
  readonly url: string;
  readonly redisOptions?: RedisOptions;
  readonly prefix?: string;
  readonly retention?: number;
  readonly exactTrim?: boolean;
  readonly blockMs?: number;
  readonly readCount?: number;
  readonly reconnectDelayMs?: number;
  readonly maxReconnectDelayMs?: number;
  /** Extra wait past blockMs before an unanswered XREAD counts as a dead connection. Default 5000. */
  readonly readTimeoutGraceMs?: number;
  readonly connectionName?: string;
}

/** Where this node has read up to on one channel stream. */
interface Position {
  readonly app: string;
  readonly channel: string;
  readonly streamKey: string;
  /** Last entry id read (or the stream's last id when listening began); XREAD continues after it. */
  id: string;
  /** Sequence number of that entry; the next one must be seq + 1 or entries were lost. */
  seq: number;
}

type XreadReply = [string, [string, string[]][]][] | null;

/** KEYS: stream, sequence counter; ARGV: retention, trim ('~' or '='), payload. */
const publishScript = (): LuaScript => luaScript(join(__dirname, 'scripts'), 'publish.lua', 2);

/**
 * Redis Streams adapter. Each channel is a stream `<prefix>:{<app>:<channel>}` trimmed to `retention`
 * entries; publishing appends through scripts/publish.lua, which numbers entries. Each node reads
 * the streams it listens to with XREAD BLOCK on a dedicated connection, continuing from the last id
 * it saw (kept in memory): after a dropped connection it resumes there and so replays what it
 * missed. When the next number is not the one expected, entries were trimmed before this node read
 * them (the gap outran retention) and the node gets a `gap` resync instead of silently missing them.
 */
export class RedisStreamTransport implements SyncTransport {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly retention: number;
  private readonly blockMs: number;
  private readonly readCount: number;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly readTimeoutMs: number;
  private sink: TransportSink | undefined;
  private command: Redis | undefined;
  private reader: Redis | undefined;
  private readonly positions = new Map<string, Position>();
  private readonly byStream = new Map<string, string>();
  private loop: Promise<void> | undefined;
  private closing = false;
  /** The reader's CLIENT ID while an XREAD is blocked on the server, for CLIENT UNBLOCK. */
  private blockedReaderId: number | undefined;
  /** The listened set changed since the current XREAD was built. */
  private dirty = false;
  private wake: (() => void) | undefined;
  private readerDown = false;

  constructor(private readonly options: RedisStreamTransportOptions) {
    this.prefix = options.prefix ?? 'cb:sync';
    this.retention = checkMs(options.retention, 'retention', 10_000, 1);
    if (!Number.isInteger(this.retention)) throw cbError('CB_ERR_CONFIG_INVALID', `retention must be an integer, got ${this.retention}`);
    this.blockMs = Math.ceil(checkMs(options.blockMs, 'blockMs', 5000, 1));
    this.readCount = Math.ceil(checkMs(options.readCount, 'readCount', 100, 1));
    this.reconnectDelayMs = checkMs(options.reconnectDelayMs, 'reconnectDelayMs', 100, 1);
    this.maxReconnectDelayMs = checkMs(options.maxReconnectDelayMs, 'maxReconnectDelayMs', 2000, 1);
    this.readTimeoutMs = this.blockMs + checkMs(options.readTimeoutGraceMs, 'readTimeoutGraceMs', 5000, 1);
    // Read now, so a missing file fails at construction rather than at the first publish.
    publishScript();
  }

  async connect(sink: TransportSink): Promise<void> {
    this.sink = sink;
    this.closing = false;
    const name = this.options.connectionName ?? `cb-sync:${sink.nodeId}`;
    const retryStrategy = (times: number) => Math.min(times * this.reconnectDelayMs, this.maxReconnectDelayMs);
    const command = createRedisClient(this.options.url, { user: 'The Redis sync signal adapter', connectionName: name, retryStrategy, ...this.options.redisOptions });
    // The reader waits out outages: its commands wait until it is back, and an XREAD cut off in flight
    // is sent again on the new connection (ioredis 5 leaves it pending forever otherwise) with the
    // same positions, which is exactly the replay from the last id seen.
    const reader = createRedisClient(this.options.url, {
      user: 'The Redis sync signal adapter',
      connectionName: `${name}:reader`,
      retryStrategy,
      ...this.options.redisOptions,
      maxRetriesPerRequest: null,
      autoResendUnfulfilledCommands: true,
    });
    command.on('error', () => {});
    reader.on('error', (err: unknown) => {
      if (this.closing || this.readerDown) return;
      this.readerDown = true;
      sink.warn('sync signal reader lost its Redis connection; it will resume from its last position', err);
    });
    reader.on('ready', () => {
      this.readerDown = false;
    });
    reader.on('close', () => {
      // The id belonged to the lost connection; a re-sent XREAD runs under a new one we do not know
      // until the loop asks again, so a subscription made meanwhile waits at most blockMs.
      this.blockedReaderId = undefined;
    });
    try {
      await Promise.all([command.connect(), reader.connect()]);
    } catch (err) {
      command.disconnect();
      reader.disconnect();
      throw err;
    }
    this.command = command;
    this.reader = reader;
    this.loop = this.readLoop(reader);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const { command, reader, loop } = this;
    this.command = undefined;
    this.reader = undefined;
    reader?.disconnect();
    await loop;
    this.loop = undefined;
    this.positions.clear();
    this.byStream.clear();
    if (command) await command.quit().catch(() => command.disconnect());
  }

  async send(envelope: Envelope): Promise<void> {
    const streamKey = this.streamKey(envelope.app, envelope.channel);
    await publishScript().run(
      this.requireCommand(),
      [streamKey, `${streamKey}:seq`],
      [this.retention, this.options.exactTrim ? '=' : '~', JSON.stringify(envelope)],
    );
  }

  async listen(app: string, channel: string): Promise<void> {
    const streamKey = this.streamKey(app, channel);
    // Stream end and counter read together, so the position is exactly "everything published so far".
    const replies = await this.requireCommand().multi().xrevrange(streamKey, '+', '-', 'COUNT', 1).get(`${streamKey}:seq`).exec();
    if (!replies) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'Redis aborted the sync position transaction');
    const [[lastErr, last], [seqErr, seq]] = replies as [[Error | null, [string, string[]][]], [Error | null, string | null]];
    if (lastErr) throw lastErr;
    if (seqErr) throw seqErr;
    const key = topicKey(app, channel);
    this.positions.set(key, { app, channel, streamKey, id: last[0]?.[0] ?? '0-0', seq: Number(seq ?? 0) });
    this.byStream.set(streamKey, key);
    this.restartRead();
  }

  async unlisten(app: string, channel: string): Promise<void> {
    const key = topicKey(app, channel);
    const position = this.positions.get(key);
    if (!position) return;
    this.positions.delete(key);
    this.byStream.delete(position.streamKey);
  }

  /** Where this node stands on a channel (for tests and diagnostics). */
  position(app: string, channel: string): { id: string; seq: number } | undefined {
    const position = this.positions.get(topicKey(app, channel));
    return position && { id: position.id, seq: position.seq };
  }

  streamKey(app: string, channel: string): string {
    return `${this.prefix}:{${app}:${channel}}`;
  }

  private requireCommand(): Redis {
    if (!this.command) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The Redis sync signal is not connected');
    return this.command;
  }

  /** Makes the loop rebuild its XREAD with the current positions. */
  private restartRead(): void {
    this.dirty = true;
    if (this.wake) this.wake();
    else if (this.blockedReaderId !== undefined) this.unblock(this.blockedReaderId);
  }

  private unblock(readerId: number): void {
    this.command?.call('CLIENT', 'UNBLOCK', readerId).catch((err: unknown) => this.sink?.warn('CLIENT UNBLOCK failed', err));
  }

  private async readLoop(reader: Redis): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      if (this.positions.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const positions = [...this.positions.values()];
      this.dirty = false;
      let reply: XreadReply;
      const watchdog = setTimeout(() => {
        // No answer long after BLOCK expired on a connection that looks up: it is half-open. Drop it;
        // ioredis reconnects and re-sends the XREAD. (While reconnecting, the XREAD just waits.)
        if (reader.status !== 'ready') return;
        this.sink?.warn(`sync signal XREAD unanswered after ${this.readTimeoutMs} ms; reconnecting`);
        reader.disconnect(true);
      }, this.readTimeoutMs);
      try {
        // CLIENT ID runs just before the XREAD on the same connection: once it answers, the XREAD is
        // (almost surely) blocked on the server and CLIENT UNBLOCK can wake it for a new channel.
        const id = reader.call('CLIENT', 'ID').then((readerId) => {
          if (this.closing) return;
          this.blockedReaderId = Number(readerId);
          if (this.dirty) this.unblock(this.blockedReaderId);
        });
        const read = reader.call(
          'XREAD', 'COUNT', this.readCount, 'BLOCK', this.blockMs, 'STREAMS',
          ...positions.map((p) => p.streamKey),
          ...positions.map((p) => p.id),
        ) as Promise<XreadReply>;
        id.catch(() => {});
        reply = await read;
        failures = 0;
      } catch (err) {
        if (this.closing) break;
        failures += 1;
        if (!this.readerDown) this.sink?.warn('sync signal XREAD failed; retrying', err);
        await new Promise((resolve) => setTimeout(resolve, Math.min(failures * this.reconnectDelayMs, this.maxReconnectDelayMs)));
        continue;
      } finally {
        clearTimeout(watchdog);
        this.blockedReaderId = undefined;
      }
      if (reply) await this.process(reply);
    }
  }

  private async process(reply: NonNullable<XreadReply>): Promise<void> {
    for (const [streamKey, entries] of reply) {
      const key = this.byStream.get(streamKey);
      const position = key === undefined ? undefined : this.positions.get(key);
      if (!key || !position) continue;
      for (const [id, fields] of entries) {
        if (this.closing || this.positions.get(key) !== position) return;
        const seqText = field(fields, 'seq');
        const seq = Number(seqText);
        if (seqText !== undefined && Number.isSafeInteger(seq) && seq !== position.seq + 1) {
          const missed = seq - position.seq - 1;
          position.id = id;
          position.seq = seq;
          await this.sink?.resync({
            app: position.app,
            channel: position.channel,
            ...(missed > 0 ? { reason: 'gap' as const, missed } : { reason: 'reset' as const }),
          });
        }
        position.id = id;
        if (seqText !== undefined && Number.isSafeInteger(seq)) position.seq = seq;
        const payload = field(fields, 'e');
        let envelope: Envelope;
        try {
          envelope = JSON.parse(payload ?? '') as Envelope;
        } catch (err) {
          this.sink?.warn(`unreadable sync signal ${id} on ${streamKey}`, err);
          continue;
        }
        await this.sink?.deliver(envelope);
      }
    }
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
