/**
 * Type fixture of `gatehouse/express`, checked by `types.test.ts`: it compiles as is, and each
 * line after a `@ts-expect-error` is an error once the directive is removed. Never run.
 */
import express, { type Request, type Response } from 'express';
import { expectTypeOf } from 'vitest';
import { gatehouseExpress, type Principal, requireAuth } from '../../../adapters/express/index.js';
import type { Gatehouse } from '../../../src/index.js';

declare const gatehouse: Gatehouse;
const gh = gatehouseExpress(gatehouse);
const app = express();
const router = express.Router();

// `req.auth` exists on every request type, without casts; nullable, as no guard is visible to types.
app.get('/anywhere', (req, res) => {
  expectTypeOf(req.auth).toEqualTypeOf<Principal | null | undefined>();
  res.end();
});
export function ownHandler(req: Request<{ id: string }, unknown, { name: string }>, res: Response): void {
  expectTypeOf(req.auth).toEqualTypeOf<Principal | null | undefined>();
  res.end();
}
app.get('/nullable', gh.authenticate(), (req, res) => {
  // @ts-expect-error without the accessor the principal may be missing
  res.json({ id: req.auth.userId });
});

// Behind a guard, `requireAuth(req)` is a `Principal`, never null.
app.get('/me', gh.authenticate(), (req, res) => {
  expectTypeOf(requireAuth(req)).toEqualTypeOf<Principal>();
  res.json({ id: requireAuth(req).userId });
});
router.use(gh.basicAuth());
router.get('/basic', (req, res) => {
  res.json({ id: requireAuth(req).userId });
});
// @ts-expect-error the accessor takes a request
requireAuth('not a request');

// Guards never fix a route's params: handlers after them keep `req.params` typed from the path.
app.get('/orgs/:org', gh.authenticate(), gh.requireRole('ADMIN'), (req, res) => {
  expectTypeOf(req.params.org).toEqualTypeOf<string>();
  res.end();
});

// `authorize`'s callback gets the route's typed request.
app.get(
  '/docs/:id',
  gh.authenticate(),
  gh.authorize('viewer', (req) => {
    expectTypeOf(req.params.id).toEqualTypeOf<string>();
    expectTypeOf(req.auth).toEqualTypeOf<Principal | null | undefined>();
    return { type: 'doc', id: req.params.id };
  }),
  (req, res) => {
    expectTypeOf(req.params.id).toEqualTypeOf<string>();
    res.end();
  },
);
app.get(
  '/orgs/:org/docs/:id',
  gh.authenticate(),
  gh.authorize('viewer', async (req) => ({ type: 'doc', id: `${req.params.org}/${req.params.id}` })),
);
app.get(
  '/docs/:id',
  gh.authenticate(),
  gh.authorize('viewer', (req) => ({
    type: 'doc',
    // @ts-expect-error a param the path does not have
    id: req.params.nope,
  })),
);
const noId = { type: 'doc' };
// @ts-expect-error a resource needs an id
export const withoutId = gh.authorize('viewer', () => noId);
// First in line (or mounted with `use`) the params are Express's dictionary unless named.
app.get(
  '/first/:id',
  gh.authorize<{ id: string }>('viewer', (req) => ({ type: 'doc', id: req.params.id })),
);
router.use(gh.authorize<{ id: string }>('viewer', (req) => ({ type: 'doc', id: req.params.id })));
