/**
 * `GET /keys`, `POST /keys`, `DELETE /keys/:id` (admins, issue #13): the API keys, as `jieneng keys` manages them
 * on the server. A created key's secret is in the POST answer once and nowhere else.
 */
import express, { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';
import { parseExpiry, type KeyInfo } from '../security/keys.ts';
import { isRole, ROLES } from '../security/roles.ts';
import type { SecurityStore } from '../security/store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const shown = (k: KeyInfo) => ({ ...k, created_at: iso(k.created_at) as string, expires_at: iso(k.expires_at), revoked_at: iso(k.revoked_at) });

/** Key management routes. */
export function keyRoutes(ctx: ApiContext, security: SecurityStore): Router {
  const router = Router();
  router.get('/keys', (_req, res) => { res.json(security.keys.list().map(shown)); });
  router.post('/keys', express.json({ limit: '4kb' }), (req, res) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParameter('body', 'send a JSON object { role, name?, expires?, buildings? }');
    const { role, name, expires, buildings } = body as Record<string, unknown>;
    if (typeof role !== 'string' || !isRole(role)) throw badParameter('role', `one of ${ROLES.join(', ')}`);
    if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 200)) throw badParameter('name', 'a string of 1 to 200 characters');
    if (expires !== undefined && typeof expires !== 'string') throw badParameter('expires', 'a duration such as 90d, 12h, 30m or never');
    let lifetime: number | null;
    try {
      lifetime = parseExpiry(expires ?? '90d');
    } catch (err) {
      throw badParameter('expires', (err as Error).message);
    }
    if (buildings !== undefined && (!Array.isArray(buildings) || buildings.some((b) => typeof b !== 'string' || !ctx.index.buildings.has(b)))) {
      throw badParameter('buildings', 'a list of building ids of the site model');
    }
    const { token, key } = security.keys.create({
      name: name ?? `${role} key`, role, buildings: (buildings as string[] | undefined) ?? [], expires_at: lifetime === null ? null : Date.now() + lifetime,
    });
    res.status(201).json({ ...shown(key), token });
  });
  router.delete('/keys/:id', (req, res) => {
    if (!security.keys.revoke(req.params.id)) throw new ApiError(404, 'not_found', `no active key '${req.params.id}'`);
    res.json({ id: req.params.id, revoked: true });
  });
  return router;
}
