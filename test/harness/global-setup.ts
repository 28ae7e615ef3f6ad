/**
 * Starts one real InfluxDB 1.x and one real Mosquitto for the whole test run and hands their URLs to tests
 * through `inject('influxUrl')` / `inject('mosquittoUrl')`. Tests make their own databases and topics, so they
 * can share these servers; tests that stop a server start their own with the same helpers.
 */
import type { TestProject } from 'vitest/node';
import { startInfluxd, type InfluxServer } from './influxd.ts';
import { startMosquitto, type MosquittoServer } from './mosquitto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string;
    mosquittoUrl: string;
  }
}

let influx: InfluxServer | undefined;
let mosquitto: MosquittoServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  [influx, mosquitto] = await Promise.all([startInfluxd(), startMosquitto()]);
  project.provide('influxUrl', influx.url);
  project.provide('mosquittoUrl', mosquitto.url);
}

export async function teardown(): Promise<void> {
  await Promise.all([influx?.destroy(), mosquitto?.destroy()]);
}
