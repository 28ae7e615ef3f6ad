/**
 * Device states and alerts for the technicians' board, fed through the real path (decision 0409): an in-process
 * aedes broker, the collector (which stores status transitions) and the alerts runtime (a device-state rule,
 * whose transitions it copies to storage), with the gateways' retained statuses published at chosen times of the
 * test's fixed clock. Everything started here is stopped before it returns.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../app/broker.ts';
import { checkAlertRules } from '../../alerts/rules/load.ts';
import { startAlerts } from '../../alerts/runtime.ts';
import { AlertStore } from '../../alerts/store.ts';
import { startCollector } from '../../collector/runtime.ts';
import { topics, type DeviceState, type DeviceStatus, type GatewayStatus } from '../../core/contract/v1.ts';
import { MEASUREMENT } from '../../core/measurements.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import type { Storage } from '../../storage/port.ts';
import { waitFor } from './ports.ts';

const HOUR = 3_600_000;

/** What was fed: the devices by the state they end in, and the alert texts. */
export interface FedStates {
  degraded: string;
  offline: string;
  /** offline for an hour, then back */
  recovered: string;
}

/**
 * Every gateway and device online 20 h before `now`; then one device degraded (−6 h), one offline from −5 h to
 * −4 h (an alert fired and resolved), one offline from −3 h (an alert fired, acknowledged at −2 h, still firing).
 */
export async function feedStatesAndAlerts(site: SiteModel, storage: Storage, now: number, dir: string): Promise<FedStates> {
  const meters = site.devices.filter((d) => d.kind === 'meter').map((d) => d.id);
  const fed: FedStates = { degraded: meters[1], recovered: meters[2], offline: meters[3] };
  let clock = now - 20 * HOUR;
  const broker = await startEmbeddedBroker(0);
  const config = checkAlertRules({ version: 1, rules: [{ id: 'device-offline', kind: 'device_state', name: '设备离线', severity: 'critical', states: ['offline'], keep_firing_for: '0s' }] }, site);
  const alerts = startAlerts({ site, config, dataDir: join(dir, 'alerts'), mqttUrl: broker.url, storage, now: () => clock, tickMs: 100, boardEveryMs: 100 });
  const collector = await startCollector({ site, mqttUrl: broker.url, storage, dataDir: join(dir, 'collector'), clientId: 'boards-states', ingest: { now: () => now } });
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'boards-gateways' });
  const rows = async (measurement: string) => (await storage.raw({ measurement, from: now - 24 * HOUR, to: now + 1 })).length;
  const device = async (id: string, state: DeviceState, error?: string) => {
    const gateway = site.devices.find((d) => d.id === id)!.gateway;
    const status: DeviceStatus = { v: 1, online: state !== 'offline', state, ts: clock, ...(error ? { error } : {}) };
    await pub.publishAsync(topics.deviceStatus(site.site.id, gateway, id), JSON.stringify(status), { qos: 1, retain: true });
  };
  try {
    for (const g of site.gateways) {
      const status: GatewayStatus = { v: 1, online: true, ts: clock, queued: 0, heartbeat_s: 60 };
      await pub.publishAsync(topics.gatewayStatus(site.site.id, g.id), JSON.stringify(status), { qos: 1, retain: true });
    }
    for (const d of site.devices) await device(d.id, 'online');
    await waitFor('every device online', async () => (await rows(MEASUREMENT.deviceStatus)) === site.devices.length, 15_000);
    const step = async (at: number, id: string, state: DeviceState, error: string | undefined, alertRows: number) => {
      clock = now + at * HOUR;
      await device(id, state, error);
      await waitFor(`${id} ${state}`, async () => (await rows(MEASUREMENT.alertEvent)) === alertRows, 15_000);
    };
    await step(-6, fed.degraded, 'degraded', 'every point bad (wrong template?)', 0);
    await step(-5, fed.recovered, 'offline', 'no answer (timeout)', 1);
    await step(-4, fed.recovered, 'online', undefined, 2);
    await step(-3, fed.offline, 'offline', 'no answer (timeout)', 3);
    // acknowledged through the alerts' file, as the API does from its own process
    const api = new AlertStore(join(dir, 'alerts', 'alerts'));
    api.acknowledge(api.firingNow()[0].id, 'tech-wang', '已派人检查', now - 2 * HOUR);
    api.close();
    await waitFor('the acknowledgement', async () => (await rows(MEASUREMENT.alertEvent)) === 4, 15_000);
    await waitFor('the gateways online', async () => (await rows(MEASUREMENT.gatewayStatus)) === site.gateways.length, 15_000);
    return fed;
  } finally {
    await pub.endAsync();
    await collector.stop();
    await alerts.stop();
    await broker.stop();
  }
}
