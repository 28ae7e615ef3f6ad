/** What every channel is given and how it fails: one narrow interface per channel (STYLE.md §9). */
import type { StoredEvent } from '../store.ts';

/** A message to deliver: the transition as stored, with its rendered Chinese text. */
export interface AlertMessage {
  /** short line for previews and e-mail subjects */
  title: string;
  /** the rendered message */
  text: string;
  event: StoredEvent;
}

/** Sends one message over one channel; rejects with a DeliveryError. */
export interface ChannelSender {
  send(message: AlertMessage): Promise<void>;
}

/** A failed delivery; `retryable` when trying again later may succeed (network, 5xx, the robot's rate limit). */
export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** The message of a transition; an escalation says so first. */
export function messageOf(event: StoredEvent, escalation = false): AlertMessage {
  const text = escalation ? `【升级：未确认】${event.message}` : event.message;
  const cut = text.indexOf('—');
  const title = (cut > 0 ? text.slice(0, cut) : text).trim().slice(0, 64);
  return { title, text, event };
}
