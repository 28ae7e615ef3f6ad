import { describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';

describe('test peers started by the global setup', () => {
  it('InfluxDB 1.x answers /ping', async () => {
    const res = await fetch(`${inject('influxUrl')}/ping`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version')).toMatch(/^1\./);
  });

  it('Mosquitto accepts an MQTT client', async () => {
    const client = await mqtt.connectAsync(inject('mosquittoUrl'), { reconnectPeriod: 0 });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});
