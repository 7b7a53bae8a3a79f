import { expect } from 'vitest';
import type { Harness } from './harness.js';
import { TEST_VERIFICATION_TOKEN } from './harness.js';
import { messageEvent } from './larkEvents.js';

/** What the bot sent after one typed message, as its reader sees it. */
export interface TypedAnswer {
  /** Every text of the answer: a text message's text, a card's title (as `[card …]`), markdown and button labels. */
  text: string;
  /** The verbs of the answer's buttons. */
  actions: string[];
  /** Where the answer is: each message's card title, or a text message's first line. */
  place: string;
}

/** Every message the fake platform received since its last reset, read as `TypedAnswer`. */
export function readAnswer(h: Harness): TypedAnswer {
  const parts: string[] = [];
  const actions: string[] = [];
  const places: string[] = [];
  const walk = (o: unknown) => {
    if (!o || typeof o !== 'object') return;
    const x = o as { tag?: string; content?: unknown; behaviors?: { value?: { action?: string } }[] };
    if (x.tag === 'markdown' || x.tag === 'plain_text') parts.push(String(x.content ?? ''));
    if (x.tag === 'button') actions.push(String(x.behaviors?.[0]?.value?.action));
    for (const v of Object.values(o)) walk(v);
  };
  for (const m of h.fake.messages) {
    if (m.msgType === 'text') {
      parts.push(String(m.content?.text ?? ''));
      places.push(String(m.content?.text ?? '').split('\n')[0]);
    }
    if (m.msgType === 'interactive') {
      const title = `[card ${m.content?.header?.title?.content ?? ''}]`;
      parts.push(title);
      places.push(title);
      walk(m.content?.body ?? m.content);
    }
  }
  return { text: parts.join('\n'), actions, place: places.join(' + ') };
}

/**
 * A text typed by `openId` as im.message.receive_v1 brings it (in p2p, or in `group` with the bot mentioned), each with a
 * message id of its own under `idPrefix`, and the answer once the outbox has sent it.
 */
export function typedAsker(idPrefix: string, group: string) {
  let seq = 0;
  return async (h: Harness, openId: string, text: string, chat: 'p2p' | 'group' = 'p2p'): Promise<TypedAnswer> => {
    h.fake.reset();
    const messageId = `${idPrefix}${String(++seq).padStart(6, '0')}`;
    const event = messageEvent({ token: TEST_VERIFICATION_TOKEN, openId, text, messageId, ...(chat === 'group' ? { chatType: 'group' as const, chatId: group, mentionBot: true } : {}) });
    expect((await h.post('/lark/events', event)).status).toBe(200);
    await h.drain();
    return readAnswer(h);
  };
}
