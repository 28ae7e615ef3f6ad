/**
 * An MQTT-native VRF outdoor unit: publishes the vendor JSON documented in
 * core/devices/templates/hvac-vrf-mqtt.yaml every interval, from the VRF physics model, and takes commands on the
 * topic + `/set` (`{ "setTemp": 27 }`), reporting at once after one. Fault injection: offline (stops publishing,
 * ignores commands), malformed (publishes text that is not JSON).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { VrfOutdoorUnit, type HvacOptions } from '../physics/hvac.ts';

/** Where and how often the unit publishes. */
export interface MqttVrfSimOptions {
  brokerUrl: string;
  /** credentials and TLS material for the broker */
  mqttOptions?: IClientOptions;
  topic: string;
  /** serial number in the payload */
  serial?: string;
  intervalMs?: number;
  /** physics options (weather seed, rated capacity …) */
  physics?: Partial<HvacOptions> & { ratedCapacityKw?: number; indoorUnits?: number };
  /** a ready model instead (shared with the building's sub-meter) */
  model?: VrfOutdoorUnit;
  now?: () => number;
}

/** A running simulated VRF unit. */
export interface MqttVrfSimulator {
  readonly model: VrfOutdoorUnit;
  readonly faults: { offline: boolean; malformed: boolean };
  /** messages published so far */
  published(): number;
  /** publish one message now (tests) */
  publishNow(): Promise<void>;
  stop(): Promise<void>;
}

/** The vendor payload at an instant. */
export function vrfPayload(model: VrfOutdoorUnit, nowMs: number, serial: string): Record<string, unknown> {
  const v = model.read(nowMs);
  const modes = ['off', 'cool', 'heat'];
  const sp = v.indoor_temp_setpoint_c;
  const on = v.unit_on === 1;
  // Room 1 sits near its set-point while the unit runs, drifts towards outdoor air when it does not.
  const room = on ? sp + (v.operating_mode === 2 ? -0.6 : 0.8) : (sp + v.outdoor_air_temp_c) / 2;
  return {
    sn: serial,
    ts: nowMs,
    odu: {
      running: on,
      mode: modes[v.operating_mode] ?? 'off',
      outdoorTemp: v.outdoor_air_temp_c,
      power: Math.round(v.power_kw * 1000), // W, as the vendor sends it
      energy: v.energy_kwh,
      capacity: v.capacity_pct,
      compFreq: v.compressor_hz,
      iduOn: v.indoor_units_on_count,
    },
    idu: [{ addr: 1, on, setTemp: sp, roomTemp: Math.round(room * 10) / 10 }],
  };
}

/** Start publishing; the client connects (and reconnects) in the background, so a broker started later is fine. */
export async function startMqttVrfSimulator(opts: MqttVrfSimOptions): Promise<MqttVrfSimulator> {
  const serial = opts.serial ?? 'VRF-ODU-0001';
  const now = opts.now ?? Date.now;
  const model = opts.model ?? new VrfOutdoorUnit({ id: serial, ...opts.physics });
  const faults = { offline: false, malformed: false };
  let count = 0;
  const client: MqttClient = mqtt.connect(opts.brokerUrl, { ...opts.mqttOptions, clientId: `sim-vrf-${serial}-${process.pid}`.slice(0, 64), reconnectPeriod: 1000 });
  client.on('error', () => undefined); // reconnects; a broker that is not up yet is not an error here
  const publishNow = async () => {
    if (faults.offline || !client.connected) return;
    const text = faults.malformed ? '{"odu": {"power": 54' : JSON.stringify(vrfPayload(model, now(), serial));
    await client.publishAsync(opts.topic, text, { qos: 1 });
    count++;
  };
  const timer = setInterval(() => void publishNow().catch(() => undefined), opts.intervalMs ?? 30_000);
  timer.unref();
  client.on('connect', () => {
    void publishNow().catch(() => undefined);
    client.subscribe(`${opts.topic}/set`, { qos: 1 });
  });
  client.on('message', (_topic, payload) => {
    if (faults.offline) return;
    let cmd: { setTemp?: unknown };
    try { cmd = JSON.parse(payload.toString()) as { setTemp?: unknown }; } catch { return; }
    if (typeof cmd?.setTemp === 'number') model.setSetpoint('indoor_temp_setpoint_c', cmd.setTemp);
    void publishNow().catch(() => undefined); // a vendor controller reports its new state at once
  });
  return {
    model,
    faults,
    published: () => count,
    publishNow,
    async stop() {
      clearInterval(timer);
      await client.endAsync(true);
    },
  };
}
