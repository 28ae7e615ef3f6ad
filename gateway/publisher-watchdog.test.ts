/**
 * A broker that stays connected but never acknowledges (it lost the packets): the publisher's watchdog sends
 * unacknowledged batches again, resends asked for by a collector included, so that no slot of the in-flight limit
 * stays taken for good. The real Mosquitto behind a proxy that drops its PUBACKs plays that broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import { logger } from '../core/log.ts';
import { waitFor } from '../test/harness/ports.ts';
import { Publisher } from './publisher.ts';
import { DiskQueue } from './queue.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-pub-watchdog-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A broker that loses every PUBACK: a TCP proxy in front of the real Mosquitto that drops the PUBACK packets on
 * their way back to the client (the stream back holds only CONNACK, PUBACK and PINGRESP here) and counts the
 * PUBLISHes of batches going the other way, by seq.
 */
async function pubackLosingBroker(brokerUrl: string): Promise<{ url: string; seen: number[] }> {
  const seen: number[] = [];
  const upstream = new URL(brokerUrl);
  const server: Server = createServer((client) => {
    const broker = connect(Number(upstream.port), upstream.hostname);
    let down = Buffer.alloc(0);
    let up = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      broker.write(chunk);
      up = Buffer.concat([up, chunk]);
      for (let p = nextPacket(up); p; p = nextPacket(up)) {
        if (p.type === 3) { // PUBLISH: topic length, topic, message id (QoS 1), payload
          const topicEnd = p.body.readUInt16BE(0) + 2;
          const topic = p.body.subarray(2, topicEnd).toString();
          if (topic.endsWith('/readings')) seen.push((JSON.parse(p.body.subarray(topicEnd + 2).toString()) as { seq: number }).seq);
        }
        up = up.subarray(p.size);
      }
    });
    broker.on('data', (chunk: Buffer) => {
      down = Buffer.concat([down, chunk]);
      for (let p = nextPacket(down); p; p = nextPacket(down)) {
        if (p.type !== 4) client.write(down.subarray(0, p.size)); // PUBACK: lost
        down = down.subarray(p.size);
      }
    });
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
    client.on('error', () => broker.destroy());
    broker.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

/** The first whole MQTT packet of `buf` (MQTT 3.1.1 §2.2: type, remaining length), or undefined. */
function nextPacket(buf: Buffer): { type: number; body: Buffer; size: number } | undefined {
  let length = 0;
  let at = 1;
  for (let shift = 0; ; shift += 7, at++) {
    if (at >= buf.length) return undefined;
    length += (buf[at] & 0x7f) << shift;
    if ((buf[at] & 0x80) === 0) break;
  }
  const size = at + 1 + length;
  return buf.length < size ? undefined : { type: buf[0] >> 4, body: buf.subarray(at + 1, size), size };
}

it('sends again what a connected broker never acknowledged, resends included, and frees their slots', async () => {
  const broker = await pubackLosingBroker(inject('mosquittoUrl'));
  const queue = new DiskQueue(dir, 'wd');
  cleanups.push(() => queue.close());
  const pub = new Publisher({ mqttUrl: broker.url, site: `wd-${process.pid}`, gateway: 'gw', queue, log: logger('gateway', { gateway: 'gw' }) });
  cleanups.push(() => pub.stop(0));
  await waitFor('connected', () => pub.stats().connected, 10_000);
  for (let i = 0; i < 2; i++) queue.enqueue((seq) => JSON.stringify({ seq }));
  pub.notify();
  await waitFor('both batches at the broker', () => broker.seen.length === 2, 5000);
  pub.resend([broker.seen[0]]); // a collector asks for the first again
  await waitFor('the resend at the broker', () => broker.seen.length === 3, 5000);
  expect(pub.stats().inflight).toBe(3);

  // the watchdog's turn, with every send stale (it runs every 15 s for sends older than 60 s)
  (pub as unknown as { resendStale(maxAgeMs: number): void }).resendStale(0);
  // the two batches and the resend go again; the slots of the lost sends are free
  await waitFor('all three sent again', () => broker.seen.length === 6, 5000);
  const first = broker.seen[0];
  expect(broker.seen.filter((s) => s === first)).toHaveLength(4);
  expect(pub.stats().inflight).toBe(3);
});
