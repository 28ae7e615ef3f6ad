/**
 * The alert routes over HTTP on the real API (issue 14): firing alerts and the history with filters, acknowledgement
 * with who and a comment, silences; every answer checked against the OpenAPI document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../alerts/store.ts';
import { memoryStorage } from './testing/memory-storage.ts';
import { fixtureSite, testKeys } from './testing/fixture.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { startApi } from './server.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0); // 10:00 in Shanghai
const keys = testKeys();
const dir = mkdtempSync(join(tmpdir(), 'jieneng-api-alerts-'));
const store = new AlertStore(dir);
let base = '';
let baseOff = '';
const stops: (() => Promise<void>)[] = [];

function transition(key: string, device: string, building: string, severity: 'critical' | 'minor', t: 'firing' | 'resolved', at_ms: number) {
  store.recordTransition(
    { key, rule: key.split('|')[0], device, point: 'power_kw', state: t === 'firing' ? 'firing' : 'normal', since_ms: at_ms, breached: t === 'firing', onsets: [] },
    { key, rule: key.split('|')[0], device, building, point: 'power_kw', severity, transition: t, at_ms, value: 5, message: `【${t}】${device}` },
    [], at_ms,
  );
}

beforeAll(async () => {
  transition('hot|m1|power_kw', 'm1', 'b1', 'critical', 'firing', T0);
  transition('warm|m3|power_kw', 'm3', 'b2', 'minor', 'firing', T0 + 60_000);
  transition('warm|m3|power_kw', 'm3', 'b2', 'minor', 'resolved', T0 + 120_000);
  const api = await startApi({ site: fixtureSite(), storage: memoryStorage(), port: 0, security: keys.security, alerts: store, now: () => T0 + 180_000 });
  const off = await startApi({ site: fixtureSite(), storage: memoryStorage(), port: 0, security: keys.security });
  base = `http://127.0.0.1:${api.port}/api/v1`;
  baseOff = `http://127.0.0.1:${off.port}/api/v1`;
  stops.push(api.stop, off.stop);
});
afterAll(async () => {
  for (const s of stops) await s();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(url: string, method = 'GET', body?: unknown, role: 'technician' | 'viewer' = 'technician') {
  const res = await fetch(url, { method, headers: { ...keys.headers(role), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() as unknown };
}

describe('GET /api/v1/alerts, acknowledgement and silences', () => {
  it('lists what fires now, and the history with filters', async () => {
    const firing = await call(`${base}/alerts`);
    expect(firing.status).toBe(200);
    assertMatchesOpenApi('GET', '/api/v1/alerts', 200, firing.body);
    expect(firing.body).toEqual([expect.objectContaining({ rule: 'hot', device: 'm1', building: 'b1', state: 'firing', at: '2026-01-05T10:00:00+08:00', ack: null })]);
    const history = await call(`${base}/alerts?state=all&building=b2`);
    expect((history.body as { state: string }[]).map((a) => a.state)).toEqual(['resolved', 'firing']);
    const minor = await call(`${base}/alerts?state=all&severity=minor&from=2026-01-05T10:01:30%2B08:00`);
    expect((minor.body as { state: string }[]).map((a) => a.state)).toEqual(['resolved']);
    expect((await call(`${base}/alerts?severity=urgent`)).status).toBe(400);
    expect((await call(`${base}/alerts?building=nowhere`)).status).toBe(400);
  });

  it('acknowledges a firing alert with who and a comment; the first acknowledgement stays', async () => {
    const [alert] = (await call(`${base}/alerts`)).body as { id: number }[];
    const acked = await call(`${base}/alerts/${alert.id}/ack`, 'POST', { comment: '已派人去机房' });
    expect(acked.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/alerts/{id}/ack', 201, acked.body);
    expect(acked.body).toMatchObject({ ack: { by: expect.stringMatching(/^test technician \([0-9a-f]{16}\)$/), comment: '已派人去机房', at: '2026-01-05T10:03:00+08:00' } });
    const again = await call(`${base}/alerts/${alert.id}/ack`, 'POST', { comment: '第二次' });
    expect((again.body as { ack: { comment: string } }).ack.comment).toBe('已派人去机房');
    expect((await call(`${base}/alerts/999/ack`, 'POST', {})).status).toBe(404);
    expect((await call(`${base}/alerts/${alert.id}/ack`, 'POST', { comment: 'x' }, 'viewer')).status).toBe(403);
  });

  it('creates, lists and ends silences', async () => {
    const created = await call(`${base}/silences`, 'POST', { ends: '2026-01-05T12:00', building: 'b1', comment: '配电室检修' });
    expect(created.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/silences', 201, created.body);
    expect(created.body).toMatchObject({ starts: '2026-01-05T10:03:00+08:00', ends: '2026-01-05T12:00:00+08:00', building: 'b1', comment: '配电室检修' });
    expect(store.silenceFor({ rule: 'hot', device: 'm1', building: 'b1', at_ms: T0 + 3_600_000 })).toBeDefined();
    const list = await call(`${base}/silences`);
    assertMatchesOpenApi('GET', '/api/v1/silences', 200, list.body);
    expect(list.body).toHaveLength(1);
    expect((await call(`${base}/silences`, 'POST', { ends: '2026-01-05T09:00', comment: 'x' })).status).toBe(400);
    expect((await call(`${base}/silences`, 'POST', { ends: '2026-01-05T12:00' })).status).toBe(400);
    const id = (created.body as { id: number }).id;
    expect((await call(`${base}/silences/${id}`, 'DELETE')).status).toBe(200);
    expect((await call(`${base}/silences/${id}`, 'DELETE')).status).toBe(404);
  });

  it("relays Grafana's webhook payload: a new firing alert once, its repeats not, its resolution once", async () => {
    const payload = (status: string) => ({
      receiver: 'jieneng', status, alerts: [{
        status, labels: { alertname: '夜间基础负荷', severity: 'minor', building: 'b1' },
        annotations: { summary: '一号楼夜间功率 35 kW' }, fingerprint: 'c6eadffa33fcdf37', values: { B: 35.2 },
      }],
    });
    const first = await call(`${base}/alerts/grafana?notify=ops`, 'POST', payload('firing'));
    expect(first.status).toBe(201);
    assertMatchesOpenApi('POST', '/api/v1/alerts/grafana', 201, first.body);
    expect(first.body).toEqual({ recorded: 1, unchanged: 0 });
    expect((await call(`${base}/alerts/grafana?notify=ops`, 'POST', payload('firing'))).body).toEqual({ recorded: 0, unchanged: 1 });
    expect((await call(`${base}/alerts/grafana?notify=ops`, 'POST', payload('resolved'))).body).toEqual({ recorded: 1, unchanged: 0 });
    const relayed = store.events().filter((e) => e.key === 'grafana|c6eadffa33fcdf37');
    expect(relayed.map((e) => [e.transition, e.severity, e.building, e.value, e.message])).toEqual([
      ['resolved', 'minor', 'b1', 35.2, '【次要恢复】一号楼夜间功率 35 kW — 夜间基础负荷（Grafana）'],
      ['firing', 'minor', 'b1', 35.2, '【次要告警】一号楼夜间功率 35 kW — 夜间基础负荷（Grafana）'],
    ]);
    expect(store.dueNotifications(Date.now() + 1e12).filter((n) => n.event.key === 'grafana|c6eadffa33fcdf37').map((n) => n.channel)).toEqual(['ops', 'ops']);
    expect((await call(`${base}/alerts/grafana?notify=ops`, 'POST', { hello: 1 })).status).toBe(400);
  });

  it('answers 503 when alerting is not configured', async () => {
    const res = await call(`${baseOff}/alerts`);
    expect(res.status).toBe(503);
    assertMatchesOpenApi('GET', '/api/v1/alerts', 503, res.body);
  });
});
