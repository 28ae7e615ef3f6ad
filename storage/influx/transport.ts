/**
 * The transport handed to `@influxdata/influxdb-client`: the client's own Node transport, wrapped to
 *  - map the v2 write path to InfluxDB 1.x's `/write` for every 1.x (DESIGN D1, decision 0104: before 1.8 there
 *    is no `/api/v2/write`, and `/write` is the path tested against a real server):
 *    `/api/v2/write?org=&bucket=db/rp&precision=us` → `/write?db=db&rp=rp&precision=u`
 *    (1.x spells precisions n, u, ms, s: https://docs.influxdata.com/influxdb/v1.6/tools/api/#write-http-endpoint);
 *  - add HTTP Basic authentication for 1.x users;
 *  - track requests in flight, so that `flush()` can wait for batches the client sent on its own timer.
 */
import type { CommunicationObserver, SendOptions, Transport } from '@influxdata/influxdb-client';

const V1_PRECISION: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/** Map a client path to the 1.x API; paths other than the v2 write pass unchanged. */
export function v1WritePath(path: string): string {
  const q = path.indexOf('?');
  if ((q < 0 ? path : path.slice(0, q)) !== '/api/v2/write') return path;
  const params = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  // The 1.8+ compatibility convention: bucket = "database/retention-policy" or "database".
  const bucket = params.get('bucket') ?? '';
  const slash = bucket.indexOf('/');
  const out = new URLSearchParams();
  out.set('db', slash < 0 ? bucket : bucket.slice(0, slash));
  if (slash >= 0 && bucket.slice(slash + 1)) out.set('rp', bucket.slice(slash + 1));
  const precision = params.get('precision');
  if (precision) out.set('precision', V1_PRECISION[precision] ?? precision);
  const consistency = params.get('consistency');
  if (consistency) out.set('consistency', consistency);
  return `/write?${out.toString()}`;
}

/** Options of the wrapping transport. */
export interface TransportOptions {
  /** rewrite `/api/v2/write` to `/write` (every InfluxDB 1.x) */
  v1Write: boolean;
  /** Basic credentials for 1.x */
  username?: string;
  password?: string;
}

/** `Authorization` value for 1.x Basic authentication. */
export function basicAuth(username: string, password = ''): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** A Transport that rewrites paths, authenticates, and counts requests in flight. */
export class MappingTransport implements Transport {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly base: Transport, private readonly opts: TransportOptions) {}

  get chunkCombiner(): Transport['chunkCombiner'] {
    return this.base.chunkCombiner;
  }

  private path(path: string): string {
    return this.opts.v1Write ? v1WritePath(path) : path;
  }

  private options(options: SendOptions): SendOptions {
    if (this.opts.username === undefined) return options;
    return { ...options, headers: { ...options.headers, authorization: basicAuth(this.opts.username, this.opts.password) } };
  }

  send(path: string, body: string, options: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>): void {
    let done!: () => void;
    const p = new Promise<void>((resolve) => (done = resolve));
    this.inflight.add(p);
    const settle = (): void => {
      this.inflight.delete(p);
      done();
    };
    this.base.send(this.path(path), body, this.options(options), {
      ...callbacks,
      error: (err) => {
        settle();
        callbacks?.error?.(err);
      },
      complete: () => {
        settle();
        callbacks?.complete?.();
      },
    });
  }

  request(path: string, body: unknown, options: SendOptions, responseStarted?: Parameters<Transport['request']>[3]): Promise<unknown> {
    return this.base.request(this.path(path), body, this.options(options), responseStarted);
  }

  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.base.iterate(this.path(path), body, this.options(options));
  }

  /** Requests sent and not yet answered. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Resolves when any request in flight ends (at once if none is). */
  async anySettled(): Promise<void> {
    if (this.inflight.size > 0) await Promise.race([...this.inflight]);
  }

  /** Resolves when every request sent so far has ended. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }
}
