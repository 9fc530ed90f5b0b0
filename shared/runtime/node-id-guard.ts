import { hostname } from 'node:os';
import type { ServiceBroker } from 'moleculer';

interface Packet {
  readonly type: string;
  readonly target?: string | null;
  readonly payload: Record<string, unknown> & { sender?: string; instanceID?: string; metadata?: Record<string, unknown> };
}

interface Claim {
  readonly instance: string;
  readonly startedAt: number;
  readonly host: string;
  readonly pid: number;
}

type Transit = { sendNodeInfo(info: unknown, nodeID?: string): Promise<unknown> };

const CLAIM = 'cbClaim';

/**
 * Two processes with one NODE_ID on a transporter: Moleculer stops the one that sees the other's INFO
 * (the running node, usually), and the cluster routes that ID's calls to both. This guard makes the
 * newcomer refuse and the running node keep serving:
 * - every DISCOVER and INFO this node sends carries a claim (instance, start time, host, pid);
 * - a node that sees a DISCOVER or INFO from its own NODE_ID with another instance compares the
 *   claims: the older keeps the ID (it answers with its INFO so the newcomer learns of it, drops the
 *   newcomer's INFO and announces itself again); the younger records the conflict, sends nothing more
 *   and refuses to start (or, if it had started, stops);
 * - the node's own first INFO waits until the newcomer had a chance to hear of the older node
 *   (`windowMs` after connecting), so a refused newcomer never announces itself.
 */
export class NodeIdGuard {
  private readonly claim: Claim;
  private conflictMessage: string | null = null;
  private readonly settled: Promise<void>;
  private settle!: () => void;
  private windowTimer: NodeJS.Timeout | undefined;
  private onConflict: ((message: string) => void) | null = null;

  constructor(
    private readonly broker: ServiceBroker,
    private readonly windowMs: number,
    private readonly log: { warn(m: string): void; error(m: string): void },
  ) {
    this.claim = { instance: broker.instanceID, startedAt: Date.now(), host: hostname(), pid: process.pid };
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  /** The refusal when another live process already holds this NODE_ID, else null. */
  get conflict(): string | null {
    return this.conflictMessage;
  }

  /** Called once, when a conflict is found after the node has started. */
  whenConflict(listener: (message: string) => void): void {
    this.onConflict = listener;
  }

  /** Starts the window in which an older holder of the NODE_ID answers (call when the transporter connects). */
  connected(): void {
    this.windowTimer ??= setTimeout(() => this.settle(), this.windowMs);
    this.windowTimer.unref?.();
  }

  /** Waits until the window has passed (or a conflict was found). */
  wait(): Promise<void> {
    this.connected();
    return this.settled;
  }

  stop(): void {
    clearTimeout(this.windowTimer);
    this.settle();
  }

  /** Moleculer's `transitPublish` hook: claims on DISCOVER/INFO, nothing at all after a conflict, the first INFO after the window. */
  publish(next: (packet: Packet) => Promise<unknown>): (packet: Packet) => Promise<unknown> {
    return async (packet) => {
      if (this.conflictMessage) return undefined;
      if (packet.type === 'DISCOVER' || packet.type === 'INFO') (packet.payload as Record<string, unknown>)[CLAIM] = this.claim;
      if (packet.type === 'INFO') {
        await this.settled;
        if (this.conflictMessage) return undefined;
      }
      return next(packet);
    };
  }

  /** Moleculer's `transitMessageHandler` hook: looks at packets that name this node's ID as their sender. */
  receive(next: (cmd: string, packet: Packet) => Promise<unknown>): (cmd: string, packet: Packet) => Promise<unknown> {
    return (cmd, packet) => {
      const p = packet.payload;
      const theirs = p?.[CLAIM] as Claim | undefined;
      if (p?.sender !== this.broker.nodeID || (cmd !== 'DISCOVER' && cmd !== 'INFO') || !theirs || theirs.instance === this.claim.instance) return next(cmd, packet);
      if (this.conflictMessage) return Promise.resolve(false);
      const olderIsMine = this.claim.startedAt < theirs.startedAt || (this.claim.startedAt === theirs.startedAt && this.claim.instance < theirs.instance);
      if (olderIsMine) {
        this.log.error(
          `another process (host ${theirs.host}, pid ${theirs.pid}) tried to join the cluster with this node's NODE_ID "${this.broker.nodeID}": it is refused, this node keeps serving`,
        );
        // Tell it (and every node that heard its INFO) who holds the ID.
        void this.transit()?.sendNodeInfo(this.broker.getLocalNodeInfo()).catch(() => undefined);
        return Promise.resolve(false);
      }
      this.conflictMessage =
        `NODE_ID "${this.broker.nodeID}" is already live on the transporter (host ${theirs.host}, pid ${theirs.pid}, started ${new Date(theirs.startedAt).toISOString()}): ` +
        'give this node another NODE_ID (or leave it empty for a generated one)';
      this.settle();
      if (this.broker.started) this.onConflict?.(this.conflictMessage);
      return Promise.resolve(false);
    };
  }

  private transit(): Transit | undefined {
    return (this.broker as unknown as { transit?: Transit }).transit;
  }
}
