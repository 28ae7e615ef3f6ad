/** The 1.x write mapping and the InfluxQL quoting, as pure functions. */
import { describe, expect, it } from 'vitest';
import { basicAuth, v1WritePath } from './transport.ts';
import { aggregateStatement, quoteIdent, quoteString, rawStatement } from './influxql.ts';
import { parseLines, toLine } from '../line-protocol.ts';

describe('v1WritePath', () => {
  it.each([
    ['ns', 'n'], ['us', 'u'], ['ms', 'ms'], ['s', 's'],
  ])('maps precision %s to %s', (v2, v1) => {
    expect(v1WritePath(`/api/v2/write?org=&bucket=jieneng&precision=${v2}`)).toBe(`/write?db=jieneng&precision=${v1}`);
  });

  it('splits a "database/retention-policy" bucket into db and rp', () => {
    expect(v1WritePath('/api/v2/write?org=o&bucket=jieneng%2Fone_year&precision=ms')).toBe('/write?db=jieneng&rp=one_year&precision=ms');
    expect(v1WritePath('/api/v2/write?org=o&bucket=%E8%8A%82%E8%83%BD%20db&precision=ms&consistency=all')).toBe('/write?db=%E8%8A%82%E8%83%BD+db&precision=ms&consistency=all');
  });

  it('leaves other paths alone', () => {
    expect(v1WritePath('/ping')).toBe('/ping');
    expect(v1WritePath('/api/v2/query?org=o')).toBe('/api/v2/query?org=o');
  });

  it('builds Basic credentials', () => {
    expect(basicAuth('jieneng', 'p:w 节')).toBe(`Basic ${Buffer.from('jieneng:p:w 节').toString('base64')}`);
  });
});

describe('InfluxQL quoting', () => {
  it('escapes quotes, backslashes and line breaks and keeps Unicode', () => {
    expect(quoteIdent('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(quoteString("it's \\ 节能\n")).toBe("'it\\'s \\\\ 节能\\n'");
    expect(quoteString("x' OR 1=1 --")).toBe("'x\\' OR 1=1 --'");
  });

  it('writes windows with the offset normalised and only data-bearing windows', () => {
    expect(aggregateStatement({
      measurement: 'energy_1d', field: 'energy_kwh', fn: 'sum', from: 0, to: 86_400_000, every_ms: 86_400_000, offset_ms: -28_800_000,
      where: { building: ['b1', "b'2"], medium: 'electricity' }, group_by: ['meter', 'building'],
    })).toBe(`SELECT SUM("energy_kwh") AS "value" FROM "energy_1d" WHERE time >= 0ms AND time < 86400000ms AND ("building"::tag = 'b1' OR "building"::tag = 'b\\'2') AND "medium"::tag = 'electricity' GROUP BY time(86400000ms, 57600000ms), "building", "meter" fill(none)`);
    expect(rawStatement({ measurement: 'telemetry', from: 5, to: 10, limit: 3 })).toBe('SELECT * FROM "telemetry" WHERE time >= 5ms AND time < 10ms GROUP BY * ORDER BY time ASC LIMIT 3');
  });
});

describe('line protocol', () => {
  it('escapes as the line protocol reference says, sorts tags, drops empty ones, writes numbers as floats', () => {
    expect(toLine({ measurement: 'a b,c=d', tags: { 'k=1': 'v 1', z: '', a: 'x,y' }, fields: { f: 1, s: 'q"\\', b: true, e: 1e21, 'g h': -0.5 }, time: 5 }))
      .toBe('a\\ b\\,c=d,a=x\\,y,k\\=1=v\\ 1 f=1,s="q\\"\\\\",b=true,e=1e+21,g\\ h=-0.5 5');
  });

  it('reads back what it writes, and what InfluxDB also accepts (integers, boolean spellings, comments)', () => {
    const p = { measurement: 'a b,c=d', tags: { 'k=1': 'v 1', a: 'x,y', 节: '能 源' }, fields: { f: 1, s: 'q"\\ 节,=', b: true, e: 1e21, 'g h': -0.5 }, time: 5 };
    expect(parseLines(`${toLine(p)}\n${toLine({ ...p, time: 6 })}`)).toEqual([{ ...p, tags: { a: 'x,y', 'k=1': 'v 1', 节: '能 源' } }, { ...p, time: 6, tags: { a: 'x,y', 'k=1': 'v 1', 节: '能 源' } }]);
    expect(parseLines('# comment\n\nm,t=1 i=-3i,u=4u,b1=t,b2=FALSE,b3=True 7\n')).toEqual([{ measurement: 'm', tags: { t: '1' }, fields: { i: -3, u: 4, b1: true, b2: false, b3: true }, time: 7 }]);
    for (const bad of ['m', 'm f=1', 'm,t f=1 1', 'm f= 1', 'm f="x 1', 'm f=1 1.5', 'm f=abc 1']) expect(() => parseLines(bad), bad).toThrow(/line protocol/);
  });
});
