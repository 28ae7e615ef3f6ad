/** A real Mosquitto 2 broker (Debian's) on a free loopback port, with its own config and temp dir. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './ports.ts';
import { serverLifecycle, startProcess, type TestServer } from './process.ts';

export type MosquittoServer = TestServer;

export interface MosquittoOptions {
  /** extra lines for mosquitto.conf (password_file, acl_file …) */
  extraConfig?: string[];
  /** keep sessions and retained messages on disk across restarts */
  persistence?: boolean;
}

/** Mosquitto with anonymous access on a free loopback port (the test's own lines in `extraConfig`). */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoServer> {
  const port = await freePort();
  return startMosquittoConfig((dir) => ({
    port,
    config: [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence ${opts.persistence ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(opts.extraConfig ?? []),
    ].join('\n') + '\n',
  }));
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Mosquitto running a whole configuration of the test's making (the shipped one, adapted to temp paths and free
 * ports): `render` gets the server's temp dir and returns the config text and the port to wait for.
 */
export async function startMosquittoConfig(render: (dir: string) => { config: string; port: number }): Promise<MosquittoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'jieneng-mosquitto-'));
  const { config, port } = render(dir);
  const conf = join(dir, 'mosquitto.conf');
  // As root, Mosquitto drops to the 'mosquitto' user, which cannot write the temp dir: stay root in tests.
  writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root\n' : ''}${config}`);
  const url = `mqtt://127.0.0.1:${port}`;
  const server: MosquittoServer = {
    url, port, dir,
    ...serverLifecycle(`mosquitto on ${url}`, dir,
      () => startProcess('mosquitto', ['-c', conf], join(dir, 'mosquitto.log')),
      () => tcpOpen(port)),
  };
  await server.start();
  return server;
}
