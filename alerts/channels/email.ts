/** E-mail over SMTP with nodemailer; a refused recipient or a bad login is not retried, a lost connection is. */
import nodemailer from 'nodemailer';
import type { Static } from '@sinclair/typebox';
import type { EmailChannel } from '../rules/schema.ts';
import { DeliveryError, type AlertMessage, type ChannelSender } from './types.ts';

/** An SMTP channel (one pooled transport per channel). */
export function emailSender(c: Static<typeof EmailChannel>): ChannelSender & { close(): void } {
  const transport = nodemailer.createTransport(c.smtp_url);
  return {
    async send(m: AlertMessage) {
      const e = m.event;
      try {
        await transport.sendMail({
          from: c.from, to: c.to, subject: m.title,
          text: `${m.text}\n\n规则 ${e.rule} · 设备 ${e.device} · 楼 ${e.building} · ${new Date(e.at_ms).toISOString()}`,
        });
      } catch (err) {
        const smtp = err as { responseCode?: number; code?: string; message: string };
        // 4xx replies and connection failures are transient (RFC 5321 §4.2.1); 5xx and authentication are not
        const retryable = smtp.responseCode === undefined ? smtp.code !== 'EAUTH' : smtp.responseCode < 500;
        throw new DeliveryError(`SMTP: ${smtp.message.split('\n')[0]}`, retryable);
      }
    },
    close: () => transport.close(),
  };
}
