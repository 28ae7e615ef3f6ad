/** The redaction helper and secret files (issue 13). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecret, redact, redactUrl } from './secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'jieneng-secrets-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('redaction', () => {
  it('masks the password of every URL in a text, keeping the user name', () => {
    expect(redactUrl('mqtt://gw:pa55@broker:1883')).toBe('mqtt://gw:***@broker:1883');
    expect(redact('at mqtts://a:b%40c@h:8883 and http://u:p@i:8086/x')).toBe('at mqtts://a:***@h:8883 and http://u:***@i:8086/x');
    expect(redactUrl('mqtt://broker:1883')).toBe('mqtt://broker:1883');
  });

  it('reads a secret from NAME or NAME_FILE and masks it anywhere afterwards', () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-a-file-42\n');
    expect(readSecret({ X_PASSWORD_FILE: file }, 'X_PASSWORD')).toBe('from-a-file-42');
    expect(redact('{"msg":"failed with from-a-file-42"}')).toBe('{"msg":"failed with ***"}');
    expect(readSecret({ X_PASSWORD: 'direct"quote' }, 'X_PASSWORD')).toBe('direct"quote');
    expect(redact(JSON.stringify({ detail: 'direct"quote' }))).toBe('{"detail":"***"}');
    expect(readSecret({}, 'X_PASSWORD')).toBeUndefined();
    expect(() => readSecret({ X_PASSWORD: 'a', X_PASSWORD_FILE: file }, 'X_PASSWORD')).toThrow(/both X_PASSWORD and X_PASSWORD_FILE/);
    expect(() => readSecret({ X_PASSWORD_FILE: join(dir, 'missing') }, 'X_PASSWORD')).toThrow(/X_PASSWORD_FILE: cannot read .*ENOENT/);
  });
});
