/**
 * Type fixture of `gatehouse/hono`, checked by `types.test.ts`: it compiles as is, and each line
 * after a `@ts-expect-error` is an error once the directive is removed. Never run.
 */
import { type Context, Hono } from 'hono';
import { expectTypeOf } from 'vitest';
import {
  type GatehouseEnv,
  gatehouseHono,
  type Principal,
  requireAuth,
} from '../../../adapters/hono/index.js';
import type { Gatehouse } from '../../../src/index.js';

declare const gatehouse: Gatehouse;
const gh = gatehouseHono(gatehouse);
const app = new Hono<GatehouseEnv>();

// After a guard that requires a principal, `c.get('auth')` is a `Principal`.
app.get('/text', gh.authenticate(), (c) => {
  expectTypeOf(c.get('auth')).toEqualTypeOf<Principal>();
  expectTypeOf(c.var.auth).toEqualTypeOf<Principal>();
  return c.json({ id: c.get('auth').userId });
});
app.get('/admin', gh.authenticate(), gh.requireRole('ADMIN'), (c) => c.json({ id: c.get('auth').userId }));
app.get('/basic', gh.basicAuth(), (c) => c.json({ id: c.get('auth').userId }));
app.get('/scoped', gh.authenticate({ optional: true }), gh.requireScope('read'), (c) =>
  c.json({ id: c.get('auth').userId }),
);
const plain = new Hono();
plain.get('/plain', gh.authenticate(), (c) => c.json({ id: c.get('auth').userId }));
const generate = new Hono<GatehouseEnv>().use(gh.authenticate());
generate.post('/text', (c) => c.json({ id: c.get('auth').userId }));

// `authenticated(handler)`: the guard and the handler as one; the principal is a `Principal`. As
// for `authorize`, name the path to type its params.
app.get(
  '/me',
  gh.authenticated((c) => {
    expectTypeOf(c.get('auth')).toEqualTypeOf<Principal>();
    return c.json({ id: c.get('auth').userId });
  }),
);
plain.get(
  '/things/:id',
  gh.authenticated<'/things/:id'>((c) => {
    expectTypeOf(c.req.param('id')).toEqualTypeOf<string>();
    return c.json({ id: c.req.param('id'), by: c.get('auth').userId });
  }),
);
app.get(
  '/things/:id/parts',
  gh.authenticated<'/things/:id/parts'>((c) =>
    // @ts-expect-error a param the path does not have is `string | undefined`
    c.json({ id: c.req.param('nope').length }),
  ),
);

// Without one, or behind the optional guard, it stays nullable.
app.get('/optional', gh.authenticate({ optional: true }), (c) => {
  expectTypeOf(c.get('auth')).toEqualTypeOf<Principal | null>();
  return c.json({ id: c.get('auth')?.userId ?? null });
});
// @ts-expect-error no guard: the principal may be null
app.get('/open', (c) => c.json({ id: c.get('auth').userId }));
// @ts-expect-error the optional guard lets anonymous requests through
app.get('/maybe', gh.authenticate({ optional: true }), (c) => c.json({ id: c.get('auth').userId }));

// `requireAuth(c)` for a context whose type does not show the guard.
export function helper(c: Context<GatehouseEnv>): string {
  expectTypeOf(requireAuth(c)).toEqualTypeOf<Principal>();
  return requireAuth(c).userId;
}
app.get('/helper', gh.authenticate(), (c) => c.json({ id: requireAuth(c).userId }));
// @ts-expect-error the accessor takes a context
requireAuth({});

// `authorize`'s callback gets the context with the path's params.
app.get(
  '/docs/:id',
  gh.authenticate(),
  gh.authorize<'/docs/:id'>('viewer', (c) => {
    expectTypeOf(c.req.param('id')).toEqualTypeOf<string>();
    expectTypeOf(c.get('auth')).toEqualTypeOf<Principal>();
    return { type: 'doc', id: c.req.param('id') };
  }),
  (c) => c.json({ id: c.req.param('id') }),
);
app.get(
  '/orgs/:org/docs/:id',
  gh.authenticate(),
  gh.authorize('viewer', (c) => ({ type: 'doc', id: `${c.req.param('org')}/${c.req.param('id')}` })),
);
app.get(
  '/x/:id',
  gh.authenticate(),
  gh.authorize<'/x/:id'>('viewer', (c) => ({
    type: 'doc',
    // @ts-expect-error a param the path does not have is `string | undefined`
    id: c.req.param('nope'),
  })),
  (c) => c.json({}),
);
