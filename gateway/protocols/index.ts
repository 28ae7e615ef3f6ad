/**
 * The registry of protocols (decision 0006): per template protocol, the schema of its template files, the checks
 * a schema cannot express and the factory of its device source. This table is the only place they meet; the
 * protocol names themselves belong to the catalogue of device models (core/devices/model.ts).
 */
import type { TSchema } from '@sinclair/typebox';
import type { TemplateProtocol } from '../../core/devices/model.ts';
import type { DeviceSource, SourceContext, SourceFactory } from '../source.ts';
import { bacnetSourceFactory } from './bacnet/source.ts';
import { checkBacnetTemplateRules, templateSchema as bacnetSchema, type BacnetTemplate } from './bacnet/template.ts';
import { modbusSourceFactory } from './modbus/source.ts';
import { checkTemplateRows, templateSchema as modbusSchema, type ModbusTemplate } from './modbus/template.ts';
import { mqttSourceFactory } from './mqtt/source.ts';
import { checkMqttTemplateRules, templateSchema as mqttSchema, type MqttTemplate } from './mqtt/template.ts';
import { sunspecSourceFactory } from './sunspec/source.ts';
import { checkSunspecTemplate, templateSchema as sunspecSchema, type SunspecTemplate } from './sunspec/template.ts';

/** A problem a protocol's checks found, at a path of the template file. */
export interface TemplateProblem { path: string; problem: string }

/** What one protocol contributes: `T` is its validated template. */
export interface Protocol<T> {
  schema: TSchema;
  check(template: T): TemplateProblem | undefined;
  source: SourceFactory<T>;
}

/** Every protocol's validated template type, by protocol. */
export interface TemplateOf {
  modbus: ModbusTemplate;
  sunspec: SunspecTemplate;
  bacnet: BacnetTemplate;
  mqtt: MqttTemplate;
}

/** The registry: one entry per protocol of the catalogue (the type fails to compile when one is missing). */
export const protocols: { [P in TemplateProtocol]: Protocol<TemplateOf[P]> } = {
  modbus: { schema: modbusSchema, check: checkTemplateRows, source: modbusSourceFactory },
  sunspec: { schema: sunspecSchema, check: checkSunspecTemplate, source: sunspecSourceFactory },
  bacnet: { schema: bacnetSchema, check: checkBacnetTemplateRules, source: bacnetSourceFactory },
  mqtt: { schema: mqttSchema, check: checkMqttTemplateRules, source: mqttSourceFactory },
};

/** The device source of a device with this validated template, made by its protocol's factory. */
export function createSource(ctx: SourceContext, template: TemplateOf[TemplateProtocol]): DeviceSource {
  return (protocols[template.protocol] as Protocol<typeof template>).source(ctx, template);
}
