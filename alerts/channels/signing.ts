/**
 * The signatures the robots ask for. DingTalk (自定义机器人 加签): timestamp in ms, HMAC-SHA256 keyed with the
 * secret over `timestamp + "\n" + secret`, Base64, then URL-encoded into the query (`&timestamp=…&sign=…`,
 * valid for an hour). Feishu (自定义机器人 签名校验): timestamp in seconds, HMAC-SHA256 keyed with
 * `timestamp + "\n" + secret` over an empty message, Base64, sent in the body. Our own webhook: HMAC-SHA256 hex of
 * `timestamp + "." + body`, keyed with the secret, so a receiver can check both the body and its age.
 */
import { createHmac } from 'node:crypto';

/** DingTalk's `sign` query value (already URL-encoded) for `timestamp_ms`. */
export function dingtalkSign(secret: string, timestamp_ms: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp_ms}\n${secret}`, 'utf8').digest('base64');
  return encodeURIComponent(digest);
}

/** Feishu's `sign` body field for `timestamp_s`. */
export function feishuSign(secret: string, timestamp_s: number): string {
  return createHmac('sha256', `${timestamp_s}\n${secret}`).update(Buffer.alloc(0)).digest('base64');
}

/** The `X-Jieneng-Signature` header of a webhook body sent at `timestamp_ms`. */
export function webhookSignature(secret: string, timestamp_ms: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp_ms}.${body}`, 'utf8').digest('hex')}`;
}
