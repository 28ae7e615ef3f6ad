/**
 * The embedded MQTT broker of the single-process mode (DESIGN D2): aedes, listening on a loopback TCP port so
 * that any MQTT client (mosquitto_sub, MQTT Explorer) can watch the traffic. Production uses Mosquitto or EMQX.
 * aedes has no shared subscriptions (its issue #228), so this mode runs exactly one collector.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { StartupError } from '../core/errors.ts';
import { brokerAuth, type BrokerAuthOptions } from './broker-auth.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  connectedClients(): number;
  stop(): Promise<void>;
}

/** Options of the embedded broker. */
export interface EmbeddedBrokerOptions {
  /** a PUBLISH whose payload is larger is acknowledged and dropped, forwarded to nobody; default 1 MiB */
  maxMessageBytes?: number;
  /** the site's accounts: every client needs one and may do only what it allows (app/broker-auth.ts); unset: anyone on the interface may do anything */
  auth?: BrokerAuthOptions;
}

/** The embedded broker's message size limit by default: the collector's, and the shipped Mosquitto config's. */
export const BROKER_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Start aedes on host:port (port 0 picks a free one). Throws StartupError when the port is taken. */
export async function startEmbeddedBroker(port: number, host = '127.0.0.1', opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const limit = opts.maxMessageBytes ?? BROKER_MAX_MESSAGE_BYTES;
  const hooks = opts.auth ? brokerAuth(opts.auth) : undefined;
  const aedes = await Aedes.createBroker({
    // As Mosquitto's `message_size_limit` (config/mosquitto/mosquitto.conf): an oversize message completes its QoS
    // flow but reaches no subscriber, so one huge message can neither freeze the collector nor stall its sender
    // (issue 12, defect 2). aedes has no size option; forwarding nothing clears it from stored sessions too.
    authorizePublish: (client, packet, done) => {
      if (packet.topic.startsWith('$SYS/')) return done(new Error('$SYS/ topic is reserved')); // aedes' default check
      if (packet.payload.length > limit) packet.retain = false;
      if (hooks) return hooks.authorizePublish(client, packet, done);
      done(null);
    },
    authorizeForward: (_client, packet) => (packet.payload.length > limit ? null : packet),
    ...(hooks ? { authenticate: hooks.authenticate, authorizeSubscribe: hooks.authorizeSubscribe } : {}),
  });
  hooks?.attach(aedes);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new StartupError(
      err.code === 'EADDRINUSE'
        ? `embedded MQTT broker: port ${host}:${port} is already in use — stop the other broker, set MQTT_PORT to a free port, or set MQTT_URL to use it`
        : `embedded MQTT broker on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    connectedClients: () => aedes.connectedClients,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
