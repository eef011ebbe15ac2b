/**
 * The example GenAI service: a Hono app with gatehouse's auth routes under `/auth`, a text
 * generation route any signed-in user may call, an image route for ADMINs only — the first
 * protected routes of the source chapter — and, given a relationship store, the conversations of
 * `conversations.ts`, authorized by the policy decider (in-process or the decision service). The
 * "models" are small deterministic stand-ins, so the example runs anywhere without weights or
 * network.
 */
import { Hono } from 'hono';
import { type GatehouseEnv, gatehouseHono } from '../../adapters/hono/index.js';
import type { Gatehouse, RelationshipStore } from '../../src/index.js';
import { conversationRoutes } from './conversations.js';
import { DEVICE_PAGE_HEADERS, DEVICE_PAGE_HTML, DEVICE_PAGE_SCRIPT } from './device-page.js';
import { generateImageSvg, generateText } from './models.js';

const MAX_PROMPT_LENGTH = 2000;

async function readPrompt(request: Request): Promise<string | undefined> {
  const body = (await request.json().catch(() => undefined)) as { prompt?: unknown } | undefined;
  const prompt = body?.prompt;
  return typeof prompt === 'string' && prompt.trim() !== '' && prompt.length <= MAX_PROMPT_LENGTH
    ? prompt
    : undefined;
}

/** Builds the example app around a gatehouse instance; `relationships` adds the conversations. */
export function createGenAiApp(
  gatehouse: Gatehouse,
  options: { readonly relationships?: RelationshipStore } = {},
): Hono<GatehouseEnv> {
  const gh = gatehouseHono(gatehouse);
  const app = new Hono<GatehouseEnv>();
  app.get('/health', (c) => c.json({ ok: true }));
  // The device-login page (RFC 8628): the verification_uri the CLI shows.
  app.get('/device', (c) => c.html(DEVICE_PAGE_HTML, 200, DEVICE_PAGE_HEADERS));
  app.get('/device.js', (c) =>
    c.body(DEVICE_PAGE_SCRIPT, 200, {
      ...DEVICE_PAGE_HEADERS,
      'content-type': 'text/javascript; charset=utf-8',
    }),
  );
  app.route('/auth', gh.routes());

  app.post('/generate/text', gh.authenticate(), async (c) => {
    const prompt = await readPrompt(c.req.raw);
    if (!prompt)
      return c.json({ error: 'invalid_request', message: 'prompt must be a non-empty string' }, 400);
    return c.json({ user: c.get('auth')?.userId, output: generateText(prompt) });
  });

  app.post('/generate/image', gh.authenticate(), gh.requireRole('ADMIN'), async (c) => {
    const prompt = await readPrompt(c.req.raw);
    if (!prompt)
      return c.json({ error: 'invalid_request', message: 'prompt must be a non-empty string' }, 400);
    return c.json({ user: c.get('auth')?.userId, image: generateImageSvg(prompt) });
  });
  if (options.relationships) app.route('/conversations', conversationRoutes(gh, options.relationships));
  return app;
}
