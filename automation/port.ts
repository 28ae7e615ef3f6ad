/** What the API asks of a running automation service (api/routes/automation.ts): narrow, so a test may pass a fake. */
import type { CommandFilter, CommandRecord, DemandEffectDay, Override } from './store.ts';
import type { DayProgramme } from './programme.ts';

/** A schedule as people see it: its scope, today's programme and whether it holds its targets occupied now. */
export interface ScheduleView {
  id: string;
  name: string;
  building: string;
  zone: string | null;
  today: DayProgramme;
  occupied: boolean;
  lead_min: number;
  targets: { device: string; point: string; occupied: number; unoccupied: number | 'release' }[];
}

/** A demand limit now and its measured effect per day. */
export interface DemandView {
  id: string;
  name: string;
  building: string;
  contracted_max_kw: number;
  limit_kw: number;
  active: boolean;
  period: string | null;
  forecast_kw: number | null;
  demand_kw: number | null;
  shed_kw: number;
  shed: { device: string; point: string; since_ms: number }[];
  days: DemandEffectDay[];
}

/** A request the service refuses (unknown point, value out of limits): the API answers 400 with the message. */
export class AutomationInputError extends Error {
  override name = 'AutomationInputError';
}

/** The service behind the automation routes. */
export interface AutomationPort {
  readonly dryRun: boolean;
  schedules(): ScheduleView[];
  overrides(): Override[];
  /** hold a configured point at `value` at the override priority until cleared or `until_ms` */
  addOverride(o: { device: string; point: string; value: number; until_ms: number | null; by: string; comment: string }): Promise<Override>;
  clearOverride(id: number, by: string): Promise<boolean>;
  /** one write now, audited as `api:<by>` (priority default: the override priority); resolves with the device's answer */
  command(c: { device: string; point: string; value: number | null; priority?: number; by: string }): Promise<CommandRecord>;
  history(f: CommandFilter): CommandRecord[];
  demand(fromDate?: string, toDate?: string): DemandView[];
}
