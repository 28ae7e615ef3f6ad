/**
 * The one gate every request passes (issue #13, decision 0701): authenticate the bearer key (failures counted
 * and rate-limited per client address), find the request's entry in the access table, refuse with 401/403 as
 * JSON, and audit every write (who, when, what, status, from where) once it is answered.
 */
import type { NextFunction, Request, Response } from 'express';
import { logger } from '../../core/log.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { apiMetrics } from '../metrics.ts';
import { ACCESS, findRule } from './access.ts';
import { clientKey, FailureLimiter } from './rate-limit.ts';
import { roleAtLeast, type Principal } from './roles.ts';
import type { SecurityStore } from './store.ts';

const log = logger('api-auth');
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The principal of an authenticated request, or undefined (anonymous, on a public route). */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/** Options of the gate. */
export interface GateOptions {
  /** failed authentications per client address within a minute before 429 (default 10) */
  failureLimit?: number;
}

/** The express middleware that authenticates, authorises and audits. */
export function securityGate(ctx: ApiContext, security: SecurityStore, opts: GateOptions = {}) {
  const limiter = new FailureLimiter(opts.failureLimit ?? 10, 60_000);
  const { authFailures } = apiMetrics();
  return (req: Request, res: Response, next: NextFunction): void => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const header = req.headers.authorization;
    let principal: Principal | undefined;
    if (header !== undefined) {
      const counted = clientKey(client);
      const retry = limiter.retryAfterS(counted);
      if (retry > 0) {
        authFailures.inc({ reason: 'rate_limited' });
        res.setHeader('Retry-After', String(retry));
        return next(new ApiError(429, 'too_many_failures', `too many failed authentications from this address; retry after ${retry} s`));
      }
      const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
      const verdict = token === undefined ? { failure: 'malformed' as const } : security.keys.verify(token);
      if ('failure' in verdict) {
        limiter.fail(counted);
        authFailures.inc({ reason: verdict.failure });
        log.info({ client, reason: verdict.failure, key: 'keyId' in verdict ? verdict.keyId : undefined, path: req.path }, 'authentication failed');
        res.setHeader('WWW-Authenticate', 'Bearer realm="jieneng", error="invalid_token"');
        return next(new ApiError(401, 'unauthenticated', 'invalid, revoked or expired API key'));
      }
      principal = verdict.principal;
      res.locals.principal = principal;
    }
    const found = findRule(req.method, req.path);
    if (!found) return next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`));
    const { rule, params, key } = found;
    if (rule.role === 'public') return next();
    if (!principal) {
      authFailures.inc({ reason: 'missing' });
      res.setHeader('WWW-Authenticate', 'Bearer realm="jieneng"');
      return next(new ApiError(401, 'unauthenticated', 'this route needs an API key: Authorization: Bearer <key>'));
    }
    if (!READS.has(req.method)) {
      const who = principal;
      res.on('finish', () => {
        try {
          security.audit.append({
            actor: who.keyId, actor_name: who.name, role: who.role, action: key,
            target: req.originalUrl.slice(0, 1000), status: res.statusCode, client,
          });
        } catch (err) {
          log.error({ err, action: key }, 'audit log append failed');
        }
      });
    }
    if (!roleAtLeast(principal.role, rule.role)) {
      return next(new ApiError(403, 'forbidden', `role ${principal.role} may not ${key}; it needs ${rule.role} or above`));
    }
    if (principal.buildings.length > 0) {
      let touched: string[] | 'site';
      try {
        touched = rule.buildings ? rule.buildings(params, req.query, ctx) : 'site';
      } catch (err) {
        return next(err);
      }
      const allowed = new Set(principal.buildings);
      if (touched === 'site' || touched.some((b) => !allowed.has(b))) {
        return next(new ApiError(403, 'forbidden', `this key is limited to buildings ${principal.buildings.join(', ')}; the request covers ${touched === 'site' ? 'the whole site' : touched.join(', ')}`));
      }
    }
    next();
  };
}

interface LayerLike { route?: { path: unknown; methods: Record<string, boolean> }; handle?: { stack?: LayerLike[] }; rawPath?: unknown }

/** Every `METHOD /template` express routes, walking nested routers (router 2.x layers). */
export function routeKeys(app: { router: unknown }): string[] {
  const out: string[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = typeof layer.route.path === 'string' ? layer.route.path : `<${String(layer.route.path)}>`;
        for (const method of Object.keys(layer.route.methods)) if (method !== '_all') out.push(`${method.toUpperCase()} ${prefix}${path}`);
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app.router as { stack: LayerLike[] }).stack, '');
  return out;
}

/** Throw unless every route has an entry in the access table (called when the app is built). */
export function assertEveryRouteHasRule(app: { router: unknown }): void {
  const missing = routeKeys(app).filter((k) => !(k in ACCESS));
  if (missing.length > 0) throw new Error(`api/security/access.ts: no access rule for ${missing.join(', ')}`);
}
