/**
 * The gateway's answers to commands on `jieneng/v1/<site>/<gateway>/command` and `…/command/write` (decisions 0309,
 * 0311, DESIGN.md D10):
 * `resend` publishes again the acknowledged batches of a seq range from the replay window and names what is gone;
 * `resend_recent` publishes again what the broker acknowledged within the last seconds (a lost collector's
 * share, issue #12.11), once per request id; `write` writes a device's point through its source and answers with
 * the device's result (docs/automation.md). A `write` is carried out only from the write topic, where only the
 * automation account may publish; on the plain command topic (which the collector may publish to) it is refused,
 * and the write topic carries nothing but writes. Anything else is answered `rejected`, never ignored.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { GatewayCommand, type CommandResult, type SeqRange, type WriteCommand, type WriteResult } from '../core/contract/v1.ts';
import type { Logger } from '../core/log.ts';
import type { DiskQueue } from './queue.ts';
import type { DeviceSource } from './source.ts';

/** Batches one `resend` may cover (contract v1). */
export const MAX_RESEND_BATCHES = 10_000;
/** `resend_recent` ids remembered, so that every collector of a group may ask and the gateway sends once. */
const REMEMBERED_IDS = 256;

const checkCommand: ValidateFunction = new Ajv({ allErrors: false, strict: false }).compile(GatewayCommand);

/** What the command handler needs from the gateway. */
export interface CommandContext {
  queue: DiskQueue;
  /** publish the batches of these seq again on the readings topic */
  resend(seqs: number[]): void;
  log: Logger;
  now?: () => number;
  /** the sources of this gateway's devices by id, for `write` (absent: every write is refused) */
  writer?: (device: string) => DeviceSource | undefined;
}

/** Which topic a command came on: `command` (resends) or `write` (`…/command/write`, device writes). */
export type CommandChannel = 'command' | 'write';

/** Handles one gateway's commands; `handle` returns the result to publish. */
export class CommandHandler {
  private readonly recentIds: string[] = [];

  constructor(private readonly ctx: CommandContext) {}

  /** Carry out one command message; the result goes to `…/command/result` (a write's once the device answered). */
  handle(payload: Buffer | string, channel: CommandChannel): CommandResult | Promise<CommandResult> {
    let value: unknown;
    try {
      value = JSON.parse(payload.toString());
    } catch (err) {
      return this.reject(null, `not JSON: ${(err as Error).message}`);
    }
    const id = typeof (value as { id?: unknown } | null)?.id === 'string' ? (value as { id: string }).id : null;
    if (!checkCommand(value)) {
      const e = checkCommand.errors?.[0];
      const type = (value as { type?: unknown } | null)?.type;
      return this.reject(id, typeof type === 'string' && !['resend', 'resend_recent', 'write'].includes(type)
        ? `unknown command type '${type}'`
        : `${e?.instancePath || '(top level)'}: ${e?.message ?? 'invalid'}`);
    }
    const cmd = value as GatewayCommand;
    if (cmd.type === 'write') return this.write(cmd, channel);
    if (channel === 'write') return this.reject(cmd.id, `only writes are accepted on the write topic, not '${cmd.type}'`);
    if (cmd.type === 'resend') {
      if (cmd.to_seq < cmd.from_seq || cmd.to_seq - cmd.from_seq >= MAX_RESEND_BATCHES) {
        return this.reject(cmd.id, `seq range ${cmd.from_seq}..${cmd.to_seq} is empty or longer than ${MAX_RESEND_BATCHES}`);
      }
      const content = this.ctx.queue.range(cmd.from_seq, cmd.to_seq);
      const unavailable: SeqRange[] = content.missing;
      if (content.acked.length > 0) this.ctx.resend(content.acked);
      this.ctx.log.info({ id: cmd.id, from_seq: cmd.from_seq, to_seq: cmd.to_seq, resent: content.acked.length, unavailable }, 'resend requested');
      return { v: 1, type: 'resend', id: cmd.id, from_seq: cmd.from_seq, to_seq: cmd.to_seq, resent: content.acked.length, queued: content.pending.length, unavailable };
    }
    if (this.recentIds.includes(cmd.id)) return { v: 1, type: 'resend_recent', id: cmd.id, resent: 0, duplicate: true };
    this.recentIds.push(cmd.id);
    if (this.recentIds.length > REMEMBERED_IDS) this.recentIds.shift();
    const batches = this.ctx.queue.ackedSince((this.ctx.now ?? Date.now)() - cmd.within_s * 1000, MAX_RESEND_BATCHES);
    if (batches.length > 0) this.ctx.resend(batches);
    this.ctx.log.info({ id: cmd.id, within_s: cmd.within_s, resent: batches.length }, 'recent batches resent');
    return { v: 1, type: 'resend_recent', id: cmd.id, resent: batches.length, duplicate: false };
  }

  /** Write through the device's source; a refusal (nothing sent) is told apart from the device's error. */
  private async write(cmd: WriteCommand, channel: CommandChannel): Promise<WriteResult> {
    const now = this.ctx.now ?? Date.now;
    const answer = (outcome: WriteResult['outcome'], detail?: string): WriteResult => ({
      v: 1, type: 'write', id: cmd.id, device: cmd.device, point: cmd.point, value: cmd.value,
      ...(cmd.priority === undefined ? {} : { priority: cmd.priority }), outcome, ...(detail === undefined ? {} : { detail }), ts: now(),
    });
    const source = this.ctx.writer?.(cmd.device);
    let result: WriteResult;
    // the plain command topic is open to the collector's account: a write there was not sent by automation
    if (channel !== 'write') result = answer('refused', 'writes are accepted only on the write topic');
    else if (!source) result = answer('refused', `no device '${cmd.device}' on this gateway`);
    else if (!source.write) result = answer('refused', `device ${cmd.device}: its protocol cannot write`);
    else {
      try {
        await source.write(cmd.point, cmd.value, cmd.priority);
        result = answer('written');
      } catch (err) {
        // by name: each protocol's source may throw its own WriteRefusedError class (gateway/source.ts)
        result = answer((err as Error).name === 'WriteRefusedError' ? 'refused' : 'failed', (err as Error).message);
      }
    }
    const fields = { id: cmd.id, device: cmd.device, point: cmd.point, value: cmd.value, priority: cmd.priority, by: cmd.by, outcome: result.outcome, detail: result.detail };
    if (result.outcome === 'written') this.ctx.log.info(fields, 'point written');
    else this.ctx.log.warn(fields, 'write not carried out');
    return result;
  }

  private reject(id: string | null, detail: string): CommandResult {
    this.ctx.log.warn({ id, detail }, 'command rejected');
    return { v: 1, type: 'rejected', id, detail };
  }
}
