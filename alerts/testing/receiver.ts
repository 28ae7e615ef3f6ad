/**
 * A local HTTP server that answers like WeCom, DingTalk and Feishu robots and like a webhook consumer, and
 * verifies each vendor's signature from its published algorithm — written here afresh, not with the sender's
 * code, so a test fails when the sender drifts from the vendor. It can fail the next requests on demand.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Vendor = 'wecom' | 'dingtalk' | 'feishu' | 'webhook';
/** How to fail one request: a 503, or the vendor's rate-limit answer. */
export type Failure = 'http503' | 'ratelimit';

/** A request the receiver accepted. */
export interface Received {
  vendor: Vendor;
  body: Record<string, unknown>;
  at_ms: number;
}

/** The secrets and keys the receiver expects. */
export interface ReceiverSecrets {
  wecomKey: string;
  dingtalkToken: string;
  dingtalkSecret: string;
  feishuHook: string;
  feishuSecret: string;
  webhookSecret: string;
}

/** A running receiver. */
export interface Receiver {
  /** base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  urls: Record<Vendor, string>;
  received: Received[];
  /** requests refused, with why (a bad signature, a wrong shape) */
  refused: string[];
  /** fail the vendor's next requests in this order */
  fail(vendor: Vendor, ...failures: Failure[]): void;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const RATE_LIMIT: Record<Vendor, object> = {
  wecom: { errcode: 45009, errmsg: 'api freq out of limit' },
  dingtalk: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
  feishu: { code: 9499, msg: 'too many request' },
  webhook: {},
};

/** Start on a free loopback port. */
export async function startReceiver(s: ReceiverSecrets): Promise<Receiver> {
  const received: Received[] = [];
  const refused: string[] = [];
  const failures = new Map<Vendor, Failure[]>();

  const handle = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const vendor: Vendor | undefined = url.pathname === '/cgi-bin/webhook/send' ? 'wecom' : url.pathname === '/robot/send' ? 'dingtalk'
      : url.pathname.startsWith('/open-apis/bot/v2/hook/') ? 'feishu' : url.pathname === '/hook' ? 'webhook' : undefined;
    if (!vendor || req.method !== 'POST') return reply(404, { error: 'not found' });
    const failure = failures.get(vendor)?.shift();
    if (failure === 'http503') return reply(503, { error: 'unavailable' });
    if (failure === 'ratelimit') return vendor === 'webhook' ? reply(429, {}) : reply(200, RATE_LIMIT[vendor]);
    let body: Record<string, unknown>;
    try { body = JSON.parse(raw) as Record<string, unknown>; } catch { body = {}; }
    const refuse = (why: string, answer: object, status = 200) => { refused.push(`${vendor}: ${why}`); reply(status, answer); };
    const problem = checkRequest(vendor, req, url, raw, body, s);
    if (problem) {
      const answers: Record<Vendor, object> = {
        wecom: { errcode: 93000, errmsg: problem }, dingtalk: { errcode: 310000, errmsg: problem },
        feishu: { code: 19021, msg: problem }, webhook: { error: problem },
      };
      return refuse(problem, answers[vendor], vendor === 'webhook' ? 401 : 200);
    }
    received.push({ vendor, body, at_ms: Date.now() });
    reply(200, vendor === 'feishu' ? { code: 0, msg: 'success', data: {} } : vendor === 'webhook' ? { ok: true } : { errcode: 0, errmsg: 'ok' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urls: {
      wecom: `${url}/cgi-bin/webhook/send?key=${s.wecomKey}`,
      dingtalk: `${url}/robot/send?access_token=${s.dingtalkToken}`,
      feishu: `${url}/open-apis/bot/v2/hook/${s.feishuHook}`,
      webhook: `${url}/hook`,
    },
    received, refused,
    fail: (vendor, ...f) => failures.set(vendor, [...(failures.get(vendor) ?? []), ...f]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What is wrong with a request by its vendor's rules, or undefined. */
function checkRequest(vendor: Vendor, req: IncomingMessage, url: URL, raw: string, body: Record<string, unknown>, s: ReceiverSecrets): string | undefined {
  const now = Date.now();
  switch (vendor) {
    case 'wecom': {
      if (url.searchParams.get('key') !== s.wecomKey) return 'invalid webhook url';
      const md = body.markdown as { content?: unknown } | undefined;
      if (body.msgtype !== 'markdown' || typeof md?.content !== 'string') return 'markdown.content missing';
      if (Buffer.byteLength(md.content) > 4096) return 'content exceeds 4096 bytes';
      return undefined;
    }
    case 'dingtalk': {
      if (url.searchParams.get('access_token') !== s.dingtalkToken) return 'token is not exist';
      // the sign must arrive URL-encoded: Base64's + / = read raw would change the value
      const rawSign = /[?&]sign=([^&]*)/.exec(req.url ?? '')?.[1];
      const ts = Number(url.searchParams.get('timestamp'));
      if (!rawSign || /[+/=]/.test(rawSign)) return 'sign missing or not URL-encoded';
      if (!(Math.abs(now - ts) < HOUR_MS)) return 'timestamp (ms) more than an hour off';
      const expected = createHmac('sha256', s.dingtalkSecret).update(`${ts}\n${s.dingtalkSecret}`).digest();
      if (!same(Buffer.from(decodeURIComponent(rawSign), 'base64'), expected)) return 'sign not match';
      const md = body.markdown as { title?: unknown; text?: unknown } | undefined;
      if (body.msgtype !== 'markdown' || typeof md?.title !== 'string' || typeof md.text !== 'string') return 'markdown.title and text required';
      return undefined;
    }
    case 'feishu': {
      if (!url.pathname.endsWith(`/${s.feishuHook}`)) return 'incoming webhook access token invalid';
      const ts = Number(body.timestamp);
      if (typeof body.timestamp !== 'string' || !(Math.abs(now / 1000 - ts) < 3600)) return 'timestamp (s) is not within one hour from current time';
      const expected = createHmac('sha256', `${body.timestamp}\n${s.feishuSecret}`).update('').digest();
      if (typeof body.sign !== 'string' || !same(Buffer.from(body.sign, 'base64'), expected)) return 'sign match fail';
      const content = body.content as { text?: unknown } | undefined;
      if (body.msg_type !== 'text' || typeof content?.text !== 'string') return 'content.text required';
      if (Buffer.byteLength(raw) > 20 * 1024) return 'body exceeds 20 KB';
      return undefined;
    }
    case 'webhook': {
      const ts = String(req.headers['x-jieneng-timestamp'] ?? '');
      const sig = String(req.headers['x-jieneng-signature'] ?? '');
      const expected = createHmac('sha256', s.webhookSecret).update(`${ts}.${raw}`).digest();
      if (!sig.startsWith('sha256=') || !same(Buffer.from(sig.slice(7), 'hex'), expected)) return 'bad signature';
      if (body.v !== 1 || typeof body.message !== 'string' || typeof body.state !== 'string') return 'not a v1 alert body';
      return undefined;
    }
  }
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
