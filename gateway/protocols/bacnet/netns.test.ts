/**
 * Discovery with real broadcast on the standard port 47808, in network namespaces this test creates: a bridge
 * namespace and three hosts on a private /24 (each host's default route on its veth). Two simulated
 * controllers run in two hosts, the scan in the third. Everything is deleted afterwards, also on failure.
 * Skipped (and says so) only where the machine refuses to create namespaces (no root, no CAP_NET_ADMIN).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScannedDevice } from './scan.ts';

const tag = randomBytes(2).toString('hex');
const bridgeNs = `jnbr${tag}`;
const hosts = [0, 1, 2].map((i) => ({ ns: `jnh${i}${tag}`, veth: `jv${tag}h${i}`, peer: `jv${tag}b${i}` }));
const subnet = `10.231.${parseInt(tag, 16) % 250}`;
const ip = (i: number) => `${subnet}.${i + 1}`;
const created: string[] = [];
const children: ChildProcess[] = [];
let refused: string | undefined;

const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  // Deleting a namespace removes its veth ends and the bridge inside it.
  for (const ns of created.splice(0).reverse()) {
    try { run(['netns', 'del', ns]); } catch { /* already gone */ }
  }
}

beforeAll(() => {
  try {
    run(['netns', 'add', bridgeNs]);
    created.push(bridgeNs);
  } catch (err) {
    refused = ((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim();
    return;
  }
  try {
    run(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    hosts.forEach((h, i) => {
      run(['netns', 'add', h.ns]);
      created.push(h.ns);
      run(['link', 'add', h.veth, 'netns', h.ns, 'type', 'veth', 'peer', 'name', h.peer, 'netns', bridgeNs]);
      run(['-n', bridgeNs, 'link', 'set', h.peer, 'master', 'br0', 'up']);
      run(['-n', h.ns, 'link', 'set', 'lo', 'up']);
      run(['-n', h.ns, 'addr', 'add', `${ip(i)}/24`, 'broadcast', `${subnet}.255`, 'dev', h.veth]);
      run(['-n', h.ns, 'link', 'set', h.veth, 'up']);
      run(['-n', h.ns, 'route', 'add', 'default', 'dev', h.veth]);
    });
  } catch (err) {
    cleanup();
    throw err;
  }
});

afterAll(() => cleanup());

/** A TypeScript entry point run by Node with tsx inside a namespace. */
function inNs(ns: string, script: string, args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function output(child: ChildProcess, until: (text: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let errText = '';
    const timer = setTimeout(() => reject(new Error(`timed out; stdout: ${text} stderr: ${errText}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (until(text)) { clearTimeout(timer); resolve(text); }
    });
    child.stderr?.on('data', (d: Buffer) => { errText += d.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (until(text)) resolve(text);
      else reject(new Error(`exited ${code}; stdout: ${text} stderr: ${errText}`));
    });
  });
}

describe('BACnet/IP discovery in network namespaces', () => {
  it('finds both controllers by Who-Is broadcast on 47808 and reads their objects', async (ctx) => {
    if (refused) {
      console.warn(`skipped: this machine refuses to create network namespaces (${refused})`);
      ctx.skip();
      return;
    }
    const ahu = inNs(hosts[1].ns, 'simulators/bacnet/main.ts', ['--template', 'hvac-ahu', '--instance', '1201', '--name', 'AHU-1', '--interface', '0.0.0.0', '--port', '47808']);
    const chp = inNs(hosts[2].ns, 'simulators/bacnet/main.ts', ['--template', 'hvac-chiller-plant', '--instance', '1101', '--name', 'CHP-1', '--interface', '0.0.0.0', '--port', '47808']);
    await Promise.all([output(ahu, (t) => t.includes('ready'), 30_000), output(chp, (t) => t.includes('ready'), 30_000)]);

    const scan = inNs(hosts[0].ns, 'gateway/protocols/bacnet/scan.ts', ['--interface', ip(0), '--broadcast', `${subnet}.255`, '--wait', '2', '--json']);
    const text = await output(scan, (t) => t.trim().endsWith(']'), 40_000);
    const devices = JSON.parse(text.trim()) as ScannedDevice[];
    expect(devices.map((d) => [d.deviceInstance, d.address, d.name])).toEqual([
      [1101, `${ip(2)}:47808`, 'CHP-1'],
      [1201, `${ip(1)}:47808`, 'AHU-1'],
    ]);
    expect(devices[1].objects.find((o) => o.id === 'analog-value:1')).toMatchObject({ name: 'AHU-SAT-SP', units: 'degrees-celsius', presentValue: 16 });
    expect(devices[0].objects.find((o) => o.id === 'analog-input:6')).toMatchObject({ units: 'liters-per-second' });
  }, 90_000);
});
