/**
 * The public surface, decided by hand: the root entry's runtime names are exactly these (a new
 * export is a decision, made here too), no entry re-exports a whole module (`export *`), and
 * `gatehouse/errors` holds error classes only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/error-classes.js';
import * as http from '../../src/http/index.js';
import * as root from '../../src/index.js';

const ROOT = [
  'AuthError',
  'ConfigError',
  'DEFAULT_PASSWORD_POLICY',
  'DEFAULT_ROLE',
  'MemoryRelationshipStore',
  'OWASP_ARGON2_PARAMETERS',
  'PolicyEvaluator',
  'SecurityEvents',
  'assertWritable',
  'bearerAuthenticator',
  'createClientCredentials',
  'createConsoleMailer',
  'createDecisionClient',
  'createDecisionService',
  'createGatehouse',
  'createMemoryMailer',
  'createMemoryStore',
  'createSmtpMailer',
  'defaultMailTemplates',
  'defineCondition',
  'defineFieldPolicy',
  'defineModel',
  'defineRoles',
  'filterReadable',
  'isAuthError',
  'issuerCondition',
  'readableFields',
  'rolesTypeDefinition',
  'scopeCondition',
  'subscribeJsonLines',
  'validateModel',
];

describe('public API', () => {
  it('the root entry exports exactly the listed runtime names', () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT].sort());
  });

  it('no entry re-exports a whole module', () => {
    for (const entry of ['src/index.ts', 'src/error-classes.ts', 'src/http/index.ts']) {
      expect(readFileSync(entry, 'utf8'), entry).not.toMatch(/export \*/);
    }
  });

  it('gatehouse/errors exports error classes only, besides the code list and the guard', () => {
    for (const [name, value] of Object.entries(errors)) {
      if (name === 'AUTH_ERROR_CODES' || name === 'isAuthError') continue;
      expect(typeof value === 'function' && value.prototype instanceof Error, name).toBe(true);
    }
    // Every class the root's documentation sends users to is there.
    for (const name of [
      'TokenExpiredError',
      'RateLimitedError',
      'AlreadyRegisteredError',
      'UnknownRoleError',
    ]) {
      expect(errors).toHaveProperty(name);
    }
  });

  it('gatehouse/http is the adapter kit: the routes, the guards, the Node helpers and the OpenAPI document', () => {
    expect(Object.keys(http).sort()).toEqual(
      [
        'AuthRoutes',
        'HttpGuards',
        'PrincipalMissingError',
        'credentialsFromHeaders',
        'credentialsFromNode',
        'normalizeRequestTarget',
        'openApiDocument',
        'requestFromNode',
        'requirePrincipal',
        'sendResponse',
        'sendResult',
        'serverError',
        'toResponse',
      ].sort(),
    );
  });
});
