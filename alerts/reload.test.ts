/**
 * An edited rules file reaches a running collector (over a real in-process aedes broker) without a restart: a rule
 * added through the API's editor (alerts/rules/edit.ts, the code behind PUT /api/v1/alert-rules/{id}) fires on
 * the next reading; an unchanged rule keeps its firing alert (announced once); a changed threshold judges the
 * next reading; a removed rule's firing alert resolves once, saying why; a bad file keeps the rules running.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../core/contract/v1.ts';
import { waitFor } from '../test/harness/ports.ts';
import { alertMetrics } from './metrics.ts';
import { deleteRule, putRule } from './rules/edit.ts';
import { loadAlertRules } from './rules/load.ts';
import { startAlertRig, type AlertRig } from './testing/collector-rig.ts';
import type { Receiver } from './testing/receiver.ts';
import { alertTestSite } from './testing/site.ts';

const SITE = 'alert-reload';
const site = alertTestSite(SITE);
const SECRETS = { wecomKey: 'k', dingtalkToken: 't', dingtalkSecret: 's', feishuHook: 'f', feishuSecret: 'f', webhookSecret: 'hook-secret' };

let file: string;
let rig: AlertRig;
let receiver: Receiver;
let pub: MqttClient;
let seq = 0;
let ts = Date.now() - 60_000;

const power = (id: string, above: number) => ({ id, kind: 'threshold', name: `${id} 功率过高`, severity: 'major', scope: { device: [id.split('-')[0]] }, point: 'power_kw', above, keep_firing_for: '0s' });

beforeAll(async () => {
  rig = await startAlertRig(SITE, site, SECRETS, (dir, r) => {
    file = join(dir, 'alert-rules.yaml');
    writeFileSync(file, `# the technicians' rules
version: 1
channels:
  - { id: hook, type: webhook, url: "${r.urls.webhook}", secret: ${SECRETS.webhookSecret} }
default_channels: [hook]
rules:
  - ${JSON.stringify(power('hvac-power', 500))}
`);
    return { config: loadAlertRules(file, site), tickMs: 100, pollMs: 100, watchRules: { pollMs: 300, debounceMs: 50 } };
  });
  ({ receiver, pub } = rig);
});
afterAll(async () => { await rig.stop(); });

const bodies = () => receiver.received.map((r) => r.body as { rule: string; device: string; state: string; message: string });
const of = (rule: string) => bodies().filter((b) => b.rule === rule).map((b) => b.state);

async function publish(points: Record<string, number>): Promise<void> {
  ts += 1000;
  await pub.publishAsync(topics.readings(SITE, 'gw1'), JSON.stringify({
    v: 1, site: SITE, gateway: 'gw1', seq: seq++, sent_ts: ts,
    readings: Object.entries(points).map(([device, kw]) => ({ device, ts, points: { power_kw: { value: kw, quality: 'good' } } })),
  }), { qos: 1 });
}

async function reloads(result: 'applied' | 'rejected'): Promise<number> {
  return (await alertMetrics.reloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** Edit the file, and wait until the running collector has noticed it (generous: a loaded machine). */
async function edited(result: 'applied' | 'rejected', edit: () => void): Promise<void> {
  const before = await reloads(result);
  edit();
  await waitFor(`the edit ${result}`, async () => (await reloads(result)) > before, 20_000);
}

describe('an edited rules file in a running collector', () => {
  it('a rule added while running fires on the next reading; the unchanged rule keeps its alert', async () => {
    await publish({ hvac: 650, lighting: 150 });
    await waitFor('hvac firing', () => of('hvac-power').length === 1, 20_000);
    await edited('applied', () => putRule(file, site, power('lighting-power', 100)));
    await publish({ hvac: 660, lighting: 160 });
    await waitFor('lighting firing', () => of('lighting-power').length === 1, 20_000);
    expect(of('lighting-power')).toEqual(['firing']);
    expect(of('hvac-power')).toEqual(['firing']); // kept through the reload: not announced again
  });

  it('a changed threshold judges the next reading', async () => {
    await edited('applied', () => putRule(file, site, power('hvac-power', 800)));
    expect(of('hvac-power')).toEqual(['firing']); // nothing until a reading is judged by the new threshold
    await publish({ hvac: 660, lighting: 160 });
    await waitFor('hvac resolved', () => of('hvac-power').length === 2, 20_000);
    expect(of('hvac-power')).toEqual(['firing', 'resolved']);
  });

  it("a removed rule's firing alert resolves once, saying why", async () => {
    await edited('applied', () => deleteRule(file, site, 'lighting-power'));
    await waitFor('lighting resolved', () => of('lighting-power').length === 2, 20_000);
    await publish({ hvac: 660, lighting: 170 });
    await rig.collector.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(of('lighting-power')).toEqual(['firing', 'resolved']);
    expect(bodies().filter((b) => b.rule === 'lighting-power')[1].message).toContain('（规则已删除）');
  });

  it('a bad file is not applied: the rules running are kept', async () => {
    await edited('rejected', () => writeFileSync(file, `version: 1\nrules:\n  - ${JSON.stringify({ ...power('hvac-power', 800), point: 'power_kwh' })}\n`));
    await publish({ hvac: 900, lighting: 170 });
    await waitFor('hvac firing by the kept rule', () => of('hvac-power').length === 3, 20_000);
    expect(of('hvac-power')).toEqual(['firing', 'resolved', 'firing']);
    expect(receiver.refused).toEqual([]);
  });
});
