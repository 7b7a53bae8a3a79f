/** Types of renderer.js: plain JS so the browser loads it without a build step. */
export interface RenderContext {
  people?: { openId: string; name: string | null }[];
  /** keeps element ids unique when several cards share a page */
  idPrefix?: string;
  /** where a file message's bytes can be downloaded */
  fileHref?: string;
  imageHref?: string;
}

export const UNKNOWN_MARKER: string;
export function escapeHtml(value: unknown): string;
export function renderMarkdown(source: string, ctx?: RenderContext): string;
export function renderCard(card: unknown, ctx?: RenderContext): string;
export function renderText(text: string, ctx?: RenderContext): string;
export function renderMessage(msgType: string, content: unknown, ctx?: RenderContext): string;
