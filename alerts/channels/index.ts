/** A sender for each configured channel, and each robot's published rate limit. */
import type { Channel } from '../rules/schema.ts';
import { emailSender } from './email.ts';
import { dingtalkSender, feishuSender, wecomSender } from './robots.ts';
import type { ChannelSender } from './types.ts';
import { webhookSender } from './webhook.ts';

/** Messages per minute a channel accepts: WeCom and DingTalk 20 per robot, Feishu 100 (and 5 a second). */
export const RATE_PER_MINUTE: Record<Channel['type'], number | undefined> = { wecom: 20, dingtalk: 20, feishu: 100, email: undefined, webhook: undefined };

/** The sender of a channel; `now` signs with the test's clock. */
export function createSender(c: Channel, now: () => number = Date.now): ChannelSender {
  switch (c.type) {
    case 'wecom': return wecomSender(c);
    case 'dingtalk': return dingtalkSender(c, now);
    case 'feishu': return feishuSender(c, now);
    case 'email': return emailSender(c);
    case 'webhook': return webhookSender(c, now);
  }
}
