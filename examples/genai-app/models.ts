/**
 * The example's model backends. No weights are downloaded and nothing leaves the machine unless
 * you point it at a model server:
 *
 * - the built-in local generator: deterministic text from the prompt, streamed word by word, so the
 *   streaming path of the app can be seen without a model;
 * - an OpenAI-compatible server (`OPENAI_BASE_URL`, e.g. `http://127.0.0.1:11434/v1` for Ollama or a
 *   vLLM / llama.cpp server, with `OPENAI_API_KEY` and `OPENAI_MODEL`): its
 *   `/chat/completions` stream is relayed token by token;
 * - stand-ins for images (an SVG gradient) and audio (a short WAV tone), functions of the prompt.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/** A model the app offers, and whether it needs a paid plan. */
export interface ModelInfo {
  readonly id: string;
  readonly tier: 'standard' | 'premium';
  readonly description: string;
}

/** The catalogue shown by `GET /models`; premium models are checked by the policy (ABAC). */
export const MODELS: readonly ModelInfo[] = [
  { id: 'local-small', tier: 'standard', description: 'Built-in deterministic generator' },
  { id: 'local-large', tier: 'premium', description: 'The same, with longer answers (paid plans)' },
];

/** Streams the answer to a prompt as text chunks. */
export type TextGenerator = (prompt: string, model: ModelInfo, signal?: AbortSignal) => AsyncIterable<string>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The built-in generator: a fixed-shape answer built from the prompt's words, a word every few ms. */
export function localGenerator(options: { delayMs?: number } = {}): TextGenerator {
  const delay = options.delayMs ?? 15;
  return async function* generate(prompt, model, signal) {
    const words = prompt.trim().split(/\s+/).slice(0, 12).join(' ');
    const digest = createHash('sha256').update(prompt).digest();
    const topics = ['keys', 'gates', 'locks', 'tokens', 'roles', 'policies'];
    const topic = topics[(digest[0] ?? 0) % topics.length];
    let answer = `You asked about "${words}". Here is a thoughtful answer about ${topic}, generated without a model.`;
    if (model.tier === 'premium') answer += ' As a premium answer, it also comes with a second sentence.';
    for (const piece of answer.split(/(?<= )/)) {
      if (signal?.aborted) return;
      yield piece;
      if (delay > 0) await sleep(delay);
    }
  };
}

/**
 * A generator that relays an OpenAI-compatible `/chat/completions` stream. `baseUrl` ends before
 * `/chat/completions` (e.g. `http://127.0.0.1:11434/v1`).
 */
export function openAiCompatibleGenerator(options: {
  baseUrl: string;
  apiKey?: string;
  model: string;
}): TextGenerator {
  return async function* generate(prompt, _model, signal) {
    const response = await fetch(`${options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: options.model,
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      }),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok || !response.body) throw new Error(`model server answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const delta = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]
          ?.delta?.content;
        if (delta) yield delta;
      }
    }
  };
}

/** The text backend chosen by the environment: `OPENAI_BASE_URL` set, or the built-in one. */
export function textGeneratorFromEnv(env: Readonly<Record<string, string | undefined>>): {
  generator: TextGenerator;
  name: string;
} {
  if (env.OPENAI_BASE_URL) {
    const model = env.OPENAI_MODEL ?? 'gpt-4o-mini';
    return {
      generator: openAiCompatibleGenerator({
        baseUrl: env.OPENAI_BASE_URL,
        model,
        ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      }),
      name: `${model} at ${env.OPENAI_BASE_URL}`,
    };
  }
  return { generator: localGenerator(), name: 'built-in local generator' };
}

/** An SVG "image" whose colours derive from the prompt, as a data URL. */
export function generateImageSvg(prompt: string): string {
  const digest = createHash('sha256').update(prompt).digest('hex');
  const [a, b] = [digest.slice(0, 6), digest.slice(6, 12)];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><defs><linearGradient id="g"><stop offset="0" stop-color="#${a}"/><stop offset="1" stop-color="#${b}"/></linearGradient></defs><rect width="256" height="256" fill="url(#g)"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** A half-second WAV tone whose pitch derives from the prompt, as a data URL. */
export function generateAudioWav(prompt: string): string {
  const rate = 8000;
  const samples = rate / 2;
  const pitch = 220 + (createHash('sha256').update(prompt).digest()[0] ?? 0) * 2;
  const wav = Buffer.alloc(44 + samples);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate, 28);
  wav.writeUInt16LE(1, 32);
  wav.writeUInt16LE(8, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples, 40);
  for (let i = 0; i < samples; i++)
    wav[44 + i] = 128 + Math.round(100 * Math.sin((2 * Math.PI * pitch * i) / rate));
  return `data:audio/wav;base64,${wav.toString('base64')}`;
}
