/**
 * Preloaded into a CLI process by the tests (`--import`): makes `better-sqlite3` unresolvable, as on
 * a machine where that optional peer is not installed. Node runs the last registered resolve hook
 * first, so this one answers before tsx's.
 */
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'better-sqlite3') {
    const error = new Error("Cannot find package 'better-sqlite3' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hook)}`);
