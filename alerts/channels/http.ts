/** One JSON POST with a time limit, failures sorted into retryable or not (shared by the robot channels). */
import { DeliveryError } from './types.ts';

/** POST `body` as JSON; resolves with the parsed response. 5xx, 429 and network errors are retryable. */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}, timeout_ms = 10_000): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, signal: AbortSignal.timeout(timeout_ms) });
  } catch (err) {
    throw new DeliveryError(`cannot reach ${redact(url)}: ${(err as Error).message}`, true);
  }
  const text = await res.text();
  if (!res.ok) throw new DeliveryError(`HTTP ${res.status} from ${redact(url)}: ${text.slice(0, 200)}`, res.status >= 500 || res.status === 429);
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    return {};
  }
}

/** A URL's origin only: robot keys and tokens live in the query (WeCom, DingTalk) or the path (Feishu). */
export function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}
