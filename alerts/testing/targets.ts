/**
 * Where an end-to-end alert test delivers: the signing webhook receiver and a real SMTP sink, with the two channels
 * ('hook' and 'mail') a rules file names them by.
 */
import type { SiteModel } from '../../core/site/schema.ts';
import { checkAlertRules, type AlertConfig } from '../rules/load.ts';
import { startMailSink } from './mail-sink.ts';
import { startReceiver, type Receiver, type ReceiverSecrets } from './receiver.ts';

export interface DeliveryTargets {
  receiver: Receiver;
  /** the raw messages the SMTP sink received */
  mails: string[];
  /** the rules file's `channels`: 'hook' (signed webhook) and 'mail' (e-mail) */
  channels: object[];
  /** A checked rules file of these rules, delivering to both channels, 'hook' by default. */
  config(site: SiteModel, rules: object[]): AlertConfig;
  close(): Promise<void>;
}

export async function startDeliveryTargets(secrets: ReceiverSecrets): Promise<DeliveryTargets> {
  const receiver = await startReceiver(secrets);
  const smtp = await startMailSink();
  const channels = [
    { id: 'hook', type: 'webhook', url: receiver.urls.webhook, secret: secrets.webhookSecret },
    { id: 'mail', type: 'email', smtp_url: smtp.url, from: 'jieneng@example.org', to: ['tech@example.org'] },
  ];
  return {
    receiver,
    mails: smtp.mails,
    channels,
    config: (site, rules) => checkAlertRules({ version: 1, channels, default_channels: ['hook'], rules }, site),
    close: async () => { await receiver.close(); await smtp.close(); },
  };
}
