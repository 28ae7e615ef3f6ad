/** InfluxQL look-ups for collector tests: row counts and sums straight from the server. */

/** The first value of a single-value InfluxQL answer, or 0 when there is no row. */
export async function influxScalar(url: string, db: string, q: string): Promise<number> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`);
  const body = (await res.json()) as { results: { series?: { values: [number, number][] }[]; error?: string }[] };
  const r = body.results[0];
  if (r.error) throw new Error(`${q}: ${r.error}`);
  return r.series?.[0]?.values[0]?.[1] ?? 0;
}
