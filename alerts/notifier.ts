/**
 * Delivery of the notification outbox (alerts/store.ts): every pending notification is sent over its channel,
 * retried with exponential back-off while the failure is retryable, and every attempt is logged with its result.
 * A robot's rate limit is kept by holding messages back (not by spending an attempt) until a slot of its
 * one-minute window frees, and then sending them as one batch; a transition within a silence (maintenance window) is kept as `silenced`, not sent.
 * Delivery is at least once: a crash between a robot's answer and the commit of `sent`
 * repeats that one message at the next start.
 */
import { logger } from '../core/log.ts';
import type { Channel } from './rules/schema.ts';
import { RATE_PER_MINUTE } from './channels/index.ts';
import { DeliveryError, messageOf, type ChannelSender } from './channels/types.ts';
import { alertMetrics } from './metrics.ts';
import { digestMessage, quietUntil } from './quiet-hours.ts';
import type { QuietHours } from './rules/load.ts';
import type { AlertStore, PendingNotification } from './store.ts';

/** Back-off of retries: base × 2^(attempt−1), at most max_ms, given up after max_attempts. */
export interface BackoffOptions {
  base_ms: number;
  max_ms: number;
  max_attempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { base_ms: 2000, max_ms: 5 * 60_000, max_attempts: 10 };

/** Options of the notifier. */
export interface NotifierOptions {
  store: AlertStore;
  channels: ReadonlyMap<string, Channel>;
  senders: ReadonlyMap<string, ChannelSender>;
  backoff?: BackoffOptions;
  /** quiet hours of the rules file (alerts/quiet-hours.ts) */
  quiet?: QuietHours;
  now?: () => number;
}

const log = logger('alerts-notifier');
const MINUTE_MS = 60_000;

/** Delivers the outbox; `drain` once, or `start` to poll and `kick` after a transition. */
export class Notifier {
  private readonly backoff: BackoffOptions;
  private readonly now: () => number;
  /** per channel, the send times within the last minute */
  private readonly sent = new Map<string, number[]>();
  private running?: Promise<number>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private opts: NotifierOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.now = opts.now ?? Date.now;
  }

  /** Deliver what is due now; resolves with the number of attempts made. Concurrent calls share one run. */
  drain(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** A transition was stored: deliver soon. */
  kick(): void {
    if (!this.stopped) void this.drain().catch((err: unknown) => log.error({ err: (err as Error).message }, 'notification run failed'));
  }

  /**
   * The channels and quiet hours of a reloaded rules file. Channels it no longer names are kept for what is
   * still owed to them (a resolution of a removed rule's alert among others).
   */
  configure(channels: ReadonlyMap<string, Channel>, senders: ReadonlyMap<string, ChannelSender>, quiet: QuietHours | undefined): void {
    this.opts = { ...this.opts, channels: new Map([...this.opts.channels, ...channels]), senders: new Map([...this.opts.senders, ...senders]), quiet };
  }

  /** Poll the outbox every `poll_ms` (retries come due by the clock). */
  start(poll_ms = 1000): void {
    this.timer = setInterval(() => this.kick(), poll_ms);
    this.timer.unref();
    this.kick();
  }

  /** Stop polling and wait for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<number> {
    let attempts = 0;
    do {
      this.again = false;
      const digests = new Map<string, PendingNotification[]>();
      for (const n of this.opts.store.dueNotifications(this.now())) {
        if (this.stopped) return attempts;
        if (n.digest) digests.set(n.channel, [...(digests.get(n.channel) ?? []), n]);
        else if (await this.deliver([n])) attempts++;
      }
      for (const held of digests.values()) {
        if (this.stopped) return attempts;
        if (await this.deliver(held)) attempts++;
      }
    } while (this.again && !this.stopped);
    return attempts;
  }

  /**
   * One attempt for one notification, or for a channel's digest of those held through quiet hours (all of one
   * channel); none when the rate limit or quiet hours hold them back. True when an attempt was made.
   */
  private async deliver(group: PendingNotification[]): Promise<boolean> {
    const first = group[0];
    const channel = this.opts.channels.get(first.channel);
    const sender = this.opts.senders.get(first.channel);
    const at = this.now();
    const attempt = Math.max(...group.map((n) => n.attempts)) + 1;
    const settle = (ok: boolean, detail: string, duration_ms: number, outcome: Parameters<AlertStore['settle']>[1]) => {
      for (const n of group) this.opts.store.settle({ notification_id: n.id, channel: n.channel, attempt, at_ms: this.now(), ok, detail, duration_ms }, outcome);
    };
    if (!channel || !sender) {
      settle(false, `channel '${first.channel}' is not configured any more`, 0, { failed: true });
      return true;
    }
    const quietEnd = this.opts.quiet && quietUntil(this.opts.quiet, at);
    const waiting: PendingNotification[] = [];
    for (const n of group) {
      const silence = this.opts.store.silenceFor(n.event);
      if (silence) {
        this.opts.store.silenced(n.id, n.channel, silence, at);
        alertMetrics.deliveries.inc({ channel: n.channel, result: 'silenced' });
      } else if (quietEnd !== undefined && !this.opts.quiet?.except.has(n.event.severity)) {
        this.opts.store.holdForDigest(n.id, quietEnd);
        alertMetrics.deliveries.inc({ channel: n.channel, result: 'held' });
      } else waiting.push(n);
    }
    if (waiting.length === 0) return false;
    group = waiting;
    const free = this.slotFreeAt(first.channel, RATE_PER_MINUTE[channel.type], at);
    if (free > at) {
      // over the robot's limit (WeCom 20 a minute): what waits goes out as one message when a slot frees
      for (const n of group) this.opts.store.holdForDigest(n.id, free);
      return false;
    }
    const started = Date.now();
    try {
      await sender.send(group.some((n) => n.digest) ? digestMessage(group) : messageOf(first.event, first.escalation));
      settle(true, group.length > 1 ? `delivered in a digest of ${group.length}` : 'delivered', Date.now() - started, { sent: true });
      alertMetrics.deliveries.inc({ channel: first.channel, result: 'sent' }, group.length);
    } catch (err) {
      const retryable = err instanceof DeliveryError ? err.retryable : true;
      const detail = (err as Error).message;
      const giveUp = !retryable || attempt >= this.backoff.max_attempts;
      const retry_at_ms = this.now() + Math.min(this.backoff.max_ms, this.backoff.base_ms * 2 ** (attempt - 1));
      settle(false, detail, Date.now() - started, giveUp ? { failed: true } : { retry_at_ms });
      alertMetrics.deliveries.inc({ channel: first.channel, result: giveUp ? 'failed' : 'retry' }, group.length);
      log.warn({ channel: first.channel, notifications: group.map((n) => n.id), attempt, retryable, gave_up: giveUp, err: detail }, 'alert notification not delivered');
    }
    return true;
  }

  /** When the channel may send next within its per-minute limit (records the send when it is now). */
  private slotFreeAt(channel: string, perMinute: number | undefined, now_ms: number): number {
    if (perMinute === undefined) return now_ms;
    const times = (this.sent.get(channel) ?? []).filter((t) => now_ms - t < MINUTE_MS);
    this.sent.set(channel, times);
    if (times.length >= perMinute) return times[0] + MINUTE_MS;
    times.push(now_ms);
    return now_ms;
  }
}
