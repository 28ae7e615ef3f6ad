/**
 * Checks an MQTT broker at start-up (one clear line when it cannot be reached) and keeps a small client
 * connected afterwards, so `/api/v1/health` can say whether the broker is up right now.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { StartupError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import { redactUrl } from '../core/secrets.ts';

export interface BrokerWatch {
  health(): { ok: boolean; detail: string };
  stop(): Promise<void>;
}

const log = logger('broker-watch');

/** Connect once (fail fast), then watch with automatic reconnects; outages are logged once each. */
export async function watchBroker(url: string, clientId = `jieneng-watch-${process.pid}`, options: IClientOptions = {}): Promise<BrokerWatch> {
  const shown = redactUrl(url);
  try {
    const probe = await mqtt.connectAsync(url, { ...options, reconnectPeriod: 0, connectTimeout: 5000, clientId: `${clientId}-probe` });
    await probe.endAsync();
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StartupError(`MQTT broker at ${shown} cannot be reached (${reason}) — start it, fix MQTT_URL, or unset MQTT_URL to use the embedded broker`, { cause: err });
  }
  const client: MqttClient = mqtt.connect(url, { ...options, clientId, reconnectPeriod: 2000, connectTimeout: 5000 });
  let down = false;
  let stopping = false;
  client.on('connect', () => {
    if (down) log.info({ url: shown }, 'MQTT broker reachable again');
    down = false;
  });
  client.on('close', () => {
    if (!down && !stopping) log.warn({ url: shown }, 'MQTT broker connection lost; reconnecting');
    down = true;
  });
  client.on('error', () => { /* reported through 'close' once per outage */ });
  return {
    health: () => (client.connected ? { ok: true, detail: `connected to ${shown}` } : { ok: false, detail: `not connected to ${shown}` }),
    stop: () => {
      stopping = true;
      return client.endAsync(true);
    },
  };
}
