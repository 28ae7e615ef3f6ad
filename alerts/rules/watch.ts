/**
 * Notice when the alert rules file changes (an edit through the API, or by hand): fs.watch on its folder — an
 * atomic write replaces the file, so the file itself cannot be watched — and, because fs.watch misses changes on
 * some file systems (network mounts, some containers), a look at the content's hash every `pollMs`. Events are
 * debounced; the hash decides, so an editor's several writes, or a touch without a change, call `onChange` once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { logger } from '../../core/log.ts';

/** Options of `watchRulesFile`. */
export interface RulesWatchOptions {
  file: string;
  /** the file's content changed (and reads as a whole); the caller validates and applies it */
  onChange: () => void;
  /** wait this long after the last event before looking; default 300 ms */
  debounceMs?: number;
  /** look at the content's hash this often anyway; default 5 s */
  pollMs?: number;
  /** false: the periodic look alone (a file system whose events cannot be trusted); default true */
  events?: boolean;
}

const log = logger('alerts');

function contentHash(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined; // missing for a moment (replaced) or unreadable: look again at the next event or poll
  }
}

/** Watch the file until `close`. */
export function watchRulesFile(o: RulesWatchOptions): { close(): void } {
  let seen = contentHash(o.file);
  let debounce: NodeJS.Timeout | undefined;
  const look = () => {
    debounce = undefined;
    const h = contentHash(o.file);
    if (h === undefined || h === seen) return;
    seen = h;
    try { o.onChange(); } catch (err) { log.error({ file: o.file, err: (err as Error).message }, 'alert rules not reloaded'); }
  };
  const soon = () => {
    clearTimeout(debounce);
    debounce = setTimeout(look, o.debounceMs ?? 300);
    debounce.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    if (o.events === false) throw new Error('events off');
    const name = basename(o.file);
    watcher = watch(dirname(o.file), { persistent: false }, (_event, changed) => { if (changed === null || changed === name) soon(); });
    watcher.on('error', () => { watcher?.close(); watcher = undefined; }); // the poll still looks
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(soon, o.pollMs ?? 5000);
  poll.unref();
  return {
    close() {
      watcher?.close();
      clearInterval(poll);
      clearTimeout(debounce);
    },
  };
}
