/**
 * Quiet hours (issue 14): at night a technician's phone hears only the severities the rules file excepts
 * (critical by default); the rest is held and goes out at the end of the quiet hours as one digest per channel.
 */
import type { AlertMessage } from './channels/types.ts';
import type { QuietHours } from './rules/load.ts';
import type { PendingNotification } from './store.ts';

const DAY_MIN = 24 * 60;

/** When the quiet hours around `now_ms` end (UTC epoch ms), or undefined when it is not quiet now. */
export function quietUntil(q: QuietHours, now_ms: number): number | undefined {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: q.time_zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(now_ms);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const minute = part('hour') * 60 + part('minute');
  const quiet = q.from_min < q.to_min ? minute >= q.from_min && minute < q.to_min : minute >= q.from_min || minute < q.to_min;
  if (!quiet) return undefined;
  const left_min = (q.to_min - minute + DAY_MIN) % DAY_MIN;
  return now_ms + left_min * 60_000 - part('second') * 1000 - (now_ms % 1000);
}

/** One message for the notifications a channel held (quiet hours, or its rate limit), oldest first. */
export function digestMessage(held: readonly PendingNotification[]): AlertMessage {
  const title = `【告警汇总】${held.length} 条告警通知`;
  const lines = held.map((n) => `- ${n.escalation ? '【升级：未确认】' : ''}${n.event.message}`);
  return { title, text: `${title}\n${lines.join('\n')}`, event: held[0].event };
}
