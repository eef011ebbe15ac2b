/**
 * The pages and the development outbox: `GET /` (and the paths emailed links open), `/app.js`,
 * the device-login page `/device` with `/device.js`, `/health`, and in development only
 * `GET /dev/outbox`: the mails the development mailer kept instead of sending them.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CoreContext, type CoreRoute, json } from './core.js';
import { DEVICE_PAGE_HTML, DEVICE_PAGE_SCRIPT } from './device-page.js';
import { PAGE_HEADERS, webPageHtml } from './web-page.js';

const here = dirname(fileURLToPath(import.meta.url));
const APP_SCRIPT = readFileSync(join(here, 'public', 'app.js'), 'utf8');

const html = (body: string) =>
  new Response(body, { headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' } });
const script = (body: string) =>
  new Response(body, { headers: { ...PAGE_HEADERS, 'content-type': 'text/javascript; charset=utf-8' } });

/** The site's routes; `providers` are the configured OAuth providers' names. */
export function siteRoutes(
  ctx: CoreContext,
  options: { providers: readonly string[]; development: boolean },
): CoreRoute[] {
  const page = webPageHtml(options);
  const pageRoute = (path: string): CoreRoute => ({
    method: 'GET',
    path,
    access: 'public',
    handle: () => html(page),
  });
  const routes: CoreRoute[] = [
    { method: 'GET', path: '/health', access: 'public', handle: () => json(200, { ok: true }) },
    pageRoute('/'),
    pageRoute('/verify-email'),
    pageRoute('/reset-password'),
    pageRoute('/confirm-email-change'),
    { method: 'GET', path: '/app.js', access: 'public', handle: () => script(APP_SCRIPT) },
    // The device-login page (RFC 8628): the verification_uri the CLI shows.
    { method: 'GET', path: '/device', access: 'public', handle: () => html(DEVICE_PAGE_HTML) },
    { method: 'GET', path: '/device.js', access: 'public', handle: () => script(DEVICE_PAGE_SCRIPT) },
  ];
  const { outbox } = ctx;
  if (options.development && outbox) {
    // DEVELOPMENT ONLY: anyone who reaches the server reads every mail, reset links included.
    routes.push({
      method: 'GET',
      path: '/dev/outbox',
      access: 'public',
      handle: () =>
        json(200, {
          development_only: true,
          messages: outbox.messages.map(({ to, subject, text }) => ({ to, subject, text })),
        }),
    });
  }
  return routes;
}
