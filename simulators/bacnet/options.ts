/** The settings of a simulated BACnet/IP device (simulators/bacnet/server.ts): its objects, address and faults. */
import type { BACNetObjectID } from '../../gateway/protocols/bacnet/library.ts';
import type { HvacModel } from '../physics/hvac.ts';

/** One simulated object. */
export interface SimObjectSpec {
  objectId: BACNetObjectID;
  /** canonical point the value comes from in the model */
  point: string;
  name: string;
  description?: string;
  /** BACnet engineering unit the device reports (analog objects) */
  units?: number;
  covIncrement?: number;
  writable?: boolean;
  /** Number_Of_States of a multi-state object (default 16) */
  numberOfStates?: number;
}

/** How a simulated device is reached and what it claims. */
export interface BacnetDeviceSimOptions {
  deviceInstance: number;
  name: string;
  objects: SimObjectSpec[];
  model: HvacModel;
  /** bind address: 0.0.0.0 to hear broadcasts on the port, 127.0.0.1 for unicast only */
  interface: string;
  port: number;
  /** needed by the library; the simulator itself never broadcasts */
  broadcastAddress?: string;
  vendorId?: number;
  vendorName?: string;
  modelName?: string;
  /** Max_APDU_Length_Accepted announced and enforced for answers (default 1476) */
  maxApdu?: number;
  /** answer ReadPropertyMultiple (default true); false: reject it like a B-ASC device */
  rpm?: boolean;
  /** accept SubscribeCOV (default true) */
  cov?: boolean;
  /** how often subscriptions are checked for changes, ms (default 1000) */
  covCheckMs?: number;
  /** clock for the physics (tests pass a fixed or fast clock) */
  now?: () => number;
  /** Database_Revision of the Device object (default 1) */
  databaseRevision?: number;
  /** broadcast an I-Am when started, as devices do on start-up (to `broadcastAddress`; default false) */
  announce?: boolean;
}

/** What a test or the demo can break. */
export interface SimFaults {
  /** answer nothing at all */
  offline: boolean;
  /** accept subscriptions but send no notifications */
  covStopped: boolean;
  /** objects that answer unknown-object, by `analog-input:3` */
  unknownObjects: Set<string>;
  /** objects with a Reliability other than no-fault-detected (Status_Flags fault set) */
  unreliable: Map<string, number>;
  /** objects overridden by a local hand switch (Status_Flags overridden; clause 12.1.x: local, not a command) */
  overridden: Set<string>;
}
