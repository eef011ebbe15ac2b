import { describe, expect, it } from 'vitest';
import { normalizeRequestTarget } from '../../src/http/path.js';

describe('normalizeRequestTarget', () => {
  it('decodes unreserved escapes in the path only', () => {
    expect(normalizeRequestTarget('/%61dmin')).toBe('/admin');
    expect(normalizeRequestTarget('/%7Euser/%2d%5f')).toBe('/~user/-_');
    expect(normalizeRequestTarget('/a?x=%61')).toBe('/a?x=%61');
  });

  it('keeps reserved escapes encoded (no new segments), upper-casing their hex', () => {
    expect(normalizeRequestTarget('/admin%2fsecret')).toBe('/admin%2Fsecret');
    expect(normalizeRequestTarget('/%2e%2e/admin')).toBe('/%2E%2E/admin');
    expect(normalizeRequestTarget('/%zz')).toBe('/%zz');
  });
});
