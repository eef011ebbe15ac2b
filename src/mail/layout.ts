/**
 * Renders one mail from a list of blocks into a plain-text body and a matching simple HTML body,
 * so that both always say the same thing. Every value is escaped on the way into HTML and every
 * link is checked with {@link safeLink}.
 *
 * @module
 */

import { escapeHtml, safeLink } from './escape.js';
import type { MailContent } from './types.js';

/** One block of a mail body. */
export type MailBlock =
  /** A paragraph of plain text. */
  | { readonly paragraph: string }
  /** A call to action: a labelled link, shown as a link in HTML and as the bare URL in text. */
  | { readonly action: { readonly label: string; readonly link: string } }
  /** Label/value lines such as `IP address: 203.0.113.7`. */
  | { readonly details: readonly (readonly [label: string, value: string])[] };

/** Input of {@link renderMail}. */
export interface MailLayout {
  /** The subject line (already a single line). */
  readonly subject: string;
  /** The body blocks, in order. */
  readonly blocks: readonly MailBlock[];
  /** Sign-off under the body, e.g. the application name. */
  readonly signature?: string;
}

/**
 * Renders a layout into `{ subject, text, html }`. Throws `UnsafeLinkError` when an action's link
 * is not an absolute `https:`/`http:` URL.
 */
export function renderMail(layout: MailLayout): MailContent {
  const textParts: string[] = [];
  const htmlParts: string[] = [];
  for (const block of layout.blocks) {
    if ('paragraph' in block) {
      textParts.push(block.paragraph);
      htmlParts.push(`<p>${escapeHtml(block.paragraph)}</p>`);
    } else if ('action' in block) {
      const href = safeLink(block.action.link);
      const label = escapeHtml(block.action.label);
      textParts.push(`${block.action.label}:\n${href}`);
      htmlParts.push(
        `<p><a href="${escapeHtml(href)}" style="font-weight: bold;">${label}</a></p>`,
        `<p style="font-size: 90%; color: #555;">If the link does not work, copy this address into your browser:<br>${escapeHtml(href)}</p>`,
      );
    } else {
      textParts.push(block.details.map(([label, value]) => `${label}: ${value}`).join('\n'));
      htmlParts.push(
        `<p>${block.details.map(([label, value]) => `${escapeHtml(label)}: ${escapeHtml(value)}`).join('<br>')}</p>`,
      );
    }
  }
  if (layout.signature !== undefined) {
    textParts.push(`— ${layout.signature}`);
    htmlParts.push(`<p>— ${escapeHtml(layout.signature)}</p>`);
  }
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(layout.subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5; color: #222; max-width: 36em;">',
    ...htmlParts,
    '</body>',
    '</html>',
  ].join('\n');
  return { subject: layout.subject, text: `${textParts.join('\n\n')}\n`, html };
}
