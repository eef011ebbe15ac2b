/**
 * Stand-in "models" for the example: deterministic functions of the prompt, so the example needs
 * no weights and no network. Replace them with calls to a real model.
 */
import { createHash } from 'node:crypto';

/** A short, deterministic continuation of the prompt. */
export function generateText(prompt: string): string {
  const words = prompt.trim().split(/\s+/).slice(0, 12);
  return `You asked about "${words.join(' ')}". Here is a thoughtful answer, generated without a model.`;
}

/** An SVG "image" whose colours derive from the prompt, as a data URL. */
export function generateImageSvg(prompt: string): string {
  const digest = createHash('sha256').update(prompt).digest('hex');
  const [a, b] = [digest.slice(0, 6), digest.slice(6, 12)];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><defs><linearGradient id="g"><stop offset="0" stop-color="#${a}"/><stop offset="1" stop-color="#${b}"/></linearGradient></defs><rect width="256" height="256" fill="url(#g)"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
