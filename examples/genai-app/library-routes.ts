/**
 * The retrieval library: documents users upload for the model to draw on. A document with
 * personal data (emails, phone numbers, card-like numbers, found by `pii.ts`) is refused unless
 * the policy allows this user to upload it (ABAC on `has_pii`, see `library` in `access-model.ts`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { type CoreContext, type CoreRoute, invalid, json, principalOf, readFields, text } from './core.js';
import { findPii } from './pii.js';

const MAX_DOCUMENT = 20_000;

/** `POST /library/documents` `{ name, text }` and `GET /library/documents` (the caller's own). */
export function libraryRoutes(ctx: CoreContext): CoreRoute[] {
  return [
    {
      method: 'POST',
      path: '/library/documents',
      access: 'signed-in',
      handle: async (request) => {
        const principal = principalOf(request);
        const fields = await readFields(request.request);
        const name = text(fields, 'name', 200);
        const body = text(fields, 'text', MAX_DOCUMENT);
        if (!name || !body) return invalid('name and text must be non-empty strings');
        const found = findPii(body);
        const outcome = await ctx.guards.authorize(principal, 'upload', {
          type: 'library',
          id: 'main',
          attributes: { has_pii: found.length > 0 },
        });
        if (!outcome.ok) {
          return json(422, {
            error: 'pii_detected',
            message: 'The document seems to contain personal data, which you may not upload',
            kinds: found,
          });
        }
        const id = randomUUID();
        ctx.data.documents.set(id, { id, name, ownerId: principal.userId, text: body });
        ctx.data.save();
        return json(201, { id, name, contains_pii: found.length > 0 });
      },
    },
    {
      method: 'GET',
      path: '/library/documents',
      access: 'signed-in',
      handle: (request) => {
        const me = principalOf(request).userId;
        const documents = [...ctx.data.documents.values()]
          .filter((d) => d.ownerId === me)
          .map(({ id, name }) => ({ id, name }));
        return json(200, { documents });
      },
    },
  ];
}
