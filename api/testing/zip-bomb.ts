/** A hostile XLSX upload for tests: a ZIP whose one sheet is a small deflated run of spaces that unpacks to `mib` MiB. */
import { crc32, deflateRawSync } from 'node:zlib';

export function zipBomb(mib: number, name = 'xl/worksheets/sheet1.xml'): Buffer {
  const plain = Buffer.alloc(mib * 1024 * 1024, 0x20);
  const packed = deflateRawSync(plain, { level: 9 });
  const file = Buffer.from(name, 'utf8');
  const crc = crc32(plain) >>> 0;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(plain.length, 22); local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(packed.length, 20); central.writeUInt32LE(plain.length, 24); central.writeUInt16LE(file.length, 28);
  central.writeUInt32LE(0, 42);
  const dirAt = 30 + file.length + packed.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + file.length, 12); end.writeUInt32LE(dirAt, 16);
  return Buffer.concat([local, file, packed, central, file, end]);
}
