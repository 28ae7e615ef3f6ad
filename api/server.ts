/**
 * The HTTP API (DESIGN.md boundary 5): `/api/v1/…` on express 5, described by the OpenAPI document in
 * openapi.ts. Errors are JSON `{ error: { code, message, parameter? } }`; a route never answers with a bare stack.
 */
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { SiteModel } from '../core/site/schema.ts';
import { logger } from '../core/log.ts';
import { StorageError, type Storage } from '../storage/port.ts';
import type { ApiContext } from './context.ts';
import type { StatusFeed } from './status-feed.ts';
import { ApiError, errorBody } from './errors.ts';
import { apiMetrics, metricsText } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { SiteIndex } from './site-index.ts';
import { buildingRoutes } from './routes/buildings.ts';
import { deviceRoutes } from './routes/devices.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { healthRoutes } from './routes/health.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { loadReferenceData, type ReferenceData } from './reference.ts';
import { auditRoutes } from './routes/audit.ts';
import { keyRoutes } from './routes/keys.ts';
import { exportRoutes } from './routes/exports.ts';
import { importRoutes } from './routes/imports.ts';
import { alertRoutes } from './routes/alerts.ts';
import { automationRoutes } from './routes/automation.ts';
import type { AutomationPort } from '../automation/port.ts';
import { entryRoutes } from './routes/returns-entries.ts';
import type { EntryStore } from './returns/entry-store.ts';
import { alertRuleRoutes } from './routes/alert-rules.ts';
import type { AlertStore } from '../alerts/store.ts';
import { assertEveryRouteHasRule, securityGate, type GateOptions } from './security/enforce.ts';
import type { SecurityStore } from './security/store.ts';

const log = logger('api');

/** Options of `startApi`. */
export interface ApiOptions {
  site: SiteModel;
  storage: Storage;
  port: number;
  /** loopback unless told otherwise (issue #13) */
  host?: string;
  /** API keys and the audit log (api/security/store.ts): every route but health and the document needs a key */
  security: SecurityStore;
  /** failed-authentication limit per client address (default 10 a minute) */
  gate?: GateOptions;
  brokerHealth?: () => { ok: boolean; detail: string };
  /** the gateways' retained statuses (api/status-feed.ts), owned by the caller; absent: device state from telemetry age */
  statusFeed?: StatusFeed;
  /** reference data (coefficients, tariffs, limits); default: the files under config/reference/ */
  reference?: ReferenceData;
  /** clock, for tests */
  now?: () => number;
  /** the alert state (alerts/store.ts) the collector writes; absent: the alert routes answer 503 */
  alerts?: AlertStore;
  /** the manual entries of the annual returns (api/returns/entry-store.ts); absent: their routes answer 503 */
  entries?: EntryStore;
  /** the alert rules file managers edit through the API (docs/alerts.md); absent: the rule routes answer 503 */
  alertRulesFile?: string;
  /** the automation service (automation/runtime.ts) in this process; absent: the automation routes answer 503 */
  automation?: AutomationPort;
}

/** The shared state of the routes. */
function createContext(opts: AppOptions): ApiContext {
  return {
    index: new SiteIndex(opts.site),
    storage: opts.storage,
    brokerHealth: opts.brokerHealth,
    statusFeed: opts.statusFeed,
    now: opts.now ?? Date.now,
    reference: opts.reference ?? loadReferenceData(),
    entries: opts.entries,
  };
}

/** Options of `createApp`. */
export type AppOptions = Omit<ApiOptions, 'port' | 'host'>;

/** Build the express application without listening (tests and embedding). */
export function createApp(opts: AppOptions, ctx: ApiContext = createContext(opts)): express.Express {
  const { requestDuration } = apiMetrics();
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);

  app.use((req, res, next) => {
    const end = requestDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: routeLabel(req), status: String(res.statusCode) }));
    next();
  });
  // one gate before every route: key, role, building scope, audit of writes (decision 0701)
  app.use(securityGate(ctx, opts.security, opts.gate));

  const v1 = express.Router();
  v1.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  v1.use(healthRoutes(ctx));
  v1.use(buildingRoutes(ctx));
  v1.use(deviceRoutes(ctx));
  v1.use(gatewayRoutes(ctx));
  v1.use(analyticsRoutes(ctx));
  v1.use(exportRoutes(ctx));
  v1.use(importRoutes(ctx));
  v1.use(auditRoutes(ctx, opts.security));
  v1.use(keyRoutes(ctx, opts.security));
  v1.use(alertRoutes(ctx, opts.alerts));
  v1.use(automationRoutes(ctx, opts.automation));
  v1.use(entryRoutes(ctx, opts.entries));
  v1.use(alertRuleRoutes(ctx, opts.alertRulesFile));
  app.use('/api/v1', v1);

  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metricsText();
    res.type(contentType).send(body);
  });
  assertEveryRouteHasRule(app);

  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) {
      res.status(err.status).json(errorBody(err));
    } else if (clientError(err)) {
      // express's body parser: malformed JSON (400), a body over the limit (413)
      res.status(err.status).json(errorBody(new ApiError(err.status, 'bad_request', err.message)));
    } else if (err instanceof URIError) {
      // express could not decode a path parameter (`/devices/%ff/latest`): the client's fault, not ours
      res.status(400).json(errorBody(new ApiError(400, 'bad_parameter', `the path holds a malformed percent-escape: ${req.path.slice(0, 200)}`, 'path')));
    } else if (err instanceof StorageError) {
      log.warn({ err: err.message, path: req.path }, 'storage unavailable');
      res.status(503).json(errorBody(new ApiError(503, 'storage_unavailable', `the store did not answer: ${err.message}`)));
    } else {
      log.error({ err, path: req.path }, 'request failed');
      res.status(500).json(errorBody(new ApiError(500, 'internal', 'internal error; see the API log')));
    }
  });
  return app;
}

/** An error express or its body parser marked as the client's (http-errors: 4xx with `expose`). */
function clientError(err: unknown): err is { status: number; message: string } {
  const e = err as { status?: unknown; expose?: unknown };
  return typeof err === 'object' && err !== null && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true;
}

/** Route template for metrics labels (`/api/v1/buildings/:id/energy`), never the raw path (unbounded cardinality). */
function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl}${route}` : 'unmatched';
}

/** Start the API; resolves once listening. `port: 0` picks a free port (returned). */
export async function startApi(opts: ApiOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const ctx = createContext(opts);
  const app = createApp(opts, ctx);
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(opts.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port }, `API listening on http://${host}:${port}/api/v1`);
  return {
    port,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
