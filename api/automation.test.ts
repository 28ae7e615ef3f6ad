/**
 * The automation routes over HTTP on the real API, in front of a real automation chain (automation/testing/rig.ts:
 * aedes, gateway, BACnet simulators): schedules, an override written at priority 8 and cleared, a one-off command
 * the gateway refuses, the history, demand limits; managers only; every answer checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from '../automation/testing/rig.ts';
import { memoryStorage } from './testing/memory-storage.ts';
import { testKeys } from './testing/fixture.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { startApi } from './server.ts';

const at = (local: string) => Date.parse(`${local}+08:00`);
const keys = testKeys();
const FILE = {
  version: 1,
  schedules: [{
    id: 'b1-office', name: '1号楼办公时间', building: 'centre-b1', zone: '1-5层',
    week: { mon: [{ from: '08:00', to: '18:00' }], tue: [{ from: '08:00', to: '18:00' }], wed: [{ from: '08:00', to: '18:00' }] },
    targets: [{ device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', occupied: 17, unoccupied: 'release' }],
  }],
  demand_limits: [{
    id: 'b1-demand', name: '1号楼最大需量控制', building: 'centre-b1', meter: 'centre-b1-main', contracted_max_kw: 700,
    loads: [{ device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_setpoint_c', shed: 10, expected_kw: 40 }],
  }],
};

let rig: Rig;
let base = '';
let stopApi: (() => Promise<void>) | undefined;
beforeAll(async () => {
  rig = await startRig(FILE, at('2025-07-16T10:00'));
  rig.automation.observe({ device: 'centre-b1-main', ts: at('2025-07-16T09:59'), points: { power_kw: { value: 500, quality: 'good' } } });
  await rig.automation.tick();
  const api = await startApi({ site: rig.site, storage: memoryStorage(), port: 0, security: keys.security, automation: rig.automation, now: () => rig.clock.ms });
  base = `http://127.0.0.1:${api.port}/api/v1`;
  stopApi = api.stop;
}, 60_000);
afterAll(async () => {
  await stopApi?.();
  await rig?.stop();
});

async function call(path: string, method = 'GET', body?: unknown, role: 'manager' | 'technician' | 'admin' = 'manager') {
  const res = await fetch(`${base}${path}`, { method, headers: { ...keys.headers(role), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() as unknown };
}

describe('/api/v1/automation', () => {
  it('lists schedules with their programme of the day, for managers only', async () => {
    const r = await call('/automation/schedules');
    expect(r.status).toBe(200);
    assertMatchesOpenApi('GET', '/api/v1/automation/schedules', 200, r.body);
    expect(r.body).toMatchObject({ dry_run: false, schedules: [{ id: 'b1-office', zone: '1-5层', occupied: true, today: { date: '2025-07-16', kind: 'wed', calendar_known: true } }] });
    expect((await call('/automation/schedules', 'GET', undefined, 'technician')).status).toBe(403);
  });

  it('writes an override at priority 8, lists it, clears it', async () => {
    const created = await call('/automation/overrides', 'POST', { device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', value: 19, comment: '会议' });
    expect(created.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/automation/overrides', 201, created.body);
    expect(created.body).toMatchObject({ value: 19, until: null, by: 'test manager (' + (created.body as { by: string }).by.split('(')[1], comment: '会议' });
    const pa = await rig.priorityArray('centre-b1-ahu-1', 2, 1);
    expect([pa[7], pa[11]]).toEqual([19, 17]);
    const listed = await call('/automation/overrides');
    assertMatchesOpenApi('GET', '/api/v1/automation/overrides', 200, listed.body);
    expect(listed.body).toHaveLength(1);
    const id = (created.body as { id: number }).id;
    const cleared = await call(`/automation/overrides/${id}`, 'DELETE');
    expect(cleared).toEqual({ status: 200, body: { id, cleared: true } });
    expect((await call(`/automation/overrides/${id}`, 'DELETE')).status).toBe(404);
    expect((await rig.priorityArray('centre-b1-ahu-1', 2, 1))[7]).toBeNull();
    const bad = await call('/automation/overrides', 'POST', { device: 'centre-b1-ahu-1', point: 'supply_air_temp_setpoint_c', value: 40 });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/outside the limits/);
  });

  it('refuses an override of a point the automation file does not command, without the server\'s file path', async () => {
    const res = await call('/automation/overrides', 'POST', { device: 'centre-b1-ahu-1', point: 'fan_speed_pct', value: 50 });
    expect(res.status).toBe(400);
    const message = (res.body as { error: { message: string } }).error.message;
    expect(message).toMatch(/is not a commanded point of the automation file/);
    expect(message).not.toMatch(/\(\(automation\)\)|\.ya?ml/); // the file's name or path is the server's business
  });

  it("sends a command and answers with the device's result; lists the history", async () => {
    const refused = await call('/automation/commands', 'POST', { device: 'centre-b1-chiller-plant', point: 'chw_supply_temp_c', value: 8 });
    expect(refused.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/automation/commands', 201, refused.body);
    expect(refused.body).toMatchObject({ outcome: 'refused', priority: 8, layer: 'manual' });
    const history = await call('/automation/commands?limit=10');
    assertMatchesOpenApi('GET', '/api/v1/automation/commands', 200, history.body);
    const origins = (history.body as { origin: string }[]).map((c) => c.origin.split(':')[0]);
    expect(origins).toContain('schedule');
    expect(origins).toContain('override');
    expect((await call('/automation/commands', 'POST', { device: 'x', point: 'y_c', value: 1, priority: 17 })).status).toBe(400);
  });

  it('shows demand limits with their state and effect', async () => {
    const r = await call('/automation/demand');
    expect(r.status).toBe(200);
    assertMatchesOpenApi('GET', '/api/v1/automation/demand', 200, r.body);
    expect(r.body).toMatchObject([{ id: 'b1-demand', limit_kw: 665, active: true, period: 'peak', shed: [] }]);
  });
});
