/**
 * A loopback reverse proxy whose port is known before the app behind it starts: the OAuth tests
 * need the redirect URI (with host and port) in the configuration that the app is built from.
 * It forwards every request unchanged (Host included) and every response unchanged.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontDoor {
  /** `http://127.0.0.1:<port>`: the URL browsers use. */
  readonly url: string;
  /** The app's own URL; requests fail with 502 until it is set. */
  target: string | undefined;
  close(): Promise<void>;
}

export async function startFrontDoor(): Promise<FrontDoor> {
  const door: { target: string | undefined } = { target: undefined };
  const server = createServer((req, res) => {
    if (door.target === undefined) {
      res.writeHead(502).end();
      return;
    }
    const target = new URL(door.target);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(door, {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FrontDoor;
}
