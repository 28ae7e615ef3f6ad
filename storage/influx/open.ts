/** Opening InfluxDB (being written: the adapter lands in the next commits). */
import { StartupError } from '../../core/errors.ts';
import type { InfluxConfig } from '../config.ts';
import type { Storage } from '../port.ts';

/** Open InfluxDB as the store. */
export async function openInfluxStorage(config: InfluxConfig): Promise<Storage> {
  throw new StartupError(`InfluxDB at ${config.url}: adapter not available yet — unset INFLUX_URL to use the embedded store`);
}
