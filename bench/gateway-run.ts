/**
 * Child process of bench/gateway.ts: one gateway doing the real job (planning, decoding, quality checks, disk
 * queue, MQTT QoS 1) on the fleet, polling back to back; on SIGTERM it stops and prints its stats and peak RSS.
 * argv: <mqttUrl> <dataDir> <ports JSON> <pollIntervalMs>
 */
import { startGateway } from '../gateway/runtime.ts';
import { fleetSite } from './gateway-fleet.ts';

const [mqttUrl, dataDir, portsJson, intervalMs] = process.argv.slice(2);
const gw = await startGateway({
  site: fleetSite(JSON.parse(portsJson) as number[]), gatewayId: 'gw-bench', mqttUrl, dataDir,
  pollIntervalMs: Number(intervalMs), maxBatchReadings: 400,
});
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  clearInterval(sampler);
  await gw.stop();
  process.stdout.write(`${JSON.stringify({ stats: gw.stats(), peak_rss_mb: peakRss / 1048576 })}\n`);
  process.exit(0);
});
