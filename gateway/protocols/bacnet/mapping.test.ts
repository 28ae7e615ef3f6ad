/** Unit conversion, quality mapping, object ids, request chunking and template checks: pure functions. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/config/yaml-file.ts';
import { EngineeringUnits as U, PropertyIdentifier as P, Reliability, StatusFlags, StatusFlagsBitString } from './library.ts';
import { formatObjectId, parseObjectId } from './objects.ts';
import { decodeStatusFlags, qualityOf } from './quality.ts';
import { chunkRequests, estimateAnswerOctets } from './reader.ts';
import { parseScanArgs } from './scan.ts';
import { loadTemplateOf } from '../../devices/templates.ts';
import { bacnetConversion, symbolOfUnits } from './units.ts';

describe('engineering units', () => {
  it('converts device units to the unit the point name carries, and back for writes', () => {
    expect(bacnetConversion('power_kw', U.WATTS).toCanonical(5400)).toBeCloseTo(5.4, 9);
    expect(bacnetConversion('supply_temp_c', U.DEGREES_FAHRENHEIT).toCanonical(212)).toBeCloseTo(100, 9);
    expect(bacnetConversion('supply_temp_c', U.DEGREES_FAHRENHEIT).toDevice(0)).toBeCloseTo(32, 9);
    expect(bacnetConversion('chw_flow_m3h', U.LITERS_PER_SECOND).toCanonical(10)).toBeCloseTo(36, 9);
    expect(bacnetConversion('heat_kwh', U.MEGAJOULES).toCanonical(36)).toBeCloseTo(10, 9);
    expect(bacnetConversion('cooling_kw', U.TONS_REFRIGERATION).toCanonical(100)).toBeCloseTo(351.6853, 4);
    expect(bacnetConversion('filter_dp_kpa', U.PASCALS).toCanonical(250)).toBeCloseTo(0.25, 9);
  });

  it('refuses a unit of another quantity or an unknown one, naming both', () => {
    expect(() => bacnetConversion('power_kw', U.DEGREES_CELSIUS)).toThrow('device reports °C (temperature) for a power point');
    expect(() => bacnetConversion('power_kw', 9999)).toThrow(/engineering unit 9999/);
    expect(() => bacnetConversion('power', U.WATTS)).toThrow(/must end in a unit suffix/);
  });

  it('names every engineering unit it converts by the catalogue symbol', () => {
    expect(symbolOfUnits(U.WATTS)).toBe('W');
    expect(symbolOfUnits(U.CUBIC_METERS_PER_HOUR)).toBe('m³/h');
    expect(symbolOfUnits(U.NO_UNITS)).toBe('');
  });
});

describe('quality from Status_Flags and Reliability', () => {
  it('fault or unreliable is bad, out-of-service and overridden uncertain, in-alarm good', () => {
    const flags = (...bits: StatusFlags[]) => decodeStatusFlags(new StatusFlagsBitString(...bits));
    expect(qualityOf(flags(), Reliability.NO_FAULT_DETECTED)).toEqual({ quality: 'good' });
    expect(qualityOf(flags(StatusFlags.IN_ALARM), undefined)).toEqual({ quality: 'good' });
    expect(qualityOf(flags(StatusFlags.FAULT), undefined)).toEqual({ quality: 'bad', reason: 'status flag: fault' });
    expect(qualityOf(flags(), Reliability.OVER_RANGE)).toEqual({ quality: 'bad', reason: 'reliability: over-range' });
    expect(qualityOf(flags(StatusFlags.OUT_OF_SERVICE), undefined).quality).toBe('uncertain');
    expect(qualityOf(flags(StatusFlags.OVERRIDDEN), undefined).quality).toBe('uncertain');
  });
});

describe('object identifiers and chunking', () => {
  it('parses and formats template object ids', () => {
    expect(parseObjectId('analog-input:3')).toEqual({ type: 0, instance: 3 });
    expect(parseObjectId('multi-state-value:1')).toEqual({ type: 19, instance: 1 });
    expect(parseObjectId('analogue-input:3')).toBeUndefined();
    expect(parseObjectId('analog-input:4194304')).toBeUndefined();
    expect(formatObjectId({ type: 5, instance: 12 })).toBe('binary-value:12');
  });

  it('keeps every RPM answer within the max APDU, at least one object per request', () => {
    const reqs = Array.from({ length: 40 }, (_, i) => ({ objectId: { type: 0, instance: i }, properties: [P.PRESENT_VALUE, P.STATUS_FLAGS, P.RELIABILITY] }));
    for (const max of [128, 206, 480, 1476]) {
      const chunks = chunkRequests(reqs, max);
      expect(chunks.flat()).toHaveLength(40);
      for (const c of chunks) expect(3 + c.reduce((s, r) => s + estimateAnswerOctets(r), 0)).toBeLessThanOrEqual(max);
    }
    expect(chunkRequests(reqs.slice(0, 30), 1476)).toHaveLength(1); // ≈ 39 octets an object: 37 fit in 1476
    expect(chunkRequests(reqs, 50).every((c) => c.length === 1)).toBe(true);
  });
});

describe('BACnet templates', () => {
  it.each(['hvac-ahu', 'hvac-chiller-plant', 'hvac-vrf-outdoor', 'hvac-fcu-zone', 'hvac-hot-water'])('%s loads', (id) => {
    const t = loadTemplateOf('bacnet', id);
    expect(t.points.length).toBeGreaterThan(5);
    expect(t.points.some((p) => p.writable)).toBe(true);
  });

  it('names file, line and path for a writable input, a bad object or a unit on a binary object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jn-bacnet-tpl-'));
    const head = 'id: x\nprotocol: bacnet\nname: x\npoints:\n';
    const write = (row: string) => writeFileSync(join(dir, 'x.yaml'), head + row);
    write('  - { point: temp_c, object: "analog-input:1", label: T, writable: true }\n');
    expect(() => loadTemplateOf('bacnet', 'x', dir)).toThrow(ConfigError);
    expect(() => loadTemplateOf('bacnet', 'x', dir)).toThrow(/x\.yaml:5: points\[0\]\.writable: 'analog-input:1' is not an output or value object/);
    write('  - { point: temp_c, object: "analog-inptu:1", label: T }\n');
    expect(() => loadTemplateOf('bacnet', 'x', dir)).toThrow(/points\[0\]\.object: unknown object type/);
    write('  - { point: fan_on, object: "binary-input:1", label: F, units: percent }\n');
    expect(() => loadTemplateOf('bacnet', 'x', dir)).toThrow(/has no Units property/);
    write('  - { point: temp_c, object: "analog-input:1", label: T, unit: celsius }\n');
    expect(() => loadTemplateOf('bacnet', 'x', dir)).toThrow(/points\[0\]\.unit: unknown setting/);
  });
});

describe('scan arguments', () => {
  it('requires the interface and the broadcast address, and parses the rest', () => {
    expect(() => parseScanArgs(['--broadcast', '10.0.0.255'])).toThrow(/--interface IP is required/);
    expect(() => parseScanArgs(['--interface', '10.0.0.5'])).toThrow(/--broadcast ADDR is required/);
    expect(() => parseScanArgs(['--interface', '10.0.0.5', '--broadcast', '10.0.0.255', '--port', 'x'])).toThrow(/--port must be a whole number/);
    expect(() => parseScanArgs(['--interface', '10.0.0.5', '--frob'])).toThrow(/Unknown option '--frob'/);
    expect(parseScanArgs(['--interface', '10.0.0.5', '--broadcast', '10.0.0.255', '--target', '10.0.1.7:47809', '--wait', '2', '--json']))
      .toEqual({ interface: '10.0.0.5', broadcast: '10.0.0.255', targets: ['10.0.1.7:47809'], waitMs: 2000, json: true });
  });
});
