/**
 * The example's switches to real outside services, each on loopback: SMTP settings send the
 * mails over SMTP (to an `smtp-server` peer) and turn the development outbox off, and
 * `OPENAI_BASE_URL` relays generation from an OpenAI-compatible server's stream (a loopback
 * server speaking that protocol, as vLLM, llama.cpp or Ollama do; no model weights here).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../mail/smtp-test-server.js';
import { passwordGrant, postJson, startGenAiExample, stopExamples, tempDatabase } from './support.js';

const PASSWORD = 'maple-osprey-28-canyon';
let smtp: TestSmtpServer | undefined;
let modelServer: Server | undefined;

afterAll(async () => {
  stopExamples();
  await smtp?.close();
  await new Promise((resolve) => (modelServer ? modelServer.close(resolve) : resolve(undefined)));
});

describe('example GenAI service with outside services', () => {
  it('sends mail over SMTP when SMTP_HOST is set, and has no outbox then', async () => {
    smtp = await startSmtpServer();
    const { url, output } = await startGenAiExample({
      GATEHOUSE_DB: tempDatabase(),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_INSECURE: '1',
      MAIL_FROM: 'GenAI <genai@example.com>',
    });
    await expect.poll(output).toContain('mail: SMTP');
    expect(
      (await postJson(`${url}/auth/register`, { email: 'sam@example.com', password: PASSWORD })).status,
    ).toBe(202);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail?.rcptTo).toEqual(['sam@example.com']);
    expect(mail?.parsed.text).toContain(`${url}/verify-email?token=`);
    expect((await fetch(`${url}/dev/outbox`)).status).toBe(404);
  });

  it('relays an OpenAI-compatible streaming server when OPENAI_BASE_URL is set', async () => {
    const requests: { authorization: string | undefined; body: Record<string, unknown> }[] = [];
    modelServer = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      requests.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['Gates ', 'keep ', 'gardens.']) {
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => modelServer?.listen(0, '127.0.0.1', resolve));
    const { port } = modelServer.address() as AddressInfo;
    const { url, output } = await startGenAiExample({
      GATEHOUSE_DB: tempDatabase(),
      OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      OPENAI_API_KEY: 'sk-local-test',
      OPENAI_MODEL: 'tiny-model',
    });
    await expect.poll(output).toContain(`text model: tiny-model at http://127.0.0.1:${port}/v1`);
    await postJson(`${url}/auth/register`, { email: 'mo@example.com', password: PASSWORD });
    const token = await passwordGrant(url, 'mo@example.com', PASSWORD);
    const answer = await postJson(`${url}/generate/text`, { prompt: 'A line about gates' }, token);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { output: string }).output).toBe('Gates keep gardens.');
    expect(requests).toEqual([
      {
        authorization: 'Bearer sk-local-test',
        body: {
          model: 'tiny-model',
          stream: true,
          messages: [{ role: 'user', content: 'A line about gates' }],
        },
      },
    ]);
  });
});
