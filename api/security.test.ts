/**
 * Issue #13 over HTTP against the real API on the embedded store: every route against every role (allowed and
 * denied, from the one access table), 401 for a missing, unknown, revoked or expired key, building-limited keys,
 * the audit log of each write, the route walk that fails on a route without a rule, hostile input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, startApi } from './server.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { openApiDocument } from './openapi.ts';
import { dayOfRollups, fixtureSite, testKeys, withBuildingRollups } from './testing/fixture.ts';
import { storageBackends } from './testing/backends.ts';
import { ACCESS } from './security/access.ts';
import { assertEveryRouteHasRule, routeKeys } from './security/enforce.ts';
import { ROLES, roleAtLeast, type Role } from './security/roles.ts';
import { openSecurityStore } from './security/store.ts';
import { storeOnlyAutomation } from './testing/automation-port.ts';
import { AlertStore } from '../alerts/store.ts';
import { EntryStore } from './returns/entry-store.ts';
import { putRule } from '../alerts/rules/edit.ts';
import type { Storage } from '../storage/port.ts';

/** One request per access rule, with parameters the route accepts. A new route needs its line here. */
const SAMPLES: Record<string, string> = {
  'GET /api/v1/openapi.json': '/api/v1/openapi.json',
  'GET /api/v1/health': '/api/v1/health',
  'GET /api/v1/buildings': '/api/v1/buildings',
  'GET /api/v1/buildings/:id/energy': '/api/v1/buildings/b1/energy?from=2025-03-01&to=2025-03-02',
  'GET /api/v1/buildings/:id/breakdown': '/api/v1/buildings/b1/breakdown?from=2025-03-01&to=2025-03-02',
  'GET /api/v1/buildings/:id/cost': '/api/v1/buildings/b1/cost?from=2025-03-01&to=2025-03-02',
  'GET /api/v1/kpi/comprehensive-energy': '/api/v1/kpi/comprehensive-energy?scope=building&id=b1&from=2025-03-01&to=2025-04-01',
  'GET /api/v1/kpi/intensity': '/api/v1/kpi/intensity?scope=building&id=b1&from=2025-03-01&to=2025-04-01',
  'GET /api/v1/pv-systems': '/api/v1/pv-systems',
  'GET /api/v1/pv-systems/:id/performance': '/api/v1/pv-systems/pv1/performance?from=2025-06-01&to=2025-06-02',
  'GET /api/v1/devices': '/api/v1/devices',
  'GET /api/v1/devices/:id/latest': '/api/v1/devices/m1/latest',
  'GET /api/v1/gateways': '/api/v1/gateways',
  'GET /metrics': '/metrics',
  'GET /api/v1/exports/annual': '/api/v1/exports/annual?year=2025',
  'GET /api/v1/contracts': '/api/v1/contracts',
  'GET /api/v1/contracts/:id/savings': '/api/v1/contracts/c1/savings?to=2025-03-31',
  'GET /api/v1/audit': '/api/v1/audit',
  'GET /api/v1/keys': '/api/v1/keys',
  'POST /api/v1/keys': '/api/v1/keys',
  'DELETE /api/v1/keys/:id': '/api/v1/keys/{fresh key}',
  'GET /api/v1/alerts': '/api/v1/alerts?state=all',
  'POST /api/v1/alerts/:id/ack': '/api/v1/alerts/1/ack',
  'POST /api/v1/alerts/grafana': '/api/v1/alerts/grafana?notify=ops',
  'GET /api/v1/silences': '/api/v1/silences',
  'POST /api/v1/silences': '/api/v1/silences',
  'DELETE /api/v1/silences/:id': '/api/v1/silences/{fresh silence}',
  'GET /api/v1/alert-rules': '/api/v1/alert-rules',
  'PUT /api/v1/alert-rules/:id': '/api/v1/alert-rules/m1-stale',
  'DELETE /api/v1/alert-rules/:id': '/api/v1/alert-rules/{fresh rule}',
  'POST /api/v1/imports/readings': '/api/v1/imports/readings?dry_run=true',
  'GET /api/v1/exports/monthly': '/api/v1/exports/monthly?month=2025-03',
  'GET /api/v1/returns/entries': '/api/v1/returns/entries?year=2025',
  'POST /api/v1/returns/entries': '/api/v1/returns/entries',
  'POST /api/v1/returns/entries/upload': '/api/v1/returns/entries/upload?format=csv',
  'GET /api/v1/returns/entries/template': '/api/v1/returns/entries/template',
  'GET /api/v1/automation/schedules': '/api/v1/automation/schedules',
  'GET /api/v1/automation/overrides': '/api/v1/automation/overrides',
  'POST /api/v1/automation/overrides': '/api/v1/automation/overrides',
  'DELETE /api/v1/automation/overrides/:id': '/api/v1/automation/overrides/{fresh override}',
  'GET /api/v1/automation/commands': '/api/v1/automation/commands',
  'POST /api/v1/automation/commands': '/api/v1/automation/commands',
  'GET /api/v1/automation/demand': '/api/v1/automation/demand',
};
/** Bodies of the sample writes. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/keys': { role: 'viewer', name: 'sample', expires: '1d' },
  'POST /api/v1/alerts/:id/ack': { comment: '已派人处理' },
  'POST /api/v1/alerts/grafana': { alerts: [{ status: 'firing', fingerprint: 'f1', labels: { alertname: 'x' } }] },
  'POST /api/v1/silences': { ends: '2099-01-01T00:00:00+08:00', building: 'b1', comment: '检修' },
  'PUT /api/v1/alert-rules/:id': { kind: 'stale', name: '总表无数据', severity: 'major', scope: { device: ['m1'] }, after: '15m' },
  'POST /api/v1/imports/readings': 'time,device,point,value\n2025-03-01T12:00:00+08:00,met1,temp_c,12.5\n',
  'POST /api/v1/returns/entries': { kind: 'lpg', from: '2025-01-01', to: '2025-02-01', quantity: 12 },
  'POST /api/v1/automation/overrides': { device: 'm1', point: 'setpoint_c', value: 20 },
  'POST /api/v1/automation/commands': { device: 'm1', point: 'setpoint_c', value: 20 },
  // a text body goes as it is (the template's CSV)
  'POST /api/v1/returns/entries/upload': 'kind,from,to,quantity\r\nlpg,2025-02-01,2025-03-01,10\r\n',
};
/** Allowed writes answer 201, but for these (a dry run creates nothing). */
const NOT_CREATED = new Set(['POST /api/v1/imports/readings']);

