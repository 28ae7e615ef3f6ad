/**
 * The embedded broker's authentication and authorisation (issue 13): passwords checked against a Mosquitto
 * password file (core/mqtt/password-file.ts), topics against the site's accounts (core/mqtt/access.ts), the same
 * rules the Mosquitto ACL file states. Anonymous clients are refused; a client id held by another account's
 * connection cannot be taken over; a refused publish closes the client's connection (aedes, MQTT 3.1.1 §3.3.5
 * has no negative acknowledgement) and is counted. A gateway publishing readings on another gateway's topic is
 * an impersonation: besides the refusal, the broker — the only one that knows who published — puts a dead letter
 * (reason `impersonation`) on the site's dead-letter topic, where the collector's rejections go.
 */
import type { Aedes, AedesOptions, AuthenticateError, Client } from 'aedes';
import { Counter, register } from 'prom-client';
import { parseReadingsTopic, topics, type DeadLetter } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import { mayPublish, maySubscribe, type MqttAccount } from '../core/mqtt/access.ts';
import { verifyPassword } from '../core/mqtt/password-file.ts';

/** Counters of what the broker refused, by action and account (`-` for a client without a known account). */
export const refusedTotal: Counter<'action' | 'username'> = (register.getSingleMetric('jieneng_mqtt_refused_total') as Counter<'action' | 'username'> | undefined)
  ?? new Counter({
    name: 'jieneng_mqtt_refused_total',
    help: 'MQTT connections, publishes and subscriptions the embedded broker refused, by account',
    labelNames: ['action', 'username'],
  });

/** What the hooks need: the site, its accounts and their password hashes (name → `$7$…`). */
export interface BrokerAuthOptions {
  site: string;
  accounts: MqttAccount[];
  passwordHashes: Map<string, string>;
  log: Logger;
}

/** The aedes hooks, and `attach` to give them the broker (for takeover checks and impersonation dead letters). */
export function brokerAuth(opts: BrokerAuthOptions): Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>> & { attach(broker: Aedes): void } {
  const byName = new Map(opts.accounts.map((a) => [a.username, a]));
  const accountOf = new WeakMap<Client, MqttAccount>();
  /** connected clients by client id, with their account */
  const holders = new Map<string, { client: Client; account: MqttAccount }>();
  let broker: Aedes | undefined;
  const refuse = (action: string, username: string | undefined, detail: Record<string, unknown>) => {
    refusedTotal.inc({ action, username: username ?? '-' });
    opts.log.warn({ action, username: username ?? null, ...detail }, 'MQTT request refused');
  };
  const authError = (code: 4 | 5, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode: code });

  return {
    attach(b) {
      broker = b;
      b.on('clientDisconnect', (client) => {
        if (holders.get(client.id)?.client === client) holders.delete(client.id);
      });
    },
    authenticate(client, username, password, done) {
      const account = username !== undefined ? byName.get(username) : undefined;
      const hash = username !== undefined ? opts.passwordHashes.get(username) : undefined;
      if (!account || !hash || !password || !verifyPassword(password.toString('utf8'), hash)) {
        refuse('connect', username, { client_id: client.id, why: username === undefined ? 'anonymous' : 'bad user name or password' });
        done(authError(username === undefined ? 5 : 4, 'not authorised'), false);
        return;
      }
      // a connection of another account holding this client id keeps it (no session takeover, issue 13)
      const holder = holders.get(client.id);
      if (holder && holder.client !== client && holder.account.username !== account.username) {
        refuse('connect', username, { client_id: client.id, why: `client id in use by ${holder.account.username}` });
        done(authError(5, 'client id in use'), false);
        return;
      }
      accountOf.set(client, account);
      holders.set(client.id, { client, account });
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const account = client ? accountOf.get(client) : undefined;
      if (account && mayPublish(account, packet.topic)) {
        done(null);
        return;
      }
      refuse('publish', account?.username, { client_id: client?.id ?? null, topic: packet.topic });
      const claimed = parseReadingsTopic(packet.topic);
      if (account?.role === 'gateway' && claimed && claimed.site === opts.site && broker) {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
        const dl: DeadLetter = {
          v: 1, reason: 'impersonation', topic: packet.topic, ts: Date.now(),
          detail: `gateway account ${account.username} published on gateway ${claimed.gateway}'s readings topic`,
          payload: payload.slice(0, 64 * 1024),
        };
        broker.publish({ cmd: 'publish', topic: topics.deadLetter(opts.site), payload: Buffer.from(JSON.stringify(dl)), qos: 1, retain: false, dup: false }, () => undefined);
      }
      done(new Error(`not authorised to publish on ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, done) {
      const account = accountOf.get(client);
      if (account && maySubscribe(account, sub.topic)) {
        done(null, sub);
        return;
      }
      refuse('subscribe', account?.username, { client_id: client.id, topic: sub.topic });
      // a negated subscription: SUBACK 0x80 for this filter, the others granted (aedes docs, MQTT 3.1.1 §3.9.3)
      done(null, null);
    },
  };
}
