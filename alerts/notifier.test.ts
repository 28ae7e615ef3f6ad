/**
 * Channels against real peers: a local receiver that checks each robot's signature and payload the vendor's way
 * (alerts/testing/receiver.ts) and a real SMTP server (the smtp-server package) with a login; retries with
 * back-off, the robots' rate limit and the delivery log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from './channels/index.ts';
import type { ChannelSender } from './channels/types.ts';
import { Notifier } from './notifier.ts';
import type { Channel } from './rules/schema.ts';
import { AlertStore } from './store.ts';
import { startReceiver, type Receiver } from './testing/receiver.ts';

const SECRETS = {
  wecomKey: 'wecom-key-1', dingtalkToken: 'dt-token', dingtalkSecret: 'SEC0123456789abcdef+/=', feishuHook: 'fs-hook-1',
  feishuSecret: 'fs-secret', webhookSecret: 'hook-secret',
};

let receiver: Receiver;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: { from: string; to: string[]; data: string }[] = [];
let dir: string;
let store: AlertStore;

beforeAll(async () => {
  receiver = await startReceiver(SECRETS);
  smtp = new SMTPServer({
    authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === 'mail-pass') cb(null, { user: 'alerts' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await receiver.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jieneng-notifier-'));
  store = new AlertStore(dir);
  receiver.received.length = 0;
  receiver.refused.length = 0;
  mails.length = 0;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function channels(overrides: Partial<Record<string, Partial<Channel>>> = {}): Map<string, Channel> {
  const list: Channel[] = [
    { id: 'wecom', type: 'wecom', url: receiver.urls.wecom },
    { id: 'dingtalk', type: 'dingtalk', url: receiver.urls.dingtalk, secret: SECRETS.dingtalkSecret, at_mobiles: ['13800000000'] },
    { id: 'feishu', type: 'feishu', url: receiver.urls.feishu, secret: SECRETS.feishuSecret },
    { id: 'mail', type: 'email', smtp_url: `smtp://alerts:mail-pass@127.0.0.1:${smtpPort}`, from: 'jieneng@example.org', to: ['tech@example.org'] },
    { id: 'hook', type: 'webhook', url: receiver.urls.webhook, secret: SECRETS.webhookSecret },
  ];
  return new Map(list.map((c) => [c.id, { ...c, ...overrides[c.id] } as Channel]));
}
function notifier(chs: Map<string, Channel>, backoff = { base_ms: 20, max_ms: 100, max_attempts: 4 }) {
  const senders = new Map<string, ChannelSender>([...chs].map(([id, c]) => [id, createSender(c)]));
  return new Notifier({ store, channels: chs, senders, backoff });
}
function transition(channelIds: string[], message = '【重要告警】一号楼 空调：power_kw = 610 kW（阈值 500 kW）— 空调功率过高', key = 'hvac-power|hvac|power_kw') {
  store.recordTransition(
    { key, rule: 'hvac-power', device: 'hvac', point: 'power_kw', state: 'firing', since_ms: Date.now(), breached: true, onsets: [Date.now()], value: 610 },
    { key, rule: 'hvac-power', device: 'hvac', building: 'b1', point: 'power_kw', severity: 'major', transition: 'firing', at_ms: Date.now(), value: 610, message },
    channelIds, Date.now(),
  );
}
/** Drain until nothing is due, waiting out back-off. */
async function settle(n: Notifier, ms = 2000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await n.drain();
    if (!store.notificationCounts().pending) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('alert channels', () => {
  it('delivers to WeCom, DingTalk (signed), Feishu (signed), e-mail and a signed webhook', async () => {
    transition(['wecom', 'dingtalk', 'feishu', 'mail', 'hook']);
    await notifier(channels()).drain();
    expect(receiver.refused).toEqual([]);
    expect(receiver.received.map((r) => r.vendor).sort()).toEqual(['dingtalk', 'feishu', 'webhook', 'wecom']);
    const by = Object.fromEntries(receiver.received.map((r) => [r.vendor, r.body]));
    expect((by.wecom.markdown as { content: string }).content).toContain('一号楼 空调：power_kw = 610 kW');
    expect(by.dingtalk).toMatchObject({ msgtype: 'markdown', markdown: { title: '【重要告警】一号楼 空调：power_kw = 610 kW（阈值 500 kW）' }, at: { atMobiles: ['13800000000'] } });
    expect(by.feishu).toMatchObject({ msg_type: 'text', content: { text: expect.stringContaining('空调功率过高') } });
    expect(by.webhook).toMatchObject({ v: 1, rule: 'hvac-power', device: 'hvac', building: 'b1', severity: 'major', state: 'firing', value: 610 });
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toEqual(['tech@example.org']);
    expect(mails[0].data).toMatch(/Subject: =\?UTF-8\?/); // the Chinese subject, MIME-encoded
    expect(store.notificationCounts()).toEqual({ sent: 5 });
    expect(store.deliveries().map((d) => [d.channel, d.ok])).toEqual([['wecom', true], ['dingtalk', true], ['feishu', true], ['mail', true], ['hook', true]]);
  });

  it('a wrong secret or login is refused by the peer and not retried; the log says why', async () => {
    transition(['dingtalk', 'feishu', 'mail', 'hook']);
    await settle(notifier(channels({
      dingtalk: { secret: 'SECwrong' }, feishu: { secret: 'wrong' }, hook: { secret: 'wrong' },
      mail: { smtp_url: `smtp://alerts:wrong@127.0.0.1:${smtpPort}` },
    })));
    expect(receiver.received).toEqual([]);
    expect(store.notificationCounts()).toEqual({ failed: 4 });
    const log = store.deliveries();
    expect(log.map((d) => [d.channel, d.attempt, d.ok])).toEqual([['dingtalk', 1, false], ['feishu', 1, false], ['mail', 1, false], ['hook', 1, false]]);
    expect(log[0].detail).toContain('code 310000');
    expect(log[1].detail).toContain('code 19021');
    expect(log[3].detail).toContain('HTTP 401');
    expect(log.map((d) => d.detail).join(' ')).not.toContain(SECRETS.dingtalkToken); // the robot's token stays out of the log
  });

  it('a 503 and a rate-limit answer are retried with back-off until delivered', async () => {
    receiver.fail('dingtalk', 'http503', 'ratelimit');
    receiver.fail('webhook', 'http503');
    transition(['dingtalk', 'hook']);
    await settle(notifier(channels()));
    expect(store.notificationCounts()).toEqual({ sent: 2 });
    const log = store.deliveries();
    expect(log.filter((d) => d.channel === 'dingtalk').map((d) => [d.attempt, d.ok])).toEqual([[1, false], [2, false], [3, true]]);
    expect(log.filter((d) => d.channel === 'hook').map((d) => [d.attempt, d.ok])).toEqual([[1, false], [2, true]]);
    const [first, second] = log.filter((d) => d.channel === 'dingtalk');
    expect(second.at_ms - first.at_ms).toBeGreaterThanOrEqual(20); // base back-off
    expect(first.detail).toContain('HTTP 503');
    expect(second.detail).toContain('code 130101');
  });

  it('an escalation reaches its channel saying it was not acknowledged', async () => {
    transition(['hook']);
    expect(store.escalate('hvac-power|hvac|power_kw', ['wecom'], Date.now())).toEqual({ escalated: true, settled: true });
    expect(store.escalate('hvac-power|hvac|power_kw', ['wecom'], Date.now())).toEqual({ escalated: false, settled: true });
    await notifier(channels()).drain();
    const wecom = receiver.received.filter((r) => r.vendor === 'wecom');
    expect(wecom).toHaveLength(1);
    expect((wecom[0].body.markdown as { content: string }).content).toContain('【升级：未确认】【重要告警】一号楼 空调');
  });

  it('quiet hours hold all but critical alerts and send them as one digest per channel when they end', async () => {
    const night = Date.UTC(2030, 0, 1, 15, 30); // 23:30 in Shanghai
    let clock = night;
    const chs = channels();
    const n = new Notifier({
      store, channels: chs, senders: new Map([...chs].map(([id, c]) => [id, createSender(c)])),
      quiet: { from_min: 22 * 60, to_min: 7 * 60, except: new Set(['critical']), time_zone: 'Asia/Shanghai' }, now: () => clock,
    });
    transition(['wecom'], '【重要告警】一号楼 空调：power_kw = 610 kW — 空调功率过高', 'a');
    transition(['wecom'], '【次要告警】二号楼 水表：无数据 — 水表无数据', 'b');
    store.recordTransition(
      { key: 'c', rule: 'offline', device: 'main', point: '', state: 'firing', since_ms: night, breached: true, onsets: [] },
      { key: 'c', rule: 'offline', device: 'main', building: 'b1', point: '', severity: 'critical', transition: 'firing', at_ms: night, message: '【严重告警】一号楼 总表：离线 — 设备离线' },
      ['wecom'], Date.now(),
    );
    await n.drain();
    const contents = () => receiver.received.map((r) => (r.body.markdown as { content: string }).content);
    expect(contents()).toEqual([expect.stringContaining('【严重告警】一号楼 总表：离线')]); // critical: at once
    expect(store.notificationCounts()).toEqual({ sent: 1, pending: 2 });
    clock = Date.UTC(2030, 0, 1, 22, 59); // 06:59: still quiet
    await n.drain();
    expect(receiver.received).toHaveLength(1);
    clock = Date.UTC(2030, 0, 1, 23, 0); // 07:00: the digest
    await n.drain();
    expect(contents()[1]).toBe('**【告警汇总】2 条告警通知**\n【告警汇总】2 条告警通知\n- 【重要告警】一号楼 空调：power_kw = 610 kW — 空调功率过高\n- 【次要告警】二号楼 水表：无数据 — 水表无数据');
    expect(store.notificationCounts()).toEqual({ sent: 3 });
    expect(store.deliveries().map((d) => d.detail)).toEqual(['delivered', 'delivered in a digest of 2', 'delivered in a digest of 2']);
  });

  it('gives up after the last attempt', async () => {
    receiver.fail('wecom', 'http503', 'http503', 'http503', 'http503');
    transition(['wecom']);
    await settle(notifier(channels()));
    expect(store.notificationCounts()).toEqual({ failed: 1 });
    expect(store.deliveries()).toHaveLength(4);
  });

  it('a silence (maintenance window) over the building keeps its transitions from being sent, and says so in the log', async () => {
    const now = Date.now();
    const silence = store.addSilence({ starts_ms: now - 60_000, ends_ms: now + 3_600_000, building: 'b1', comment: '空调检修', created_by: 'key-tech', created_ms: now });
    transition(['hook']);
    await notifier(channels()).drain();
    expect(receiver.received).toEqual([]);
    expect(store.notificationCounts()).toEqual({ silenced: 1 });
    expect(store.deliveries()[0].detail).toBe(`silenced by silence ${silence.id} (空调检修)`);
    expect(await register.getSingleMetricAsString('jieneng_alert_deliveries_total')).toMatch(/jieneng_alert_deliveries_total\{channel="hook",result="silenced"\} [1-9]/);
    store.deleteSilence(silence.id);
    transition(['hook'], '【重要告警】再次 — 测试', 'k2');
    await notifier(channels()).drain();
    expect(receiver.received).toHaveLength(1);
  });

  it("keeps WeCom's 20 messages a minute per robot: the rest wait without spending an attempt", async () => {
    for (let i = 0; i < 25; i++) transition(['wecom'], `【提示告警】消息 ${i} — 测试`, `k${i}`);
    let clock = Date.now();
    const chs = channels();
    const n = new Notifier({ store, channels: chs, senders: new Map([...chs].map(([id, c]) => [id, createSender(c)])), now: () => clock });
    await n.drain();
    expect(receiver.received).toHaveLength(20);
    expect(store.notificationCounts()).toEqual({ sent: 20, pending: 5 });
    expect(store.deliveries()).toHaveLength(20);
    clock += 60_000; // a slot frees: the five that waited go out as one message
    await n.drain();
    expect(receiver.received).toHaveLength(21);
    expect((receiver.received[20].body.markdown as { content: string }).content).toMatch(/^\*\*【告警汇总】5 条告警通知\*\*\n【告警汇总】5 条告警通知\n- 【提示告警】消息 20 — 测试\n(.|\n)*消息 24 — 测试$/);
    expect(store.notificationCounts()).toEqual({ sent: 25 });
  });
});
