/**
 * Editing the alert rules file over HTTP (issue 14): a manager adds, replaces and removes rules; each change is
 * validated like the file, written back with the file's comments, audited; a technician reads but cannot edit.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAlertRules } from '../alerts/rules/load.ts';
import { memoryStorage } from './testing/memory-storage.ts';
import { fixtureSite, testKeys } from './testing/fixture.ts';
import { assertMatchesOpenApi } from './openapi-check.ts';
import { startApi } from './server.ts';

const keys = testKeys();
const dir = mkdtempSync(join(tmpdir(), 'jieneng-api-rules-'));
const file = join(dir, 'alert-rules.yaml');
const site = fixtureSite();
let base = '';
let stop: () => Promise<void>;

beforeAll(async () => {
  writeFileSync(file, [
    '# 运维告警规则 (kept when rules are edited through the API)',
    'version: 1',
    'channels:',
    '  - { id: ops, type: webhook, url: "${OPS_HOOK_URL}" }   # the secret stays in the environment',
    'default_channels: [ops]',
    'rules:',
    '  # 总表：15 分钟无数据即告警',
    '  - id: m1-stale',
    '    kind: stale',
    '    name: 总表无数据',
    '    severity: major',
    '    scope: { device: [m1] }',
    '    after: 15m',
    '',
  ].join('\n'));
  const api = await startApi({ site, storage: memoryStorage(), port: 0, security: keys.security, alertRulesFile: file });
  base = `http://127.0.0.1:${api.port}/api/v1`;
  stop = api.stop;
});
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, method = 'GET', body?: unknown, role: 'technician' | 'manager' = 'manager') {
  const res = await fetch(`${base}${path}`, { method, headers: { ...keys.headers(role), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

const fault = { kind: 'inverter_fault', name: '逆变器故障', severity: 'critical', scope: { device: ['inv1'] } };

describe('/api/v1/alert-rules', () => {
  it('shows the rules only: no channel, URL or secret reference, and a prototype key is refused', async () => {
    const read = await fetch(`${base}/alert-rules`, { headers: keys.headers('technician') });
    const text = await read.text();
    expect(read.status).toBe(200);
    expect(text).not.toMatch(/channels|OPS_HOOK_URL|"url"|"secret"/);
    const polluted = await fetch(`${base}/alert-rules/bad`, { method: 'PUT', headers: { ...keys.headers('manager'), 'content-type': 'application/json' }, body: `{"__proto__":{"polluted":1},${JSON.stringify(fault).slice(1)}` });
    expect(polluted.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(readFileSync(file, 'utf8')).not.toContain('polluted');
  });

  it('a manager adds a rule: validated, written with the comments kept, loadable, audited', async () => {
    const put = await call('/alert-rules/inv-fault', 'PUT', fault);
    expect(put.status).toBe(201);
    assertMatchesOpenApi('PUT', '/api/v1/alert-rules/{id}', 201, put.body);
    expect(put.body).toEqual({ id: 'inv-fault', ...fault });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# 运维告警规则');
    expect(text).toContain('url: "${OPS_HOOK_URL}"');
    expect(loadAlertRules(file, site, { OPS_HOOK_URL: 'http://127.0.0.1:9/' }).rules.map((r) => r.rule.id)).toEqual(['m1-stale', 'inv-fault']);
    const audit = keys.security.audit.read({ limit: 5 });
    expect(audit[0]).toMatchObject({ action: 'PUT /api/v1/alert-rules/:id', target: expect.stringContaining('inv-fault'), status: 201 });
  });

  it('replaces a rule by id; a rule that would not load answers 400 naming the setting, and the file is unchanged', async () => {
    expect((await call('/alert-rules/m1-stale', 'PUT', { kind: 'stale', name: '总表无数据', severity: 'minor', scope: { device: ['m1'] }, after: '30m' })).status).toBe(200);
    const before = readFileSync(file, 'utf8');
    expect(before).toContain('after: 30m');
    // the replaced rule keeps its comment and its place; its id comes first, as rules are written
    expect(before).toContain('rules:\n  # 总表：15 分钟无数据即告警\n  - id: m1-stale\n    kind: stale');
    expect(before.indexOf('id: m1-stale')).toBeLessThan(before.indexOf('id: inv-fault'));
    const bad = await call('/alert-rules/m1-stale', 'PUT', { kind: 'stale', name: '总表无数据', severity: 'minor', scope: { device: ['nope'] }, after: '30m' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_rule', message: "rules[0].scope.device[0]: unknown device 'nope'" });
    const wrongId = await call('/alert-rules/x', 'PUT', { ...fault, id: 'y' });
    expect(wrongId.status).toBe(400);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a technician reads the rules but may not edit them; a manager removes one', async () => {
    const list = await call('/alert-rules', 'GET', undefined, 'technician');
    assertMatchesOpenApi('GET', '/api/v1/alert-rules', 200, list.body);
    expect((list.body as unknown as { id: string }[]).map((r) => r.id)).toEqual(['m1-stale', 'inv-fault']);
    expect((await call('/alert-rules/inv-fault', 'DELETE', undefined, 'technician')).status).toBe(403);
    expect((await call('/alert-rules/inv-fault', 'DELETE')).body).toEqual({ id: 'inv-fault', deleted: true });
    expect((await call('/alert-rules/inv-fault', 'DELETE')).status).toBe(404);
  });
});

describe('/api/v1/alert-rules when the rules file does not exist yet', () => {
  const emptyDir = mkdtempSync(join(tmpdir(), 'jieneng-api-no-rules-'));
  const missing = join(emptyDir, 'alert-rules.yaml');
  const noFolder = join(emptyDir, 'no-such-folder', 'alert-rules.yaml');
  const apis: { base: string; stop: () => Promise<void> }[] = [];
  const started = async (rulesFile: string) => {
    const api = await startApi({ site, storage: memoryStorage(), port: 0, security: keys.security, alertRulesFile: rulesFile });
    apis.push({ base: `http://127.0.0.1:${api.port}/api/v1`, stop: api.stop });
    return apis[apis.length - 1].base;
  };
  const send = async (at: string, path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${at}${path}`, { method, headers: { ...keys.headers('manager'), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  afterAll(async () => {
    for (const a of apis) await a.stop();
    rmSync(emptyDir, { recursive: true, force: true });
  });

  it('lists no rules, and the first rule added creates the file (as the demo makes its copy), loadable by the collector', async () => {
    const at = await started(missing);
    const list = await send(at, '/alert-rules');
    expect(list).toEqual({ status: 200, body: [] });
    expect((await send(at, '/alert-rules/inv-fault', 'DELETE')).status).toBe(404);
    // a rule that would not load creates no file
    expect((await send(at, '/alert-rules/bad', 'PUT', { ...fault, scope: { device: ['nope'] } })).status).toBe(400);
    expect(existsSync(missing)).toBe(false);
    const put = await send(at, '/alert-rules/inv-fault', 'PUT', fault);
    expect(put.status).toBe(201);
    assertMatchesOpenApi('PUT', '/api/v1/alert-rules/{id}', 201, put.body);
    expect(loadAlertRules(missing, site, {}).rules.map((r) => r.rule.id)).toEqual(['inv-fault']);
    expect((await send(at, '/alert-rules')).body).toEqual([{ id: 'inv-fault', ...fault }]);
  });

  it('a rules file whose folder does not exist answers 503 naming the file (not its server path) and how to fix it', async () => {
    const at = await started(noFolder);
    const put = await send(at, '/alert-rules/inv-fault', 'PUT', fault);
    expect(put.status).toBe(503);
    assertMatchesOpenApi('PUT', '/api/v1/alert-rules/{id}', 503, put.body);
    expect(put.body.error).toMatchObject({
      code: 'alerts_off',
      message: `the alert rules file ${basename(noFolder)} (ALERT_RULES_FILE) cannot be created: its folder does not exist (create the folder, or point ALERT_RULES_FILE at a file in an existing folder; docs/alerts.md)`,
    });
    expect(JSON.stringify(put.body)).not.toContain(noFolder);
    const list = await send(at, '/alert-rules');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
  });
});
