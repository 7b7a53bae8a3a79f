/**
 * The answer to 解绑 [管理|专家] in a group: a purpose the group is not bound for is named as such (not “本群没有绑定通知” while
 * the same card says what the group still receives), and the word that the administrators' notices now go to each of
 * them privately comes only when no group is left bound for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBindings } from '../../db/schema.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness, TEST_VERIFICATION_TOKEN } from '../support/harness.js';
import { messageEvent, randomMessageId } from '../support/larkEvents.js';

const GROUP = 'oc_unbind_answer_0000000000000000001';
const OTHER = 'oc_unbind_answer_0000000000000000002';
const PRIVATELY = '改为私聊发送给每位管理员';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** What the bot answers in the group to `text` said there by the administrator, the bot mentioned. */
async function say(chatId: string, text: string): Promise<string> {
  const res = await h.post('/lark/events', messageEvent({ token: TEST_VERIFICATION_TOKEN, appId: 'cli_test', openId: ADMIN, text, chatType: 'group', chatId, messageId: randomMessageId(), mentionBot: true }));
  expect(res.status).toBe(200);
  await h.drain();
  return cardText(h.fake.messages.at(-1)!.content);
}

describe('解绑 in a group', () => {
  it('解绑 专家 in an admin group names what it is not bound for, and says nothing of private delivery', async () => {
    await say(GROUP, '绑定通知');
    const answer = await say(GROUP, '解绑 专家');
    expect(answer).toContain('本群未绑定评审专家通知');
    expect(answer).not.toContain('本群没有绑定通知');
    expect(answer).toContain('协会管理通知');
    expect(answer).not.toContain(PRIVATELY);
    expect(await h.db.db.select().from(chatBindings)).toHaveLength(1);
  });

  it('解绑 管理 with another admin group still bound: no word of private delivery', async () => {
    await say(OTHER, '绑定通知');
    const answer = await say(OTHER, '解绑 管理');
    expect(answer).toContain('已解绑：协会管理通知');
    expect(answer).not.toContain(PRIVATELY);
  });

  it('解绑 of the last admin group says the administrators’ notices now go to each of them privately', async () => {
    const answer = await say(GROUP, '解绑');
    expect(answer).toContain('已解绑：协会管理通知');
    expect(answer).toContain(PRIVATELY);
    expect(await h.db.db.select().from(chatBindings)).toEqual([]);
  });

  it('解绑 管理 in a group bound for nothing, none bound anywhere', async () => {
    const answer = await say(GROUP, '解绑 管理');
    expect(answer).toContain('本群未绑定协会管理通知');
    expect(answer).toContain(PRIVATELY);
    expect(await say(GROUP, '解绑')).toContain('本群没有绑定通知');
  });
});
