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

/** A URL without its query: robot keys and tokens live there and never go into a log. */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
