/** A real SMTP server (the smtp-server package) on a free loopback port that keeps every message it receives. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A running mail sink. */
export interface MailSink {
  /** `smtp://127.0.0.1:PORT`, for an e-mail channel's `smtp_url` */
  url: string;
  /** the raw messages received (headers and body) */
  mails: string[];
  close(): Promise<void>;
}

/** Start one; no login, no STARTTLS (alerts/notifier.test.ts tests those). */
export async function startMailSink(): Promise<MailSink> {
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => { mails.push(Buffer.concat(chunks).toString('utf8')); cb(); });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    mails,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
