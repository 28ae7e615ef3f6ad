/**
 * Golden byte layouts. Each row is the register content a real device sends (big-endian words on the wire) for a
 * known value; the hex was worked out by hand from IEEE 754 / two's complement, not produced by the codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from './codec.ts';
import type { ByteOrder, Encoding } from './template.ts';

const w = (hex: string) => hex.split(' ').map((h) => parseInt(h, 16));

const golden: [Encoding, ByteOrder, number | string, string][] = [
  // float32 123.456 = 0x42F6E979
  ['float32', 'ABCD', 123.456, '42f6 e979'],
  ['float32', 'CDAB', 123.456, 'e979 42f6'],
  ['float32', 'BADC', 123.456, 'f642 79e9'],
  ['float32', 'DCBA', 123.456, '79e9 f642'],
  // float32 -1.5 = 0xBFC00000
  ['float32', 'ABCD', -1.5, 'bfc0 0000'],
  // int16 -2 = 0xFFFE; 16-bit values only honour the byte swap
  ['int16', 'ABCD', -2, 'fffe'],
  ['int16', 'BADC', -300, 'd4fe'], // -300 = 0xFED4
  ['uint16', 'ABCD', 2305, '0901'],
  ['uint16', 'DCBA', 2305, '0109'],
  ['uint16', 'CDAB', 2305, '0901'],
  // uint32 305419896 = 0x12345678
  ['uint32', 'ABCD', 305419896, '1234 5678'],
  ['uint32', 'CDAB', 305419896, '5678 1234'],
  ['uint32', 'BADC', 305419896, '3412 7856'],
  ['uint32', 'DCBA', 305419896, '7856 3412'],
  // int32 -123456 = 0xFFFE1DC0
  ['int32', 'ABCD', -123456, 'fffe 1dc0'],
  ['int32', 'CDAB', -123456, '1dc0 fffe'],
  ['int32', 'BADC', -123456, 'feff c01d'],
  ['int32', 'DCBA', -123456, 'c01d feff'],
  // uint64 0x0001020304050607 = 283686952306183
  ['uint64', 'ABCD', 283686952306183, '0001 0203 0405 0607'],
  ['uint64', 'CDAB', 283686952306183, '0607 0405 0203 0001'],
  ['uint64', 'BADC', 283686952306183, '0100 0302 0504 0706'],
  ['uint64', 'DCBA', 283686952306183, '0706 0504 0302 0100'],
  // int64 -2 = 0xFFFFFFFFFFFFFFFE
  ['int64', 'ABCD', -2, 'ffff ffff ffff fffe'],
  ['int64', 'CDAB', -2, 'fffe ffff ffff ffff'],
  ['int64', 'DCBA', -2, 'feff ffff ffff ffff'],
  // float64 123.456 = 0x405EDD2F1A9FBE77
  ['float64', 'ABCD', 123.456, '405e dd2f 1a9f be77'],
  ['float64', 'CDAB', 123.456, 'be77 1a9f dd2f 405e'],
  ['float64', 'BADC', 123.456, '5e40 2fdd 9f1a 77be'],
  ['float64', 'DCBA', 123.456, '77be 9f1a 2fdd 5e40'],
  ['bitfield', 'ABCD', 0b101, '0005'],
  ['string', 'ABCD', 'SN1234', '534e 3132 3334'],
  ['string', 'BADC', 'SN1234', '4e53 3231 3433'],
];

describe('codec golden layouts', () => {
  it.each(golden)('%s %s %s ⇄ %s', (type, order, value, hex) => {
    const words = w(hex);
    const decoded = decodeValue(words, type, order);
    if (type === 'float32') expect(decoded).toBeCloseTo(value as number, 4);
    else expect(decoded).toBe(value);
    expect(encodeValue(value, type, order, words.length)).toEqual(words);
  });

  it('trims NUL padding of strings and decodes NaN/inf as such', () => {
    expect(decodeValue(w('4142 4300 0000'), 'string')).toBe('ABC');
    expect(decodeValue(w('7fc0 0000'), 'float32')).toBeNaN();
    expect(decodeValue(w('7f80 0000'), 'float32')).toBe(Infinity);
  });

  it('round-trips every type and order', () => {
    const values: Partial<Record<Encoding, number>> = { int16: -1234, uint16: 65000, int32: -7654321, uint32: 4000000000,
      int64: -9007199254740991, uint64: 9007199254740991, float64: Math.PI };
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      for (const [type, v] of Object.entries(values) as [Encoding, number][]) {
        expect(decodeValue(encodeValue(v, type, order), type, order)).toBe(v);
      }
    }
  });
});
