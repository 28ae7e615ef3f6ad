/**
 * An automation service without devices, for route tests that are about something else (access rules): overrides
 * and the command history in a real in-memory AutomationStore; commands are audited as refused (no gateway).
 */
import type { AutomationPort } from '../../automation/port.ts';
import { AutomationStore } from '../../automation/store.ts';

/** The port and its store (to create fresh overrides). */
export function storeOnlyAutomation(now: () => number = Date.now): AutomationPort & { store: AutomationStore } {
  const store = new AutomationStore(':memory:');
  return {
    store,
    dryRun: false,
    schedules: () => [],
    overrides: () => store.activeOverrides(now()),
    addOverride: async (o) => store.addOverride({ ...o, created_ms: now() }),
    clearOverride: async (id, by) => store.clearOverride(id, by, now()),
    async command(c) {
      const id = store.record({ at_ms: now(), device: c.device, point: c.point, value: c.value, priority: c.priority ?? 8, layer: 'manual', origin: `api:${c.by}`, outcome: 'refused', detail: 'no gateway in this test', answered_ms: now() });
      return store.command(id)!;
    },
    history: (f) => store.commands(f),
    demand: () => [],
  };
}
