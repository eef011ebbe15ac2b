/**
 * A command-line client of the example service that signs its user in with the device
 * authorization grant (RFC 8628), written with oauth4webapi as any CLI would be:
 *
 *     node --import tsx examples/genai-app/cli.ts "a prompt"
 *
 * It prints a URL and a code, waits while the user approves on the example's `/device` page, then
 * calls `POST /generate/text` with the access token it got. Environment: `GATEHOUSE_URL` (default
 * `http://127.0.0.1:$PORT`, `PORT` defaulting to 3000 as for the server), `GATEHOUSE_CLI_CLIENT_ID`
 * (default `genai-cli`, the public client the example registers at start-up). When the service
 * cannot be reached, it says which URL it tried.
 */
import { pathToFileURL } from 'node:url';
import * as oauth from 'oauth4webapi';

/** Where the CLI talks to and as which client. */
export interface DeviceLoginOptions {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly scope: string;
  /** Shows the user where to go and which code to type. */
  readonly onCode: (code: {
    userCode: string;
    verificationUri: string;
    verificationUriComplete?: string;
  }) => void;
}

/**
 * Runs the device flow to its end: `authorization_pending` waits, `slow_down` adds 5 s to the
 * interval (RFC 8628 §3.5), `access_denied` and `expired_token` end it with an error.
 */
export async function deviceLogin(options: DeviceLoginOptions): Promise<oauth.TokenEndpointResponse> {
  const base = new URL(options.baseUrl);
  const as: oauth.AuthorizationServer = {
    issuer: 'gatehouse',
    token_endpoint: new URL('/auth/token', base).href,
    device_authorization_endpoint: new URL('/auth/device/authorize', base).href,
  };
  const client: oauth.Client = { client_id: options.clientId };
  // The example runs on http://127.0.0.1; a real CLI talks https only.
  const insecure = { [oauth.allowInsecureRequests]: base.protocol === 'http:' };
  const started = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope: options.scope }, insecure),
  );
  options.onCode({
    userCode: started.user_code,
    verificationUri: started.verification_uri,
    ...(started.verification_uri_complete
      ? { verificationUriComplete: started.verification_uri_complete }
      : {}),
  });
  let interval = started.interval ?? 5;
  const deadline = Date.now() + started.expires_in * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    try {
      return await oauth.processDeviceCodeResponse(
        as,
        client,
        await oauth.deviceCodeGrantRequest(as, client, oauth.None(), started.device_code, insecure),
      );
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending') continue;
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        interval += 5;
        continue;
      }
      throw error;
    }
  }
  throw new Error('the device code expired before it was approved');
}

/** `true` for fetch's network failures (refused connection, unknown host), not HTTP answers. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

async function main(baseUrl: string): Promise<void> {
  const prompt = process.argv.slice(2).join(' ') || 'Hello from the command line';
  const tokens = await deviceLogin({
    baseUrl,
    clientId: process.env.GATEHOUSE_CLI_CLIENT_ID ?? 'genai-cli',
    scope: 'generate:text',
    onCode: ({ userCode, verificationUri, verificationUriComplete }) => {
      console.log(
        `To sign in, open ${verificationUriComplete ?? verificationUri} and enter the code ${userCode}`,
      );
    },
  });
  console.log('Signed in.');
  const response = await fetch(new URL('/generate/text', baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });
  console.log(response.status, await response.text());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const baseUrl = process.env.GATEHOUSE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  main(baseUrl).catch((error: unknown) => {
    // access_denied, expired_token: the OAuth error code says what happened.
    if (error instanceof oauth.ResponseBodyError) console.error(`Sign-in failed: ${error.error}`);
    else if (isNetworkError(error)) {
      console.error(
        `Could not reach ${baseUrl}: is the example running (npm run example)? Set GATEHOUSE_URL to its URL.`,
      );
    } else console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
