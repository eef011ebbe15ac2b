// A TypeDoc plugin: files each export of the API reference under a category named after the part
// of gatehouse it belongs to (sessions, tokens, MFA, OAuth, machines, policy, stores, adapters...),
// from the folder that defines it, so no export needs a @category tag by hand. An export that
// already has a @category tag keeps it.
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** Source path prefix (from the repository root) → category; the first match wins. */
const CATEGORIES = [
  ['src/auth/', 'Sessions and accounts'],
  ['src/account/', 'Sessions and accounts'],
  ['src/password/', 'Sessions and accounts'],
  ['src/token/', 'Tokens'],
  ['src/mfa/', 'Two-factor authentication'],
  ['src/oauth/', 'OAuth and OpenID Connect login'],
  ['src/clients/', 'Machines: clients, devices, API keys'],
  ['src/device/', 'Machines: clients, devices, API keys'],
  ['src/apikey/', 'Machines: clients, devices, API keys'],
  ['src/resource-server/', 'Machines: clients, devices, API keys'],
  ['src/policy/', 'Authorization policy'],
  ['src/openfga.ts', 'Authorization policy'],
  ['src/storage/', 'Stores'],
  ['src/testing.ts', 'Stores'],
  ['adapters/sqlite/', 'Stores'],
  ['adapters/postgres/', 'Stores'],
  ['adapters/redis/', 'Stores'],
  ['src/http/', 'HTTP adapters'],
  ['adapters/express/', 'HTTP adapters'],
  ['adapters/fastify/', 'HTTP adapters'],
  ['adapters/hono/', 'HTTP adapters'],
  ['src/defense/', 'Lockout and rate limits'],
  ['src/audit/', 'Security events'],
  ['src/events.ts', 'Security events'],
  ['src/mail/', 'Mail'],
  ['src/error', 'Errors'],
  ['src/errors', 'Errors'],
  ['src/config', 'Setup'],
  ['src/gatehouse.ts', 'Setup'],
];

/** @param {import('typedoc').Application} app */
export function load(app) {
  const root = process.cwd().replaceAll('\\', '/');
  /** Reflection → the file that declares it (source links are off, so `sources` is empty). */
  const declaredIn = new Map();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    if (file) declaredIn.set(reflection, file.replaceAll('\\', '/'));
  });
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
        for (const child of module.children ?? []) {
          if (child.comment?.getTag('@category')) continue;
          const source = declaredIn.get(child);
          if (!source) continue;
          const path = source.startsWith(`${root}/`) ? source.slice(root.length + 1) : source;
          const category = CATEGORIES.find(([prefix]) => path.startsWith(prefix))?.[1];
          if (!category) continue;
          child.comment ??= new Comment();
          child.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: category }]));
        }
      }
    },
    // Before TypeDoc's own CategoryPlugin (-200) reads the tags.
    100,
  );
}
