/**
 * How large a ZIP file (an XLSX upload) is once unpacked, measured before a reader (exceljs) unpacks it: a few
 * megabytes of deflated XML can unpack to gigabytes (a "zip bomb") and take the process down. Each entry is
 * inflated here with a cap on its output, so a size the file's headers understate cannot get past it.
 */
import { inflateRawSync } from 'node:zlib';

/** The file is not a ZIP we can measure, or unpacks to more than allowed; the message says which. */
export class ZipSizeError extends Error {}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRIES = 10_000;

/** Throws ZipSizeError when the entries unpack to more than maxBytes together. Returns the unpacked size. */
export function checkZipSize(bytes: Buffer, maxBytes: number): number {
  const eocd = findEnd(bytes);
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  if (count > MAX_ENTRIES) throw new ZipSizeError(`the file holds ${count} parts, more than ${MAX_ENTRIES}`);
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) throw new ZipSizeError('the ZIP directory is damaged');
    const method = bytes.readUInt16LE(at + 10);
    const packed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.toString('utf8', at + 46, at + 46 + bytes.readUInt16LE(at + 28));
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== LOCAL) throw new ZipSizeError(`the ZIP part '${name}' is damaged`);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    if (start + packed > bytes.length) throw new ZipSizeError(`the ZIP part '${name}' is cut short`);
    const left = maxBytes - total;
    if (method === 0) total += packed;
    else if (method === 8) {
      try {
        total += inflateRawSync(bytes.subarray(start, start + packed), { maxOutputLength: Math.max(1, left) }).length;
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
        throw new ZipSizeError(`the ZIP part '${name}' does not unpack (${(err as Error).message})`);
      }
    } else throw new ZipSizeError(`the ZIP part '${name}' uses compression method ${method}, not stored or deflated`);
    if (total > maxBytes) throw tooLarge(maxBytes);
  }
  return total;
}

function tooLarge(maxBytes: number): ZipSizeError {
  return new ZipSizeError(`the file unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
}

/** The end-of-central-directory record: the last 22 bytes, or before them a comment of up to 65 535 bytes. */
function findEnd(bytes: Buffer): number {
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at--) {
    if (bytes.readUInt32LE(at) === EOCD) return at;
  }
  throw new ZipSizeError('not a ZIP file (no end-of-directory record)');
}

/**
 * The most an XLSX upload through the API may unpack to, 32 MiB of sheet XML: about 8 MB of CSV rows, while
 * exceljs holds every cell as an object (several hundred MB resident); larger workbooks go through the command.
 */
export const UPLOAD_UNPACKED_MAX_BYTES = 32 * 1024 * 1024;
