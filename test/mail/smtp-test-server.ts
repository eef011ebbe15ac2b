/**
 * A real SMTP server on loopback (smtp-server) for the mail tests: plain TCP, STARTTLS disabled,
 * optional AUTH PLAIN/LOGIN. Every accepted message is parsed with mailparser.
 */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message the server accepted. */
export interface ReceivedMail {
  /** `MAIL FROM` address. */
  readonly mailFrom: string;
  /** `RCPT TO` addresses. */
  readonly rcptTo: readonly string[];
  /** The authenticated user, if any. */
  readonly user: string | undefined;
  /** The parsed message. */
  readonly parsed: ParsedMail;
}

/** A running test server. */
export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** Resolves once at least `count` messages have been received. */
  waitForMessages(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Options of {@link startSmtpServer}. */
export interface TestSmtpServerOptions {
  /** Accepted credentials; when given, AUTH PLAIN/LOGIN is required. */
  readonly users?: Readonly<Record<string, string>>;
  /** The server's rejection text for a failed login (the worst servers echo the credentials). */
  readonly authFailureMessage?: (username: string, password: string) => string;
  /** Recipients the server rejects with 550. */
  readonly rejectRecipients?: readonly string[];
}

/** Starts a server on 127.0.0.1 on a free port; close it with `close()`. */
export async function startSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters: { count: number; resolve: (mails: ReceivedMail[]) => void }[] = [];
  const users = options.users;
  const server = new SMTPServer({
    secure: false,
    logger: false,
    disabledCommands: users ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !users,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 1024 * 1024,
    onAuth(auth, _session, callback) {
      const username = auth.username ?? '';
      const password = auth.password ?? '';
      if (users && Object.hasOwn(users, username) && users[username] === password) {
        callback(null, { user: username });
        return;
      }
      const text =
        options.authFailureMessage?.(username, password) ?? 'Error: Authentication credentials invalid';
      callback(Object.assign(new Error(text), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        callback(Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const from = session.envelope.mailFrom;
          received.push({
            mailFrom: from === false ? '' : from.address,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            parsed,
          });
          for (const waiter of [...waiters]) {
            if (received.length >= waiter.count) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve([...received]);
            }
          }
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    waitForMessages(count: number): Promise<ReceivedMail[]> {
      if (received.length >= count) return Promise.resolve([...received]);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close(): Promise<void> {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
