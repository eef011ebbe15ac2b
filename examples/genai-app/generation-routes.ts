/**
 * `/generate/*` and `/models`: text for any signed-in user (streamed as Server-Sent Events when
 * asked), images for MODERATORs and ADMINs (the role hierarchy), audio for tokens with the
 * `generate:audio` scope or MODERATOR and above, premium models for paid plans and admins (ABAC).
 *
 * @module
 */
import { toResponse } from '../../src/http/index.js';
import {
  type CoreContext,
  type CoreRequest,
  type CoreRoute,
  invalid,
  json,
  principalOf,
  readFields,
  text,
} from './core.js';
import { generateAudioWav, generateImageSvg, MODELS, type ModelInfo, type TextGenerator } from './models.js';
import { containsPii } from './pii.js';

const MAX_PROMPT = 2000;

async function readPrompt(request: Request): Promise<{ prompt?: string; fields: Record<string, unknown> }> {
  const fields = await readFields(request);
  const prompt = text(fields, 'prompt', MAX_PROMPT);
  return prompt ? { prompt, fields } : { fields };
}

const promptMissing = () => invalid('prompt must be a non-empty string of at most 2000 characters');

/** The generation routes over `generator`. */
export function generationRoutes(ctx: CoreContext, generator: TextGenerator): CoreRoute[] {
  /** ABAC: may this user use `model`? Standard models are for everyone; premium ones ask the policy. */
  const mayUse = async (request: CoreRequest, model: ModelInfo) => {
    if (model.tier === 'standard') return true;
    const principal = principalOf(request);
    const plan = ctx.data.profile(principal.userId).plan;
    const outcome = await ctx.guards.authorize(
      principal,
      'use',
      { type: 'model', id: model.id, attributes: { tier: model.tier } },
      { plan },
    );
    return outcome.ok;
  };

  const generateText = async (request: CoreRequest): Promise<Response> => {
    const principal = principalOf(request);
    const { prompt, fields } = await readPrompt(request.request);
    if (!prompt) return promptMissing();
    const model = MODELS.find((m) => m.id === (fields.model ?? 'local-small'));
    if (!model) return invalid('unknown model');
    if (!(await mayUse(request, model))) {
      return json(403, { error: 'plan_required', message: `${model.id} needs a paid plan` });
    }
    // With a conversation: the prompt and the answer are added to it, if the user may post there.
    const conversationId = typeof fields.conversation_id === 'string' ? fields.conversation_id : undefined;
    if (conversationId !== undefined) {
      const resource = { type: 'conversation', id: conversationId };
      const viewer = await ctx.guards.authorize(principal, 'viewer', resource);
      if (!viewer.ok) return toResponse(viewer.result);
      const post = await ctx.guards.authorize(principal, 'post', {
        ...resource,
        attributes: { has_pii: containsPii(prompt) },
      });
      if (!post.ok)
        return json(422, { error: 'pii_detected', message: 'The prompt seems to contain personal data' });
    }
    const record = (answer: string) => {
      const conversation = conversationId ? ctx.data.conversations.get(conversationId) : undefined;
      if (!conversation) return;
      conversation.messages.push({ from: principal.userId, role: 'user', text: prompt });
      conversation.messages.push({ from: model.id, role: 'assistant', text: answer });
      ctx.data.save();
    };

    const wantsStream = (request.request.headers.get('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      let output = '';
      for await (const piece of generator(prompt, model, request.request.signal)) output += piece;
      record(output);
      return json(200, { user: principal.userId, model: model.id, output });
    }
    // Server-Sent Events: one `token` event per chunk, then `done`.
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (event: string, data: unknown) =>
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        let output = '';
        try {
          for await (const piece of generator(prompt, model, request.request.signal)) {
            output += piece;
            send('token', { text: piece });
          }
          record(output);
          send('done', { model: model.id });
        } catch {
          send('error', { error: 'model_unavailable' });
        }
        controller.close();
      },
    });
    return new Response(stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      },
    });
  };

  return [
    {
      method: 'GET',
      path: '/models',
      access: 'signed-in',
      handle: async (request) => {
        const models = [];
        for (const model of MODELS) models.push({ ...model, available: await mayUse(request, model) });
        return json(200, { plan: ctx.data.profile(principalOf(request).userId).plan, models });
      },
    },
    { method: 'POST', path: '/generate/text', access: 'signed-in', handle: generateText },
    {
      method: 'POST',
      path: '/generate/image',
      access: { role: 'MODERATOR' },
      handle: async (request) => {
        const { prompt } = await readPrompt(request.request);
        if (!prompt) return promptMissing();
        return json(200, { user: principalOf(request).userId, image: generateImageSvg(prompt) });
      },
    },
    {
      method: 'POST',
      path: '/generate/audio',
      access: 'signed-in',
      handle: async (request) => {
        const principal = principalOf(request);
        // A token or key granted `generate:audio`, or a MODERATOR and above.
        const byScope = ctx.guards.requireScope(principal, ['generate:audio']);
        if (!byScope.ok && !ctx.guards.requireRole(principal, ['MODERATOR']).ok)
          return toResponse(byScope.result);
        const { prompt } = await readPrompt(request.request);
        if (!prompt) return promptMissing();
        return json(200, { user: principal.userId, audio: generateAudioWav(prompt) });
      },
    },
  ];
}
