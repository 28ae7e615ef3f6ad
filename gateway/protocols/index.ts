/**
 * Which device source serves a device, by its template's protocol kind: `modbus` (register map),
 * `sunspec` (SunSpec models over Modbus), `bacnet` (BACnet/IP objects), `mqtt` (MQTT-native JSON).
 * Each protocol folder exports its factory; this table is the only place they meet.
 */
import type { SourceFactory } from '../source.ts';
import { modbusSourceFactory } from './modbus/source.ts';
import { sunspecSourceFactory } from './sunspec/source.ts';
import { bacnetSourceFactory } from './bacnet/source.ts';
import { mqttSourceFactory } from './mqtt/source.ts';

export type TemplateProtocol = 'modbus' | 'sunspec' | 'bacnet' | 'mqtt';

export const sourceFactories: Partial<Record<TemplateProtocol, SourceFactory>> = {
  modbus: modbusSourceFactory,
  sunspec: sunspecSourceFactory,
  bacnet: bacnetSourceFactory,
  mqtt: mqttSourceFactory,
};
