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

const log = logger('api');

/** Options of `startApi`. */
export interface ApiOptions {
  site: SiteModel;
  storage: Storage;
  port: number;
  host?: string;
  brokerHealth?: () => { ok: boolean; detail: string };
  /** the gateways' retained statuses (api/status-feed.ts), owned by the caller; absent: device state from telemetry age */
  statusFeed?: StatusFeed;
  /** reference data (coefficients, tariffs, limits); default: the files under config/reference/ */
  reference?: ReferenceData;
  /** clock, for tests */
  now?: () => number;
}

/** The shared state of the routes. */
function createContext(opts: Omit<ApiOptions, 'port' | 'host'>): ApiContext {
  return {
    index: new SiteIndex(opts.site),
    storage: opts.storage,
    brokerHealth: opts.brokerHealth,
    statusFeed: opts.statusFeed,
    now: opts.now ?? Date.now,
    reference: opts.reference ?? loadReferenceData(),
  };
}

/** Build the express application without listening (tests and embedding). */
export function createApp(opts: Omit<ApiOptions, 'port' | 'host'>, ctx: ApiContext = createContext(opts)): express.Express {
  const { requestDuration } = apiMetrics();
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);

  app.use((req, res, next) => {
    const end = requestDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: routeLabel(req), status: String(res.statusCode) }));
    next();
  });

  const v1 = express.Router();
  v1.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  v1.use(healthRoutes(ctx));
  v1.use(buildingRoutes(ctx));
  v1.use(deviceRoutes(ctx));
  v1.use(gatewayRoutes(ctx));
  v1.use(analyticsRoutes(ctx));
  app.use('/api/v1', v1);

  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metricsText();
    res.type(contentType).send(body);
  });

  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) {
      res.status(err.status).json(errorBody(err));
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
