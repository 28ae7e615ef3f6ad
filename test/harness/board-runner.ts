/**
 * Runs a Grafana board's panel queries against a real InfluxDB as Grafana would (test/harness/grafana-influxql.ts
 * expands them): its template variables are resolved by running their queries in order, each panel gets its
 * range, auto interval and — for a repeated panel — one run per selected value of the repeat variable.
 */
import { applyVariableRegex, autoInterval, interpolate, panelRange, type Range, type VariableState } from './grafana-influxql.ts';

/** The parts of Grafana's board JSON the runner reads. */
export interface BoardJson {
  title: string;
  timezone: string;
  time: { from: string; to: string };
  templating: { list: { name: string; query: string; regex?: string; multi?: boolean; includeAll?: boolean; allValue?: string; current?: { value?: string | string[] } }[] };
  panels: PanelJson[];
}
export interface PanelJson {
  id: number;
  type: string;
  title: string;
  repeat?: string;
  timeFrom?: string;
  timeShift?: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { refId: string; query: string; alias?: string; resultFormat?: string }[];
}

export interface InfluxSeries { name: string; tags?: Record<string, string>; columns: string[]; values: (number | string | null)[][] }

/** One InfluxQL statement's series, or its error thrown with the query. */
export async function influxQuery(url: string, db: string, q: string): Promise<InfluxSeries[]> {
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ db, q, epoch: 'ms' }) });
  const body = (await res.json()) as { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
  const err = body.error ?? body.results?.[0]?.error;
  if (err) throw new Error(`${q}: ${err}`);
  return body.results?.[0]?.series ?? [];
}

/** What one run of a panel returned: per target, its expanded query and series. */
export interface PanelRun {
  panel: PanelJson;
  /** the repeat variable's value of this run */
  repeatValue?: string;
  range: Range;
  targets: { refId: string; alias?: string; query: string; series: InfluxSeries[] }[];
}

/**
 * Resolve the variables and run every panel. `select` picks variable values by id (else: "All" where the board
 * says so, or the first option in Grafana's alphabetical order of the names).
 */
export async function runBoard(board: BoardJson, opts: { url: string; db: string; now: number; select?: Record<string, string[]> }): Promise<{ vars: Map<string, VariableState & { options: { value: string; text: string }[] }>; runs: PanelRun[] }> {
  const tz = board.timezone;
  const boardRange = panelRange(board.time, {}, opts.now, tz);
  const vars = new Map<string, VariableState & { options: { value: string; text: string }[] }>();
  for (const v of board.templating.list) {
    const q = interpolate(v.query, { range: boardRange, intervalMs: autoInterval(boardRange), vars });
    // Grafana's InfluxDB variable parser: the second column of each row (the value after the time of a SELECT, or
    // after the key of SHOW TAG VALUES), the first when there is one; distinct; sorted by text (sort 1, code units)
    const raw = [...new Set((await influxQuery(opts.url, opts.db, q)).flatMap((s) => s.values.map((row) => String(row[1] ?? row[0]))))];
    const options = applyVariableRegex(raw, v.regex ?? '/(.*)/').sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    if (options.length === 0) throw new Error(`variable ${v.name}: its query returned nothing: ${q}`);
    const chosen = opts.select?.[v.name];
    const all = !chosen && v.includeAll === true && JSON.stringify(v.current?.value ?? '').includes('$__all');
    const picked = chosen ? options.filter((o) => chosen.includes(o.value)) : all ? options : [options[0]];
    if (picked.length === 0) throw new Error(`variable ${v.name}: none of ${chosen?.join(', ')} among ${options.map((o) => o.value).join(', ')}`);
    vars.set(v.name, { values: picked.map((o) => o.value), texts: picked.map((o) => o.text), all, multi: v.multi === true, allValue: v.allValue, options });
  }
  const runs: PanelRun[] = [];
  for (const panel of board.panels) {
    const range = panelRange(board.time, panel, opts.now, tz);
    const intervalMs = autoInterval(range);
    const repeats = panel.repeat ? vars.get(panel.repeat)!.values.map((value) => ({ value, text: vars.get(panel.repeat!)!.texts[vars.get(panel.repeat!)!.values.indexOf(value)] })) : [undefined];
    for (const r of repeats) {
      const scoped = new Map(vars);
      if (r && panel.repeat) scoped.set(panel.repeat, { ...vars.get(panel.repeat)!, values: [r.value], texts: [r.text], all: false });
      const targets = [];
      for (const t of panel.targets ?? []) {
        const query = interpolate(t.query, { range, intervalMs, vars: scoped });
        targets.push({ refId: t.refId, alias: t.alias, query, series: await influxQuery(opts.url, opts.db, query) });
      }
      runs.push({ panel, repeatValue: r?.value, range, targets });
    }
  }
  return { vars, runs };
}

/** Every number a target returned (all value columns). */
export const numbers = (series: InfluxSeries[]): number[] =>
  series.flatMap((s) => s.values.flatMap((row) => row.slice(1).filter((v): v is number => typeof v === 'number')));

/** The sum of a target's numbers. */
export const total = (series: InfluxSeries[]): number => numbers(series).reduce((a, v) => a + v, 0);

/** A run's target by its alias, or by refId. */
export function target(run: PanelRun, name: string) {
  const t = run.targets.find((x) => x.alias === name || x.refId === name);
  if (!t) throw new Error(`panel '${run.panel.title}': no target '${name}'`);
  return t;
}
