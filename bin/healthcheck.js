#!/usr/bin/env node
// `node bin/healthcheck.js URL [TIMEOUT_MS]`: exit 0 when a GET of URL answers 2xx within the timeout (default
// 3000 ms), else 1 with one line on stderr. The container health checks of docker-compose.yml run it: the slim
// image has no curl, and plain JavaScript starts in a fraction of the time the bundled command needs.
const [url, timeoutText = '3000'] = process.argv.slice(2);
const timeoutMs = Number(timeoutText);
if (!url || !(timeoutMs > 0)) {
  process.stderr.write('usage: node bin/healthcheck.js URL [TIMEOUT_MS]\n');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  if (!res.ok) {
    process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${err?.cause?.code ?? err?.cause?.message ?? err?.message ?? err}\n`);
  process.exit(1);
}
