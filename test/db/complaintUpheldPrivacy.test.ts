import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, honours, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { cardText } from '../support/cards.js';
import { registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

/**
 * 投诉成立 goes to the team's leader and contact with what was complained of (第二十一条, 第二十二条), never with who
 * complained. A complainant who wrote their phone or e-mail into the complaint itself had it forwarded to the team they
 * complained about: those are hidden in the team's copy, and the form says the content goes to the team and the
 * contact field does not.
 */
const L = 'ou_privacyleader000000000000000001';
/** A card's text as Feishu shows it: markdown's entities (&#91;) read as the characters they stand for. */
const shownText = (card: unknown) => cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
const C = 'ou_privacycontact00000000000000001';

describe('投诉成立 to the team, and the complainant’s details', () => {
  let h: Harness;
  let code: string;
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    expect((await h.click(L, { action: 'team.register' }, registrationForm('隐私测试班', C))).toast.type).toBe('success');
    const [team] = await h.db.db.select().from(teams).where(eq(teams.name, '隐私测试班'));
    code = team.code;
    await h.db.db.insert(honours).values({ teamId: team.id, year: 2026, awardedAt: new Date('2026-12-01T00:00:00Z') });
  });
  afterAll(async () => h?.close());

  it('the team reads the complaint with the phones and e-mails typed into it hidden, and not the contact left', async () => {
    const content = '井盖松动三周无人处理。我是王小明，住3栋，电话 137-0000-1111，邮箱 wang.xm@example.com，有事可联系13700001111。';
    const posted = await fetch(`${h.app.url}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: code, content, contact: '13912345678' }) });
    expect(posted.status).toBe(201);
    await h.drain();
    const [complaint] = await h.db.db.select().from(complaints).where(eq(complaints.content, content));
    // the administrators see it whole
    const alert = h.fake.messages.find((m) => m.receiveId === ADMIN && cardText(m.content).includes('井盖松动三周'))!;
    expect(cardText(alert.content)).toContain('wang.xm@example.com');
    expect((await h.click(ADMIN, { action: 'complaint.uphold', complaintId: complaint.id }, { note: '经核实属实' })).toast.type).toBe('success');
    await h.drain();
    for (const who of [L, C]) {
      const notice = [...h.fake.messages].reverse().find((m) => m.receiveId === who && cardText(m.content).includes('投诉成立'))!;
      const text = shownText(notice.content);
      expect(text).toContain('井盖松动三周无人处理。我是王小明，住3栋，电话 [号码]，邮箱 [邮箱]，有事可联系[号码]。');
      for (const hidden of ['1111', 'wang.xm', '13912345678']) expect(text).not.toContain(hidden);
    }
  });

  it('the chat form says the content goes to the team once upheld, and the contact only to the association', async () => {
    h.fake.reset();
    await h.say('ou_privacycustomer0000000000000001', `投诉 ${code}`);
    const form = cardText(h.fake.messages.at(-1)!.content);
    expect(form).toContain('成立后会转告被投诉班组，请勿写姓名等个人信息');
    expect(form).toContain('仅协会可见');
    const page = await (await fetch(`${h.app.url}/complaints/new`)).text();
    expect(page).toContain('成立后会转告被投诉班组，请勿写姓名等个人信息');
    expect(page).toContain('仅协会可见');
  });
});
