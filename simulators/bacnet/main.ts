/**
 * One simulated BACnet/IP controller as a process (for network-namespace tests and manual experiments):
 *   tsx simulators/bacnet/main.ts --template hvac-ahu --instance 1201 [--name AHU-1] [--interface 0.0.0.0] [--port 47808]
 * Prints `ready <ip:port>` on stdout once bound; stops on SIGTERM/SIGINT.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBacnetSimulators } from './index.ts';

/** Run until a signal; returns the exit code. */
export async function bacnetSimMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    template: { type: 'string' }, instance: { type: 'string' }, name: { type: 'string' },
    interface: { type: 'string' }, port: { type: 'string' },
  } });
  if (!values.template || !values.instance) {
    process.stderr.write('usage: main.ts --template ID --instance N [--name NAME] [--interface IP] [--port N]\n');
    return 2;
  }
  const sims = await startBacnetSimulators([{
    template: values.template,
    deviceInstance: Number(values.instance),
    name: values.name ?? `${values.template}-${values.instance}`,
    interface: values.interface ?? '0.0.0.0',
    port: Number(values.port ?? 47808),
  }]);
  process.stdout.write(`ready ${sims.devices[0].address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await sims.stop();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bacnetSimMain(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
