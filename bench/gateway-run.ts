/**
 * Child process of bench/gateway.ts: one gateway doing the real job (planning, decoding, quality checks, disk
 * queue, MQTT QoS 1) on the fleet, polling back to back; on SIGTERM it stops and prints its stats and peak RSS.
 * argv: <mqttUrl> <dataDir> <ports JSON> <pollIntervalMs>
 */
import { readFileSync } from 'node:fs';
import { startGateway } from '../gateway/runtime.ts';
import { fleetSite } from './gateway-fleet.ts';

/** This process's peak resident set so far (VmHWM), in MiB. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

const [mqttUrl, dataDir, portsJson, intervalMs] = process.argv.slice(2);
const gw = await startGateway({
  site: fleetSite(JSON.parse(portsJson) as number[]), gatewayId: 'gw-bench', mqttUrl, dataDir,
  pollIntervalMs: Number(intervalMs), maxBatchReadings: 400,
});
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  const peak = peakRssMb();
  await gw.stop();
  process.stdout.write(`${JSON.stringify({ stats: gw.stats(), peak_rss_mb: peak })}\n`);
  process.exit(0);
});
