/**
 * The security part of the OpenAPI document (issue #13): the bearer scheme, each operation's security and least
 * role taken from the access table (api/security/access.ts, so the two cannot disagree), its 401/403/429
 * answers, and the admins' audit log route.
 */
import { ACCESS } from './security/access.ts';
import type { Schema } from './openapi-types.ts';

const str: Schema = { type: 'string' };
const errorResponse = (description: string): Schema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** The bearer scheme of API keys. */
export const securitySchemes: Record<string, Schema> = {
  apiKey: {
    type: 'http', scheme: 'bearer', bearerFormat: 'jn_<id>_<secret>',
    description: 'An API key from `jieneng keys create --role R` (the demo writes an admin key to <DATA_DIR>/api-key): `Authorization: Bearer <key>`.',
  },
};

/** Schemas the security routes answer with. */
export const securitySchemas: Record<string, Schema> = {
  AuditEntry: {
    type: 'object', additionalProperties: false,
    required: ['seq', 'time', 'actor', 'actor_name', 'role', 'action', 'target', 'status', 'client'],
    properties: {
      seq: { type: 'integer', description: 'position in the append-only log' },
      time: { type: 'string', format: 'date-time' },
      actor: { ...str, description: 'key id, or cli for the jieneng keys command' },
      actor_name: { ...str, description: "the key's name or owner" },
      role: { type: ['string', 'null'] },
      action: { ...str, description: 'METHOD /route-template, or keys create / keys revoke' },
      target: { ...str, description: 'the request path and query, or the key id concerned' },
      status: { type: ['integer', 'null'], description: 'HTTP status of the answer (403 when refused)' },
      client: { ...str, description: 'client address, or local' },
    },
  },
};

const apiKeyProperties: Record<string, Schema> = {
  id: { ...str, description: 'the public part of the key: jn_<id>_…' },
  name: { ...str, description: "the key's owner or purpose" },
  role: { enum: ['viewer', 'technician', 'statistics', 'manager', 'admin'] },
  buildings: { type: 'array', items: str, description: 'buildings the key is limited to; empty: all' },
  created_at: { type: 'string', format: 'date-time' },
  expires_at: { type: ['string', 'null'], format: 'date-time' },
  revoked_at: { type: ['string', 'null'], format: 'date-time' },
};
securitySchemas.ApiKey = { type: 'object', additionalProperties: false, required: Object.keys(apiKeyProperties), properties: apiKeyProperties };
securitySchemas.NewApiKey = {
  type: 'object', additionalProperties: false, required: [...Object.keys(apiKeyProperties), 'token'],
  properties: { ...apiKeyProperties, token: { ...str, description: 'the key to send as Authorization: Bearer <token>; shown this once only' } },
};
const keyList: Schema = { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } } } };

/** The audit log and key routes, and the metrics that need a key too. */
export const securityPaths: Record<string, Schema> = {
  '/metrics': {
    get: {
      summary: "Prometheus metrics of the process (API request durations, refused authentications by reason, and the in-process components')",
      operationId: 'metrics',
      responses: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: str } } } },
    },
  },
  '/api/v1/keys': {
    get: { summary: 'Every API key (never a secret)', operationId: 'listKeys', responses: { 200: keyList } },
    post: {
      summary: 'Create an API key; the answer holds its secret, once', operationId: 'createKey',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: {
          type: 'object', additionalProperties: false, required: ['role'],
          properties: {
            role: { enum: ['viewer', 'technician', 'statistics', 'manager', 'admin'] }, name: str,
            expires: { ...str, description: 'lifetime: 90d (default), 12h, 30m or never' },
            buildings: { type: 'array', items: str, description: 'limit the key to these buildings' },
          },
        } } },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: { $ref: '#/components/schemas/NewApiKey' } } } },
        400: errorResponse('a field is invalid (named in error.parameter), or the body is not JSON'),
      },
    },
  },
  '/api/v1/keys/{id}': {
    delete: {
      summary: 'Revoke an API key from the next request on', operationId: 'revokeKey',
      parameters: [{ name: 'id', in: 'path', required: true, description: 'key id (jieneng keys list)', schema: str }],
      responses: {
        200: { description: 'Revoked', content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['id', 'revoked'], properties: { id: str, revoked: { const: true } } } } } },
        404: errorResponse('no active key with this id'),
      },
    },
  },
  '/api/v1/audit': {
    get: {
      summary: 'The append-only audit log of writes, newest first', operationId: 'auditLog',
      parameters: [
        { name: 'limit', in: 'query', required: false, description: 'entries to return, 1–1000 (default 100)', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        { name: 'before', in: 'query', required: false, description: 'only entries with seq below this (paging)', schema: { type: 'integer', minimum: 1 } },
      ],
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } } } } },
        400: errorResponse('a parameter is invalid (named in error.parameter)'),
      },
    },
  },
};

/** Give every operation of `paths` its security, least role and refusals, from the access table. */
export function secureOperations(paths: Record<string, Schema>): void {
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Schema>)) {
      const key = `${method.toUpperCase()} ${template.replace(/\{(\w+)\}/g, ':$1')}`;
      const rule = ACCESS[key];
      if (!rule) throw new Error(`api/openapi.ts: ${key} has no rule in api/security/access.ts`);
      const responses = operation.responses as Record<string, Schema>;
      responses[429] = errorResponse('too many failed authentications from this address (Retry-After says when to retry)');
      if (rule.role === 'public') {
        operation.security = [{}, { apiKey: [] }];
        operation.description = 'Open: no key needed; a key that is sent must be valid.';
        responses[401] = errorResponse('a key was sent and is unknown, revoked or expired');
        continue;
      }
      operation.security = [{ apiKey: [] }];
      operation.description = `Needs a key of role ${rule.role} or above${rule.buildings ? '; a key limited to buildings only for its own' : '; not for a key limited to buildings'}.`;
      responses[401] = errorResponse('no key, or an unknown, revoked or expired one');
      responses[403] = errorResponse(`the key's role is below ${rule.role}, or its buildings do not cover the request`);
    }
  }
}
