/**
 * Who may publish and subscribe to what on a site's broker (issue 13), derived from the site model: one account
 * per gateway, publishing only under its own `jieneng/v1/<site>/<gateway>/…` topics and subscribing only to its
 * command and write topics (plus its MQTT-native controllers' topics on the same broker); the collector, reading
 * readings, statuses and command results and publishing dead letters, resend commands and its own will; the API,
 * reading statuses; the automation service (docs/automation.md), reading readings, statuses and command results and
 * the only one publishing device writes (`…/command/write`, decision 0311) to every gateway of the site; a read-only monitor; one account per MQTT-native controller publishing to the site broker.
 * Everything else is denied. The embedded broker (app/broker-auth.ts) enforces these rules and the Mosquitto ACL
 * file (app/mqtt-credentials.ts) is rendered from them, so both brokers say the same thing.
 */
import { TOPIC_ROOT, topics } from '../contract/v1.ts';
import type { SiteModel } from '../site/schema.ts';

/** What an account is for. */
export type AccountRole = 'gateway' | 'collector' | 'api' | 'automation' | 'monitor' | 'device';

/** One broker account and its topic filters (MQTT wildcards + and #). */
export interface MqttAccount {
  username: string;
  role: AccountRole;
  /** the gateway it speaks for (role gateway) */
  gateway?: string;
  publish: string[];
  subscribe: string[];
}

/** The account name of a gateway. */
export const gatewayUsername = (gateway: string): string => `gateway-${gateway}`;

/** Every account of the site, in a stable order. */
export function siteAccounts(site: SiteModel): MqttAccount[] {
  const s = site.site.id;
  const root = `${TOPIC_ROOT}/${s}`;
  const sameBrokerMqttDevices = site.devices.filter((d) => d.address.protocol === 'mqtt' && !d.address.broker_url && d.enabled !== false);
  const deviceTopic = (d: (typeof sameBrokerMqttDevices)[number]): string => (d.address.protocol === 'mqtt' ? d.address.topic : '');
  const accounts: MqttAccount[] = site.gateways.map((g) => ({
    username: gatewayUsername(g.id),
    role: 'gateway' as const,
    gateway: g.id,
    publish: [
      topics.readings(s, g.id), topics.gatewayStatus(s, g.id), topics.deviceStatus(s, g.id, '+'), topics.commandResult(s, g.id),
      // commands to its MQTT-native controllers (docs/automation.md)
      ...sameBrokerMqttDevices.filter((d) => d.gateway === g.id).map((d) => `${deviceTopic(d)}/set`),
    ],
    subscribe: [topics.command(s, g.id), topics.commandWrite(s, g.id), ...sameBrokerMqttDevices.filter((d) => d.gateway === g.id).map(deviceTopic)],
  }));
  accounts.push(
    {
      username: 'collector', role: 'collector',
      // the plain command topic (resends) only, never command/write: the collector cannot write set-points (0311)
      publish: [topics.deadLetter(s), topics.command(s, '+'), topics.allCollectorsLost(s)],
      subscribe: [topics.allReadings(s), ...topics.allStatus(s), topics.allCommandResults(s), topics.allCollectorsLost(s)],
    },
    { username: 'api', role: 'api', publish: [], subscribe: topics.allStatus(s) },
    {
      username: 'automation', role: 'automation',
      // writes only (decision 0311): resends are the collector's business
      publish: [topics.commandWrite(s, '+')],
      subscribe: [topics.allReadings(s), ...topics.allStatus(s), topics.allCommandResults(s)],
    },
    { username: 'monitor', role: 'monitor', publish: [], subscribe: [`${root}/#`] },
    ...sameBrokerMqttDevices.map((d) => ({ username: `device-${d.id}`, role: 'device' as const, publish: [deviceTopic(d)], subscribe: [`${deviceTopic(d)}/set`] })),
  );
  return accounts;
}

/** Does a topic name match a filter (MQTT 3.1.1 §4.7)? Topics starting with $ match only filters that name them. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is every topic a subscription filter can match also matched by `allowed`? */
export function filterWithin(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] === '+' || a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

/** A subscription filter without its shared-subscription prefix (`$share/<group>/`, MQTT 5 §4.8.2). */
export function unshared(filter: string): string {
  const m = /^\$share\/[^/]+\/(.+)$/.exec(filter);
  return m ? m[1] : filter;
}

/** May this account publish on the topic? */
export function mayPublish(account: MqttAccount, topic: string): boolean {
  return account.publish.some((f) => topicMatches(f, topic));
}

/** May this account subscribe to the filter (shared or not)? */
export function maySubscribe(account: MqttAccount, filter: string): boolean {
  const plain = unshared(filter);
  return account.subscribe.some((f) => filterWithin(f, plain));
}
