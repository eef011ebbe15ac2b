/**
 * The common-password blocklist: the `passwords-common` dictionary of `@zxcvbn-ts/language-common`
 * (about 49 000 entries, all lower-case), compared against the whole password.
 *
 * @module
 */

import { dictionary } from '@zxcvbn-ts/language-common';

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * Returns the common-password list as a set of lower-case strings, built on first use.
 *
 * Comparison is by whole string, as NIST SP 800-63B-4 §3.1.1.2 describes: a list entry with a
 * suffix or prefix is a different password and is not rejected by this list (it may still fail
 * another rule). Entries are NFC-normalized so that they compare equal to normalized input.
 *
 * @returns The set of blocklisted passwords, lower-cased and NFC-normalized.
 * @see [NIST SP 800-63B-4 §3.1.1.2](https://pages.nist.gov/800-63-4/sp800-63b.html#password)
 * @see [ASVS 5.0.0 V6.2.4](https://github.com/OWASP/ASVS/blob/master/5.0/en/0x15-V6-Authentication.md)
 */
export function commonPasswordSet(): ReadonlySet<string> {
  if (commonPasswords === undefined) {
    const set = new Set<string>();
    for (const entry of dictionary['passwords-common']) {
      set.add(entry.normalize('NFC').toLowerCase());
    }
    commonPasswords = set;
  }
  return commonPasswords;
}