describe('API security (issue 13)', () => {
  let clock = Date.now();
  const keys = testKeys({ now: () => clock });
  let storage: Storage;
  let cleanup: () => Promise<void> = async () => {};
  let base = '';
  let stop: () => Promise<void> = async () => {};
  const alertDir = mkdtempSync(join(tmpdir(), 'jieneng-api-alerts-'));
  const alerts = new AlertStore(alertDir);
  const rulesFile = join(alertDir, 'alert-rules.yaml');
  writeFileSync(rulesFile, 'version: 1\nrules:\n  - { id: m1-stale, kind: stale, name: 总表无数据, severity: major, after: 15m }\n');
  let ruleCount = 0;
  const automation = storeOnlyAutomation();
  // one firing alert to acknowledge (issue 14)
  alerts.recordTransition(
    { key: 'r|m1|power_kw', rule: 'r', device: 'm1', point: 'power_kw', state: 'firing', since_ms: clock, breached: true, onsets: [clock] },
    { key: 'r|m1|power_kw', rule: 'r', device: 'm1', building: 'b1', point: 'power_kw', severity: 'major', transition: 'firing', at_ms: clock, value: 1, message: '【重要告警】测试' },
    [], clock,
  );

  beforeAll(async () => {
    ({ storage, cleanup } = await storageBackends()[0].open());
    await storage.write(withBuildingRollups(dayOfRollups()));
    await storage.flush();
    const api = await startApi({ site: fixtureSite(), storage, port: 0, security: keys.security, alerts, entries: new EntryStore(':memory:'), alertRulesFile: rulesFile, automation });
    base = `http://127.0.0.1:${api.port}`;
    stop = api.stop;
  });
  afterAll(async () => {
    await stop();
    await cleanup();
    alerts.close();
    rmSync(alertDir, { recursive: true, force: true });
  });

  const call = (path: string, init: { method?: string; token?: string; role?: Role; body?: unknown } = {}) => fetch(base + path, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : init.role ? keys.headers(init.role) : {}),
      ...(init.body !== undefined ? { 'content-type': typeof init.body === 'string' ? 'text/csv' : 'application/json' } : {}),
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });

  it('has one rule per route express serves, and a sample request per rule', () => {
    const app = createApp({ site: fixtureSite(), storage, security: keys.security });
    expect(routeKeys(app).sort()).toEqual(Object.keys(ACCESS).sort());
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(ACCESS).sort());
    // and the OpenAPI document describes every route but itself, with the table's least role
    const doc = openApiDocument as { paths: Record<string, Record<string, { description?: string; security?: unknown[] }>> };
    for (const [key, rule] of Object.entries(ACCESS)) {
      if (key === 'GET /api/v1/openapi.json') continue;
      const [method, template] = key.split(' ');
      const operation = doc.paths[template.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(operation, key).toBeDefined();
      expect(operation?.description, key).toContain(rule.role === 'public' ? 'Open' : `role ${rule.role} or above`);
    }
    // a route added without a rule stops the API from starting
    app.get('/api/v1/forgotten', (_req, res) => { res.json({}); });
    expect(() => assertEveryRouteHasRule(app)).toThrow(/no access rule for GET \/api\/v1\/forgotten/);
  });

  it("gives each role exactly the routes of its rank, 403 below it, as JSON in the API's error shape", async () => {
    for (const [rule, path] of Object.entries(SAMPLES)) {
      const needed = ACCESS[rule].role;
      const method = rule.split(' ')[0];
      for (const role of ROLES) {
        const fresh = keys.security.keys.create({ name: 'to revoke', role: 'viewer', expires_at: null }).key.id;
        const silence = alerts.addSilence({ starts_ms: clock, ends_ms: clock + 60_000, comment: 'to end', created_by: 'test', created_ms: clock }).id;
        const ruleId = `fresh-${ruleCount++}`;
        putRule(rulesFile, fixtureSite(), { id: ruleId, kind: 'stale', name: '待删除', severity: 'info', after: '1h' });
        const override = automation.store.addOverride({ device: 'm1', point: 'setpoint_c', value: 1, until_ms: null, by: 'test', comment: '', created_ms: clock }).id;
        const res = await call(path.replace('{fresh key}', fresh).replace('{fresh silence}', String(silence)).replace('{fresh rule}', ruleId).replace('{fresh override}', String(override)), { method, role, body: BODIES[rule] });
        const allowed = needed === 'public' || roleAtLeast(role, needed);
        expect(res.status, `${role} ${rule}`).toBe(allowed ? (method === 'POST' && !NOT_CREATED.has(rule) ? 201 : 200) : 403);
        if (!allowed) {
          const body = await res.json();
          expect(body).toMatchObject({ error: { code: 'forbidden' } });
          assertMatchesOpenApi(method, rule.split(' ')[1].replace(/:(\w+)/g, '{$1}'), 403, body);
        } else await res.arrayBuffer();
      }
    }
  }, 60_000);

  it('answers 401 with a Bearer challenge without a key or with a wrong, revoked or expired one', async () => {
    const unknown = `jn_0123456789abcdef_${'A'.repeat(43)}`;
    const wrongSecret = keys.token.admin.slice(0, -4) + 'AAAA';
    const short = keys.security.keys.create({ name: 'short', role: 'admin', expires_at: clock + 60_000 }).token;
    const revoked = keys.security.keys.create({ name: 'revoked', role: 'admin', expires_at: null });
    expect((await call('/api/v1/buildings', { token: short })).status).toBe(200);
    expect((await call('/api/v1/buildings', { token: revoked.token })).status).toBe(200);
    expect(keys.security.keys.revoke(revoked.key.id)).toBe(true);
    clock += 61_000;
    for (const token of [undefined, 'not-a-key', unknown, wrongSecret, short, revoked.token]) {
      const res = await call('/api/v1/buildings', token === undefined ? {} : { token });
      expect(res.status, String(token)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="jieneng"/);
      const body = await res.json();
      expect(body).toMatchObject({ error: { code: 'unauthenticated' } });
      assertMatchesOpenApi('get', '/api/v1/buildings', 401, body);
    }
    // a wrong key is refused even where no key is needed
    expect((await call('/api/v1/health', { token: unknown })).status).toBe(401);
  });

  it('keeps /health open without details; a key sees storage and broker', async () => {
    const open = await call('/api/v1/health');
    expect(open.status).toBe(200);
    const body = await open.json();
    expect(body).toEqual({ status: 'ok' });
    assertMatchesOpenApi('get', '/api/v1/health', 200, body);
    expect(await (await call('/api/v1/health', { role: 'viewer' })).json()).toMatchObject({ status: 'ok', storage: { ok: true, kind: 'embedded' } });
  });

  it('limits a key to its buildings: their routes only, nothing site-wide', async () => {
    const token = keys.security.keys.create({ name: 'b2 staff', role: 'technician', buildings: ['b2'], expires_at: null }).token;
    expect((await call('/api/v1/buildings/b2/energy?from=2025-03-01&to=2025-03-02', { token })).status).toBe(200);
    expect((await call('/api/v1/kpi/intensity?scope=building&id=b2&from=2025-03-01&to=2025-04-01', { token })).status).toBe(200);
    expect((await call('/api/v1/devices/m3/latest', { token })).status).toBe(200);
    for (const path of ['/api/v1/buildings/b1/energy?from=2025-03-01&to=2025-03-02', '/api/v1/devices/m1/latest', '/api/v1/buildings',
      '/api/v1/kpi/intensity?scope=site&from=2025-03-01&to=2025-04-01', '/api/v1/kpi/intensity?scope=portfolio&buildings=b1,b2&from=2025-03-01&to=2025-04-01']) {
      const res = await call(path, { token });
      expect(res.status, path).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/limited to buildings b2/) } });
    }
  });

  it('audits each write, allowed or refused: who, when, what, status, from where; admins read it', async () => {
    const before = Date.now();
    const created = await call('/api/v1/keys?note=grafana', { method: 'POST', role: 'admin', body: { role: 'viewer', name: 'grafana', expires: '30d' } });
    expect(created.status).toBe(201);
    const newKey = await created.json() as { id: string; token: string };
    assertMatchesOpenApi('post', '/api/v1/keys', 201, newKey);
    expect((await call('/api/v1/buildings', { token: newKey.token })).status).toBe(200);
    expect((await call('/api/v1/keys', { method: 'POST', role: 'manager', body: { role: 'admin' } })).status).toBe(403);
    expect((await call('/api/v1/keys', { method: 'POST', body: { role: 'admin' } })).status).toBe(401);
    expect((await call(`/api/v1/keys/${newKey.id}`, { method: 'DELETE', role: 'admin' })).status).toBe(200);
    expect((await call('/api/v1/buildings', { token: newKey.token })).status).toBe(401);
    const res = await call('/api/v1/audit?limit=3', { role: 'admin' });
    expect(res.status).toBe(200);
    const entries = await res.json() as { seq: number; time: string; actor: string; actor_name: string; role: string; action: string; target: string; status: number; client: string }[];
    assertMatchesOpenApi('get', '/api/v1/audit', 200, entries);
    const [revoke, refused, create] = entries;
    expect(create).toMatchObject({
      actor_name: 'test admin', role: 'admin', action: 'POST /api/v1/keys', target: '/api/v1/keys?note=grafana', status: 201,
      client: expect.stringMatching(/127\.0\.0\.1$/),
    });
    expect(keys.token.admin).toContain(`jn_${create.actor}_`);
    expect(Date.parse(create.time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(refused).toMatchObject({ actor_name: 'test manager', role: 'manager', action: 'POST /api/v1/keys', status: 403, seq: create.seq + 1 });
    expect(revoke).toMatchObject({ role: 'admin', action: 'DELETE /api/v1/keys/:id', target: `/api/v1/keys/${newKey.id}`, status: 200, seq: create.seq + 2 });
    // no entry holds the new key's secret
    expect(JSON.stringify(entries)).not.toContain(newKey.token.slice(20));
    // the anonymous attempt is not an entry (no one to name): it is counted as an authentication failure
    expect((await call('/api/v1/audit', { role: 'manager' })).status).toBe(403);
    expect((await call('/api/v1/audit?limit=0', { role: 'admin' })).status).toBe(400);
    // a malformed body is the client's error
    const bad = await fetch(`${base}/api/v1/keys`, { method: 'POST', headers: { ...keys.headers(), 'content-type': 'application/json' }, body: '{"role":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('hostile input: a malformed percent-escape and a two-digit year answer 400, other spellings of a path no bypass', async () => {
    for (const path of ['/api/v1/devices/%ff/latest', '/api/v1/buildings/%E0%A4%A/energy']) {
      const res = await call(path, { role: 'admin' });
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'bad_parameter', parameter: 'path' } });
    }
    // ranges that are valid once read as 1950, 1999 (before the fix: 200 with the wrong century)
    for (const [from, to] of [['0050-03-01', '0050-03-02'], ['0099-12-31T00:00:00Z', '0099-12-31T12:00:00Z'], ['1969-12-31', '1970-01-02']]) {
      const res = await call(`/api/v1/buildings/b1/energy?from=${from}&to=${to}`, { role: 'viewer' });
      expect(res.status, from).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'bad_parameter', parameter: 'from' } });
    }
    for (const path of ['/API/V1/DEVICES', '/api/v1/devices/', '/Api/v1/Gateways', '/api/v1//devices', '/api/v1/devices/m1/latest/']) {
      const res = await call(path, { role: 'viewer' });
      expect([403, 404], path).toContain(res.status);
    }
  });
});

