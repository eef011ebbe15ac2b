/**
 * A mailer that keeps messages in memory, for tests and prototypes.
 *
 * @module
 */

import { validateMailMessage } from './message.js';
import type { Mailer, MailMessage } from './types.js';

/** A {@link Mailer} that stores what it is asked to send. */
export interface MemoryMailer extends Mailer {
  /** Every message sent so far, oldest first. Each entry is a frozen copy. */
  readonly messages: readonly Readonly<MailMessage>[];
  /** The most recent message, or the most recent one to `to` when given; `undefined` when there is none. */
  last(to?: string): Readonly<MailMessage> | undefined;
  /** Forgets every stored message. */
  clear(): void;
}

/**
 * Creates an in-memory mailer: `send` validates the message like every other mailer, then appends a
 * frozen copy to `messages`. Nothing leaves the process, so it suits tests and prototypes; in a
 * long-running process the list grows without bound, so do not use it in production.
 *
 * @example
 * const mailer = createMemoryMailer();
 * // ... run a registration through gatehouse with `mailer` ...
 * const link = mailer.last('ada@example.com')?.text.match(/https?:\S+/)?.[0];
 */
export function createMemoryMailer(): MemoryMailer {
  const messages: Readonly<MailMessage>[] = [];
  return {
    messages,
    async send(message: MailMessage): Promise<void> {
      messages.push(Object.freeze(validateMailMessage(message)));
    },
    last(to?: string): Readonly<MailMessage> | undefined {
      for (let i = messages.length - 1; i >= 0; i--) {
        const message = messages[i];
        if (message !== undefined && (to === undefined || message.to.toLowerCase() === to.toLowerCase())) {
          return message;
        }
      }
      return undefined;
    },
    clear(): void {
      messages.length = 0;
    },
  };
}
