/**
 * The publishing half of a gateway — its disk queue with the replay window, its MQTT publisher and its command
 * handler, composed as gateway/runtime.ts composes them — fed with prepared batches instead of polled devices,
 * so that tests of the collector know every batch that was sent.
 */
import type { IClientOptions } from 'mqtt';
import type { ReadingBatch } from '../../core/contract/v1.ts';
import { logger } from '../../core/log.ts';
import { CommandHandler } from '../../gateway/commands.ts';
import { Publisher } from '../../gateway/publisher.ts';
import { DiskQueue } from '../../gateway/queue.ts';

/** A running stand-in gateway. */
export interface StreamGateway {
  queue: DiskQueue;
  /** Queue and send a batch; its seq is the queue's (the same as the stream's when every batch goes through). */
  send(batch: ReadingBatch): void;
  stop(): Promise<void>;
}

/** Start the publishing half of gateway `gateway` of `site`, with its queue under `dir`. */
export function startStreamGateway(o: { mqttUrl: string; site: string; gateway: string; dir: string; mqttOptions?: IClientOptions }): StreamGateway {
  const log = logger('gateway', { gateway: o.gateway });
  const queue = new DiskQueue(o.dir, `gateway-${o.site}-${o.gateway}`, { log });
  let publisher: Publisher | undefined;
  const commands = new CommandHandler({ queue, log, resend: (seqs) => publisher?.resend(seqs) });
  const pub = new Publisher({
    mqttUrl: o.mqttUrl, site: o.site, gateway: o.gateway, queue, log, mqttOptions: o.mqttOptions,
    onCommand: (payload, channel) => commands.handle(payload, channel),
  });
  publisher = pub;
  return {
    queue,
    send(batch) {
      queue.enqueue((seq) => JSON.stringify({ ...batch, seq }));
      pub.notify();
    },
    async stop() {
      await pub.stop(0);
      queue.close();
    },
  };
}
