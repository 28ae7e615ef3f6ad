/**
 * The gateway's command topic against a real Mosquitto (decision 0309): batches acknowledged by the broker stay in
 * the replay window and are published again on request; what is gone is named; unknown commands are answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { topics, type CommandResult } from '../core/contract/v1.ts';
import { logger } from '../core/log.ts';
import { waitFor } from '../test/harness/ports.ts';
import { CommandHandler } from './commands.ts';
import { Publisher } from './publisher.ts';
import { DiskQueue } from './queue.ts';

const SITE = `cmd-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'jieneng-cmd-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

it('answers resend, resend_recent and unknown commands on the command topic, writes only on the write topic', async () => {
  const url = inject('mosquittoUrl');
  const log = logger('gateway', { gateway: 'gw1' });
  const queue = new DiskQueue(dir, 'g');
  cleanups.push(() => queue.close());
  let publisher: Publisher | undefined = undefined;
  const commands = new CommandHandler({ queue, log, resend: (seqs) => publisher?.resend(seqs) });
  publisher = new Publisher({ mqttUrl: url, site: SITE, gateway: 'gw1', queue, log, onCommand: (p, channel) => commands.handle(p, channel) });
  const pub = publisher;
  cleanups.push(() => pub.stop(0));

  const readings: number[] = [];
  const results: CommandResult[] = [];
  const watcher = await mqtt.connectAsync(url, { clientId: `cmd-watch-${process.pid}` });
  cleanups.push(() => watcher.endAsync(true));
  watcher.on('message', (topic, payload) => {
    const msg = JSON.parse(payload.toString()) as { seq: number } & CommandResult;
    if (topic === topics.readings(SITE, 'gw1')) readings.push(msg.seq);
    else results.push(msg);
  });
  await watcher.subscribeAsync([topics.readings(SITE, 'gw1'), topics.commandResult(SITE, 'gw1')], { qos: 1 });

  for (let i = 0; i < 5; i++) queue.enqueue((seq) => JSON.stringify({ seq }));
  pub.notify();
  await waitFor('every batch acknowledged', () => queue.stats().replayable === 5 && readings.length === 5, 10_000);
  expect(queue.stats()).toMatchObject({ queued: 0, replayable: 5 });

  const command = (c: object) => watcher.publishAsync(topics.command(SITE, 'gw1'), JSON.stringify(c), { qos: 1 });
  const write = (c: object) => watcher.publishAsync(topics.commandWrite(SITE, 'gw1'), JSON.stringify(c), { qos: 1 });
  await command({ v: 1, type: 'resend', id: 'r1', from_seq: 1, to_seq: 7 });
  await waitFor('the resent batches', () => results.length === 1 && readings.length === 9, 10_000);
  expect(readings.slice(5).sort()).toEqual([1, 2, 3, 4]);
  expect(results[0]).toEqual({ v: 1, type: 'resend', id: 'r1', from_seq: 1, to_seq: 7, resent: 4, queued: 0, unavailable: [{ from_seq: 5, to_seq: 7 }] });

  // every collector of a group may ask for the same lost share: the gateway sends it once
  await command({ v: 1, type: 'resend_recent', id: 'lost-c1', within_s: 60 });
  await command({ v: 1, type: 'resend_recent', id: 'lost-c1', within_s: 60 });
  await waitFor('both answers', () => results.length === 3 && readings.length === 14, 10_000);
  expect(results.slice(1).map((r) => r.type === 'resend_recent' && [r.resent, r.duplicate])).toEqual([[5, false], [0, true]]);

  await command({ v: 1, type: 'reboot', id: 'x1' });
  await command({ v: 1, type: 'resend', id: 'r2', from_seq: 4, to_seq: 1 });
  // a write to a device the gateway does not have: refused with the reason, nothing sent
  await write({ v: 1, type: 'write', id: 'w1', device: 'm1', point: 'setpoint_c', value: 21 });
  // writes only on the write topic, and nothing else there (decision 0311)
  await command({ v: 1, type: 'write', id: 'w2', device: 'm1', point: 'setpoint_c', value: 21 });
  await write({ v: 1, type: 'resend', id: 'r3', from_seq: 1, to_seq: 2 });
  await waitFor('the rejections', () => results.length === 8, 10_000);
  expect(results.slice(3).map((r) => ({ ...r, ts: undefined })).sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
    { v: 1, type: 'rejected', id: 'r2', detail: 'seq range 4..1 is empty or longer than 10000', ts: undefined },
    { v: 1, type: 'rejected', id: 'r3', detail: "only writes are accepted on the write topic, not 'resend'", ts: undefined },
    { v: 1, type: 'write', id: 'w1', device: 'm1', point: 'setpoint_c', value: 21, outcome: 'refused', detail: "no device 'm1' on this gateway", ts: undefined },
    { v: 1, type: 'write', id: 'w2', device: 'm1', point: 'setpoint_c', value: 21, outcome: 'refused', detail: 'writes are accepted only on the write topic', ts: undefined },
    { v: 1, type: 'rejected', id: 'x1', detail: "unknown command type 'reboot'", ts: undefined },
  ]);
  expect(readings).toHaveLength(14);
}, 30_000);