describe('audit log on disk', () => {
  it('refuses UPDATE and DELETE by trigger', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jieneng-audit-'));
    try {
      const file = join(dir, 'security.sqlite');
      const security = openSecurityStore(file);
      security.audit.append({ actor: 'k', actor_name: 'n', role: 'admin', action: 'POST /x', target: '/x', status: 200, client: '127.0.0.1' });
      security.close();
      const db = new Database(file);
      expect(() => db.prepare("UPDATE audit_log SET status = 500").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(db.prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual({ n: 1 });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('failed authentication rate limit', () => {
  it('answers 429 with Retry-After after 10 failures a minute from one address, even to a good key, and counts it', async () => {
    const keys = testKeys();
    const storage = (await import('./testing/memory-storage.ts')).memoryStorage();
    const api = await startApi({ site: fixtureSite(), storage, port: 0, security: keys.security });
    const base = `http://127.0.0.1:${api.port}`;
    try {
      for (let i = 0; i < 10; i++) expect((await fetch(`${base}/api/v1/buildings`, { headers: { authorization: `Bearer wrong-${i}` } })).status).toBe(401);
      for (const headers of [{ authorization: 'Bearer wrong-again' }, keys.headers()]) {
        const res = await fetch(`${base}/api/v1/buildings`, { headers });
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
        expect(await res.json()).toMatchObject({ error: { code: 'too_many_failures' } });
      }
      // no key at all is not a guess: public routes still answer
      expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
      const { metricsText } = await import('./metrics.ts');
      expect((await metricsText()).body).toMatch(/jieneng_api_auth_failures_total\{reason="rate_limited"\} [1-9]/);
    } finally {
      await api.stop();
    }
  });
});
