/**
 * The group robots of Chinese workplaces. Each answers HTTP 200 with its own error code in the body; a rate-limit
 * code is retryable (the notifier tries later), any other is not (a wrong key or signature will not heal).
 * WeCom: `{"msgtype":"markdown","markdown":{"content"}}`, errcode 45009 when over 20 messages a minute.
 * DingTalk: `{"msgtype":"markdown","markdown":{"title","text"},"at":{"atMobiles"}}`, errcode 130101 when too fast.
 * Feishu: `{"timestamp","sign","msg_type":"text","content":{"text"}}`, code 9499 / 11232 when too fast.
 */
import type { DingtalkChannel, FeishuChannel, WecomChannel } from '../rules/schema.ts';
import type { Static } from '@sinclair/typebox';
import { postJson, redact } from './http.ts';
import { dingtalkSign, feishuSign } from './signing.ts';
import { DeliveryError, type AlertMessage, type ChannelSender } from './types.ts';

const WECOM_RATE_LIMITED = new Set([45009]);
const DINGTALK_RATE_LIMITED = new Set([130101, 130102]);
const FEISHU_RATE_LIMITED = new Set([9499, 11232]);

function checkCode(url: string, code: unknown, msg: unknown, rateLimited: ReadonlySet<number>): void {
  if (code === undefined || code === 0) return;
  throw new DeliveryError(`${redact(url)} answered code ${String(code)}: ${String(msg ?? '')}`, rateLimited.has(Number(code)));
}

/** WeCom (企业微信) group robot. */
export function wecomSender(c: Static<typeof WecomChannel>): ChannelSender {
  return {
    async send(m: AlertMessage) {
      // markdown content is limited to 4096 bytes; the message is one line, far below it
      const mentions = c.mentioned_mobiles?.length ? `\n${c.mentioned_mobiles.map((p) => `<@${p}>`).join(' ')}` : '';
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { content: `**${m.title}**\n${m.text}${mentions}` } });
      const res = await postJson(c.url, body) as { errcode?: number; errmsg?: string };
      checkCode(c.url, res.errcode, res.errmsg, WECOM_RATE_LIMITED);
    },
  };
}

/** DingTalk (钉钉) custom robot, signed when a secret is set. */
export function dingtalkSender(c: Static<typeof DingtalkChannel>, now: () => number = Date.now): ChannelSender {
  return {
    async send(m: AlertMessage) {
      let url = c.url;
      if (c.secret) {
        const ts = now();
        url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${dingtalkSign(c.secret, ts)}`;
      }
      const mentions = c.at_mobiles?.length ? `\n\n${c.at_mobiles.map((p) => `@${p}`).join(' ')}` : '';
      const body = JSON.stringify({
        msgtype: 'markdown', markdown: { title: m.title, text: `#### ${m.title}\n\n${m.text}${mentions}` },
        at: { atMobiles: c.at_mobiles ?? [], isAtAll: false },
      });
      const res = await postJson(url, body) as { errcode?: number; errmsg?: string };
      checkCode(c.url, res.errcode, res.errmsg, DINGTALK_RATE_LIMITED);
    },
  };
}

/** Feishu (飞书) custom bot, signed when a secret is set. */
export function feishuSender(c: Static<typeof FeishuChannel>, now: () => number = Date.now): ChannelSender {
  return {
    async send(m: AlertMessage) {
      const ts = Math.floor(now() / 1000);
      const signed = c.secret ? { timestamp: String(ts), sign: feishuSign(c.secret, ts) } : {};
      const body = JSON.stringify({ ...signed, msg_type: 'text', content: { text: m.text } });
      const res = await postJson(c.url, body) as { code?: number; msg?: string; StatusCode?: number };
      checkCode(c.url, res.code ?? res.StatusCode, res.msg, FEISHU_RATE_LIMITED);
    },
  };
}
