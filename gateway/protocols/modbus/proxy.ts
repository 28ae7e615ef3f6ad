/**
 * Modbus TCP proxy: many TCP clients (the gateway, a vendor's commissioning tool, a BMS) share one upstream
 * connection to a device or TCP-to-RS-485 gateway that accepts a single client. Requests are forwarded one at
 * a time as raw frames (any function code passes through) with the proxy's own transaction ids, and each answer
 * goes back to the client that asked, under that client's transaction id (MBAP header, Modbus Messaging on
 * TCP/IP Implementation Guide v1.0b §3.1.3). When the upstream does not answer in time the client gets
 * exception 0x0B GATEWAY TARGET DEVICE FAILED TO RESPOND, as a Modbus gateway would answer.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../core/log.ts';
import { logger } from '../../../core/log.ts';

/** Proxy settings. */
export interface ProxyOptions {
  upstream: { host: string; port: number };
  listenHost?: string;
  /** 0 or absent: a free port */
  listenPort?: number;
  /** per-request upstream answer timeout, default 1000 ms */
  timeoutMs?: number;
  log?: Logger;
}

/** A running proxy. */
export interface ModbusProxy {
  port: number;
  stats(): { clients: number; forwarded: number; timeouts: number; upstreamConnects: number };
  stop(): Promise<void>;
}

interface Pending {
  client: Socket;
  tid: number;
  unit: number;
  pdu: Buffer;
}

const MBAP_LEN = 7;

/** Split complete MBAP frames off a receive buffer; returns the frames and the rest. */
export function takeFrames(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= MBAP_LEN) {
    const len = buf.readUInt16BE(off + 4); // unit id + PDU
    if (len < 2 || len > 254) { off = buf.length; break; } // not Modbus: drop what we have
    if (buf.length - off < 6 + len) break;
    frames.push(buf.subarray(off, off + 6 + len));
    off += 6 + len;
  }
  return { frames, rest: buf.subarray(off) };
}

function frame(tid: number, unit: number, pdu: Buffer): Buffer {
  const head = Buffer.alloc(MBAP_LEN);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(pdu.length + 1, 4);
  head.writeUInt8(unit, 6);
  return Buffer.concat([head, pdu]);
}

/** Start a proxy in front of one upstream Modbus TCP device. */
export async function startModbusProxy(opts: ProxyOptions): Promise<ModbusProxy> {
  const log = opts.log ?? logger('modbus-proxy', { upstream: `${opts.upstream.host}:${opts.upstream.port}` });
  const timeoutMs = opts.timeoutMs ?? 1000;
  const clients = new Set<Socket>();
  const queue: Pending[] = [];
  const counters = { forwarded: 0, timeouts: 0, upstreamConnects: 0 };
  let upstream: Socket | undefined;
  let upstreamReady: Promise<Socket> | undefined;
  let upBuf = Buffer.alloc(0);
  let current: { p: Pending; tid: number; timer: NodeJS.Timeout } | undefined;
  let nextTid = 1;
  let stopped = false;

  const getUpstream = (): Promise<Socket> => {
    if (upstream && !upstream.destroyed) return Promise.resolve(upstream);
    upstreamReady ??= new Promise<Socket>((resolve, reject) => {
      const s = connect(opts.upstream.port, opts.upstream.host);
      s.once('connect', () => {
        counters.upstreamConnects++;
        upstream = s;
        upBuf = Buffer.alloc(0);
        upstreamReady = undefined;
        resolve(s);
      });
      s.once('error', (err) => { upstreamReady = undefined; s.destroy(); reject(err); });
      s.on('close', () => { if (upstream === s) upstream = undefined; });
      s.on('data', (data) => onUpstreamData(data));
    });
    return upstreamReady;
  };

  const answer = (p: Pending, pdu: Buffer) => {
    if (!p.client.destroyed) p.client.write(frame(p.tid, p.unit, pdu));
  };

  const finish = () => {
    if (current) clearTimeout(current.timer);
    current = undefined;
    setImmediate(pump);
  };

  function onUpstreamData(data: Buffer): void {
    const { frames, rest } = takeFrames(Buffer.concat([upBuf, data]));
    upBuf = Buffer.from(rest);
    for (const f of frames) {
      // an answer to an earlier, timed-out request has another transaction id: ignore it
      if (!current || f.readUInt16BE(0) !== current.tid) continue;
      counters.forwarded++;
      answer(current.p, f.subarray(MBAP_LEN));
      finish();
    }
  }

  function pump(): void {
    if (current || stopped) return;
    const p = queue.shift();
    if (!p) return;
    if (p.client.destroyed) return pump();
    const tid = nextTid;
    nextTid = (nextTid % 0xffff) + 1;
    const timer = setTimeout(() => {
      counters.timeouts++;
      answer(p, Buffer.from([p.pdu[0] | 0x80, 0x0b]));
      finish();
    }, timeoutMs);
    current = { p, tid, timer };
    getUpstream().then(
      (s) => { if (current?.tid === tid) s.write(frame(tid, p.unit, p.pdu)); },
      (err: Error) => {
        log.warn({ err: err.message }, 'upstream unreachable');
        if (current?.tid !== tid) return;
        // 0x0A GATEWAY PATH UNAVAILABLE: the proxy cannot reach the device at all
        answer(p, Buffer.from([p.pdu[0] | 0x80, 0x0a]));
        finish();
      },
    );
  }

  const server: Server = createServer((client) => {
    clients.add(client);
    let buf = Buffer.alloc(0);
    client.on('data', (data) => {
      const { frames, rest } = takeFrames(Buffer.concat([buf, data]));
      buf = Buffer.from(rest);
      for (const f of frames) queue.push({ client, tid: f.readUInt16BE(0), unit: f.readUInt8(6), pdu: Buffer.from(f.subarray(MBAP_LEN)) });
      pump();
    });
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort ?? 0, opts.listenHost ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  log.info({ port }, 'Modbus TCP proxy listening');
  return {
    port,
    stats: () => ({ clients: clients.size, ...counters }),
    stop: async () => {
      stopped = true;
      if (current) clearTimeout(current.timer);
      for (const c of clients) c.destroy();
      upstream?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
