/**
 * Failed authentications per client address (issue #13): after `limit` failures within `window_ms` the client is
 * refused with 429 and Retry-After until its oldest failure leaves the window. In memory, per API process.
 */

/**
 * The client a failure counts against: an IPv4 address (also when IPv4-mapped, `::ffff:10.0.0.5`), or the /64
 * prefix of an IPv6 address, since one host usually holds a whole /64 and could rotate through it (RFC 7421 §1).
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Sliding-window failure counter per client. */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit = 10, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Seconds the client must wait before trying again, or 0 when it may try. */
  retryAfterS(client: string): number {
    const list = this.recent(client);
    if (list.length < this.limit) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.limit] + this.windowMs - this.now()) / 1000));
  }

  /** Count one failure of the client. */
  fail(client: string): void {
    const list = this.recent(client);
    list.push(this.now());
    this.failures.set(client, list);
    // a flood from many addresses must not grow the map without bound
    if (this.failures.size > 10_000) for (const c of [...this.failures.keys()]) if (this.recent(c).length === 0) this.failures.delete(c);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(client);
    else this.failures.set(client, list);
    return list;
  }
}
