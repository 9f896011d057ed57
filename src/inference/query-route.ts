// POST /api/query: the seed's JSON endpoint for other front ends (a web page, a chat bot), sharing
// the answer pipeline and the log (issue 4). Mounted by the app at /api. Every failure is a short
// JSON `{error}` with a fitting status; it must never return a stack trace or an upstream message.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Answerer } from './types.ts';

export interface QueryRoutesDeps {
  answerer: Answerer;
  /** API_TOKEN: when set, requests need `Authorization: Bearer <token>`. */
  apiToken?: string | undefined;
  logger: Logger;
}

const MAX_BODY_BYTES = 16 * 1024;

const BODY = z.object({
  user_id: z.string('user_id must be a string').trim().min(1, 'user_id must not be empty').max(200),
  query: z.string('query must be a string').trim().min(1, 'query must not be empty').max(2000),
  context: z.string('context must be a string').max(8000).optional(),
  lang: z
    .string('lang must be a string')
    .regex(/^[a-z]{2,3}$/, 'lang must be a language code such as en or sw')
    .optional(),
});

export function createQueryRoutes(deps: QueryRoutesDeps): Hono {
  const { answerer, apiToken, logger } = deps;
  const app = new Hono();
  const expected = apiToken ? digest(apiToken) : null;

  app.post(
    '/query',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'body too large' }, 413) }),
    async (c) => {
      if (expected) {
        const header = c.req.header('authorization') ?? '';
        const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
        // Equal-length digests, compared in constant time: the token's length and prefix stay secret.
        if (!timingSafeEqual(digest(token), expected)) {
          c.header('WWW-Authenticate', 'Bearer');
          return c.json({ error: 'missing or wrong bearer token' }, 401);
        }
      }
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
        return c.json({ error: 'send JSON with Content-Type: application/json' }, 415);
      }
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({ error: 'the body is not valid JSON' }, 400);
      }
      const parsed = BODY.safeParse(body);
      if (!parsed.success) {
        return c.json({ error: problem(body, parsed.error.issues[0]) }, 400);
      }
      const { user_id, query, context, lang } = parsed.data;
      try {
        const result = await answerer.query({
          userId: user_id,
          query,
          ...(context ? { context } : {}),
          ...(lang ? { lang } : {}),
        });
        return c.json(result, 200);
      } catch (err) {
        const { status, error } = describeFailure(err);
        logger.warn({ err, status }, '[api] query failed');
        if (status === 503) c.header('Retry-After', '10');
        return c.json({ error }, status);
      }
    },
  );
  return app;
}

/** What a client may learn about a failure: a status and a fixed message, never internals. */
function describeFailure(err: unknown): { status: 502 | 503 | 504 | 500; error: string } {
  if (err instanceof InferenceNetworkError) return { status: 503, error: 'the model is not reachable' };
  if (err instanceof InferenceTimeoutError)
    return { status: 504, error: 'the model took too long to answer' };
  if (err instanceof InferenceHttpError) {
    if (err.status === 503 || err.status === 429) return { status: 503, error: 'busy, try again shortly' };
    if (err.status === 404) return { status: 503, error: 'the model is not available' };
    return { status: 502, error: 'the model failed to answer' };
  }
  return { status: 500, error: 'internal error' };
}

/** One clear sentence about the first problem: a missing field, a wrong type, a bad value. */
function problem(body: unknown, issue: z.core.$ZodIssue | undefined): string {
  const field = issue?.path[0];
  if (
    issue === undefined ||
    field === undefined ||
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body)
  ) {
    return 'the body must be a JSON object with user_id and query';
  }
  if ((body as Record<string, unknown>)[String(field)] === undefined) return `${String(field)} is required`;
  return issue.message;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
