/**
 * The alert rules file through the API (issue 14): technicians read the rules, managers put and remove them
 * (api/security/access.ts). Each change is validated like the file (alerts/rules/edit.ts), written to the file
 * the collector loads, and audited like every write (api/security/enforce.ts). It takes effect when the collector
 * that evaluates the file restarts (docs/alerts.md). A file not there yet lists no rules and is created by the first
 * rule put, when its folder exists; else the answer names the file and its setting, and how to fix it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import express, { Router } from 'express';
import { ConfigError } from '../../core/config/yaml-file.ts';
import { deleteRule, putRule, readRules } from '../../alerts/rules/edit.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, badParameter } from '../errors.ts';

const ID = /^[a-z0-9][a-z0-9_-]*$/;

/** The rule routes; without a rules file configured, or a folder to create it in, they answer 503. */
export function alertRuleRoutes(ctx: ApiContext, file: string | undefined): Router {
  const router = Router();
  const need = (): string => {
    if (!file) throw new ApiError(503, 'alerts_off', 'no alert rules file is configured for the API (ALERT_RULES_FILE, docs/alerts.md)');
    return file;
  };
  /**
   * The configured file, which a put may create. When it cannot be, the manager is told which file (by its name and
   * setting: server paths stay out of answers, as everywhere in the API) and what to do.
   */
  const writable = (): string => {
    const f = need();
    if (!existsSync(f) && !existsSync(dirname(f))) {
      throw new ApiError(503, 'alerts_off', `the alert rules file ${basename(f)} (ALERT_RULES_FILE) cannot be created: its folder does not exist (create the folder, or point ALERT_RULES_FILE at a file in an existing folder; docs/alerts.md)`);
    }
    return f;
  };
  const invalid = (err: unknown): never => {
    // the setting and the problem, without the server's file path
    if (err instanceof ConfigError) throw new ApiError(400, 'invalid_rule', `${err.path ? `${err.path}: ` : ''}${err.problem}`, err.path || undefined);
    throw err;
  };

  router.get('/alert-rules', (_req, res) => { res.json(readRules(need())); });

  router.put('/alert-rules/:id', express.json({ limit: '32kb' }), (req, res) => {
    const f = writable();
    if (!ID.test(req.params.id)) throw badParameter('id', `'${req.params.id}' is not a rule id (lower-case letters, digits, - and _)`);
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParameter('body', 'send the rule as a JSON object, as written in the rules file');
    const { id, ...rest } = body as Record<string, unknown>;
    if (id !== undefined && id !== req.params.id) throw badParameter('id', `the body's id '${String(id)}' is not the path's '${req.params.id}'`);
    const rule = { id: req.params.id, ...rest }; // the id first, as rules are written
    let created = false;
    try {
      ({ created } = putRule(f, ctx.index.site, rule));
    } catch (err) {
      invalid(err);
    }
    res.status(created ? 201 : 200).json(readRules(f).find((r) => r.id === req.params.id));
  });

  router.delete('/alert-rules/:id', (req, res) => {
    const f = need();
    let deleted = false;
    try {
      deleted = deleteRule(f, ctx.index.site, req.params.id);
    } catch (err) {
      invalid(err);
    }
    if (!deleted) throw new ApiError(404, 'not_found', `no rule '${req.params.id}' in the rules file`);
    res.json({ id: req.params.id, deleted: true });
  });
  return router;
}
