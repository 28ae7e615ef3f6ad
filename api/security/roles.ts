/**
 * The API's roles (issue #13), each holding every right of the ones before it:
 * viewer (energy and KPIs) < technician (plus devices, gateways, metrics) < statistics (plus KPI derivation,
 * manual entries, imports, exports) < manager (plus contracts and reference data) < admin (plus keys and audit).
 */

/** Roles, least to most privileged. */
export const ROLES = ['viewer', 'technician', 'statistics', 'manager', 'admin'] as const;
export type Role = typeof ROLES[number];

/** Whether `value` names a role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `held` grants at least `needed`. */
export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Who made a request: the key that authenticated it. */
export interface Principal {
  /** key id (the public part of the key, never the secret) */
  keyId: string;
  /** the key's name or owner, as given at creation */
  name: string;
  role: Role;
  /** building ids the key is limited to; empty: every building */
  buildings: string[];
}
