/** Grafana's expansion rules as the board tests apply them, on hand-worked examples. */
import { describe, expect, it } from 'vitest';
import { zonedTime } from '../../core/time.ts';
import { applyVariableRegex, autoInterval, dateMath, formatInterval, interpolate, panelRange } from './grafana-influxql.ts';

const TZ = 'Asia/Shanghai';
const NOW = zonedTime(TZ, 2026, 3, 9, 12); // Monday noon

describe('Grafana InfluxQL expansion', () => {
  it('rounds ranges to local days: from down, to up to the last millisecond', () => {
    expect(dateMath('now-7d/d', NOW, TZ, false)).toBe(zonedTime(TZ, 2026, 3, 2));
    expect(dateMath('now-1d/d', NOW, TZ, true)).toBe(zonedTime(TZ, 2026, 3, 9) - 1);
    expect(dateMath('now/w', NOW, TZ, false)).toBe(zonedTime(TZ, 2026, 3, 9));
    expect(dateMath('now/M', NOW, TZ, false)).toBe(zonedTime(TZ, 2026, 3, 1));
    expect(panelRange({ from: 'now-7d/d', to: 'now-1d/d' }, { timeShift: '1y' }, NOW, TZ)).toEqual({ from: zonedTime(TZ, 2025, 3, 2), to: zonedTime(TZ, 2025, 3, 9) - 1 });
  });

  it('expands $timeFilter, the auto interval and variables as Grafana does', () => {
    const range = { from: 1_000, to: 2_000 };
    const vars = new Map([
      ['building', { values: ['b.1', 'b2'], texts: ['一号楼', '二号楼'], all: false, multi: true }],
      ['all', { values: ['x'], texts: ['x'], all: true, multi: true, allValue: '.*' }],
      ['one', { values: ['a.b'], texts: ['甲'], all: false, multi: false }],
    ]);
    expect(interpolate('WHERE "b" =~ /^$building$/ AND "c" =~ /^${all}$/ AND "d" =~ /^[[one]]$/ AND $timeFilter GROUP BY time($__interval) -- $__interval_ms ${building:text}', { range, intervalMs: 900_000, vars }))
      .toBe('WHERE "b" =~ /^(b\\.1|b2)$/ AND "c" =~ /^.*$/ AND "d" =~ /^a\\.b$/ AND time >= 1000ms and time <= 2000ms GROUP BY time(15m) -- 900000 一号楼 + 二号楼');
    expect(() => interpolate('SELECT $__timeFilter', { range, intervalMs: 1, vars })).toThrow(/not expanded/);
  });

  it('picks the interval from the range and formats it in the largest whole unit', () => {
    expect(autoInterval({ from: 0, to: 7 * 86_400_000 })).toBe(600_000); // 604.8 s → 10 min
    expect(autoInterval({ from: 0, to: 3_600_000 })).toBe(15_000); // the data source's minimum
    expect(formatInterval(86_400_000)).toBe('1d');
    expect(formatInterval(90_000)).toBe('1m');
  });

  it('splits `<id>=<name>` into value and text with the named groups', () => {
    expect(applyVariableRegex(['centre-b1=区行政中心1号楼', 'junk'], '/^(?<value>[^=]+)=(?<text>.*)$/')).toEqual([{ value: 'centre-b1', text: '区行政中心1号楼' }]);
  });
});
