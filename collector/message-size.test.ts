/**
 * The message size limit (issue 12, defect 2) in both brokers the project ships: the embedded aedes and
 * Mosquitto with the limit of config/mosquitto/mosquitto.conf. A payload over 1 MiB is acknowledged to its sender
 * and reaches no subscriber; one of exactly 1 MiB arrives.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../app/broker.ts';
import { startMosquitto } from '../test/harness/mosquitto.ts';
import { waitFor } from '../test/harness/ports.ts';

const MIB = 1024 * 1024;
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

/** The shipped Mosquitto config's size limit line. */
function shippedLimitLine(): string {
  const line = readFileSync('config/mosquitto/mosquitto.conf', 'utf8').split('\n').find((l) => l.startsWith('message_size_limit '));
  if (!line) throw new Error('config/mosquitto/mosquitto.conf sets no message_size_limit');
  return line;
}

describe.each(['aedes', 'mosquitto'] as const)('the message size limit of %s', (kind) => {
  it('acknowledges a message over 1 MiB and forwards it to nobody; 1 MiB passes', async () => {
    let url: string;
    if (kind === 'aedes') {
      const broker = await startEmbeddedBroker(0);
      cleanups.push(() => broker.stop());
      url = broker.url;
    } else {
      expect(shippedLimitLine()).toBe(`message_size_limit ${MIB}`);
      const broker = await startMosquitto({ extraConfig: [shippedLimitLine()] });
      cleanups.push(() => broker.stop());
      url = broker.url;
    }
    const sub = await mqtt.connectAsync(url, { clientId: `size-sub-${kind}-${process.pid}` });
    cleanups.push(() => sub.endAsync());
    const got: number[] = [];
    sub.on('message', (_t, m) => got.push(m.length));
    await sub.subscribeAsync('size/#', { qos: 1 });
    const pub = await mqtt.connectAsync(url, { clientId: `size-pub-${kind}-${process.pid}` });
    cleanups.push(() => pub.endAsync());
    await pub.publishAsync('size/t', Buffer.alloc(MIB + 1, 0x61), { qos: 1 }); // resolves on the broker's PUBACK
    await pub.publishAsync('size/t', Buffer.alloc(MIB, 0x62), { qos: 1 });
    await pub.publishAsync('size/t', 'small', { qos: 1 });
    await waitFor('the small message', () => got.includes(5), 10_000);
    expect(got).toEqual([MIB, 5]);
    expect(pub.connected).toBe(true);
  });
});
