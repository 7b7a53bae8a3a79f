import { eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, outbox, people, teams } from '../../db/schema.js';
import { UNCONFIRMED_LEADER_NOTICE, unconfirmedLeaderNoticeRenderer } from '../../src/deadlineNotices.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness } from '../support/harness.js';
import { MODES_HERE } from '../support/worlds.js';
import { type Fixture, OTHER_CONTACT, OTHER_LEADER, personas, securityBotForBlock, YEAR } from './securityFixture.js';

/**
 * 截止申报 with applications submitted in time that still wait for their organisation's confirmation (第十五条): the
 * administrators' answer names them, each contact and each leader is told once (one card naming all theirs) that they take no part unless
 * confirmed before 结束评分并汇总, 进度 says so after the deadline, and 结束评分并汇总's dialog names them; on both paths
 * of 截止申报 (the one statement on PostgreSQL, and the ordinary transaction).
 */

type Body = { toast?: { type: string; content: string }; card?: { data?: any } };

const LATE = '结束评分并汇总前仍未确认的，不参加本年度评审';

/** The confirm dialog of 结束评分并汇总 on a card. */
function closeScoringDialog(card: unknown): { title: string; text: string } {
  const find = (v: any): any => {
    if (Array.isArray(v)) return v.map(find).find(Boolean);
    if (!v || typeof v !== 'object') return undefined;
    if (v.tag === 'button' && v.behaviors?.[0]?.value?.action === 'results.close') return v.confirm;
    return Object.values(v).map(find).find(Boolean);
  };
  const confirm = find(card);
  return { title: confirm?.title?.content, text: confirm?.text?.content };
}

for (const mode of MODES_HERE) {
  describe(`截止申报 with applications still unconfirmed (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);

    it('截止申报’s dialog counts them beforehand, with those waiting for the formal check: no expert at the close, and 汇总 waits for them', async () => {
      await h.db.db.update(applications).set({ status: 'submitted', endorsement: null }).where(eq(applications.id, f.appC));
      const rows = await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.cycleId, f.cycleId));
      const count = (status: string) => rows.filter((r) => r.status === status).length;
      expect(count('submitted')).toBe(3);
      const menu: Body = await h.click(ADMIN, { action: 'admin.menu' });
      const find = (v: any): any => {
        if (Array.isArray(v)) return v.map(find).find(Boolean);
        if (!v || typeof v !== 'object') return undefined;
        if (v.tag === 'button' && v.behaviors?.[0]?.value?.action === 'cycle.closeApplications') return v.confirm;
        return Object.values(v).map(find).find(Boolean);
      };
      const text: string = find(menu.card!.data)?.text?.content;
      // each with what becomes of it: the formal check is waited for, an unconfirmed one is left out at 汇总 (第十五条)
      const waiting = [
        ...(count('recommended') ? [`${count('recommended')} 份待协会形式审查：截止时不分配专家，截止后在“形式审查”中受理（再点“分配专家”）或退回，全部处理后才能汇总`] : []),
        '3 份待单位联系人确认：截止后联系人仍可确认，结束评分并汇总前仍未确认的不参加本年度评审（第十五条）',
      ].join('；');
      expect(text).toContain(`另有${waiting}。`);
    });

    it('the answer names them; one notice per contact and one per leader, in the close’s transaction', async () => {
      // team C's application back to waiting for OTHER_CONTACT, who then has two: told once
      await h.db.db.update(applications).set({ status: 'submitted', endorsement: null }).where(eq(applications.id, f.appC));
      const body: Body = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: f.cycleId }, {}, { messageId: 'om_close_unconfirmed' });
      expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
      expect(body.toast?.content).toBe(`${YEAR}年度申报已截止，进入专家评分阶段。另有 3 份申报仍待单位确认，见卡片。正在分配专家，完成后卡片会更新`);
      expect(cardText(body.card!.data)).toContain(`另有 3 份申报仍待单位联系人确认（广州养护一班、深圳建设二班、深圳建设三班），已通知其单位联系人和班组长：${LATE}。`);
      const rows = await h.db.db.select({ key: outbox.dedupeKey, receiver: outbox.receiver, card: outbox.card }).from(outbox).where(like(outbox.dedupeKey, 'deadline-unconfirmed:%')).orderBy(outbox.dedupeKey);
      expect(rows.map((r) => [r.key, r.receiver])).toEqual([
        [`deadline-unconfirmed:${f.cycleId}:contact-${personas.contact}`, personas.contact],
        [`deadline-unconfirmed:${f.cycleId}:contact-${OTHER_CONTACT}`, OTHER_CONTACT],
        [`deadline-unconfirmed:${f.cycleId}:leader-${personas.leader}`, personas.leader],
        [`deadline-unconfirmed:${f.cycleId}:leader-${OTHER_LEADER}`, OTHER_LEADER],
      ]);
    });

    it('the contacts and the leaders receive them: a contact one card naming all theirs, a leader too', async () => {
      await h.drain();
      const to = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId && cardText(m.content).includes('年度申报已截止')).map((m) => cardText(m.content));
      const [contact] = to(personas.contact);
      expect(contact).toContain('1 份申报仍待你确认');
      expect(contact).toContain('广州养护一班');
      expect(contact).toContain('协会“结束评分并汇总”前仍未经单位确认的申报，不参加本年度评审');
      const other = to(OTHER_CONTACT);
      expect(other.length).toBe(1);
      expect(other[0]).toContain('2 份申报仍待你确认');
      expect(other[0]).toContain('深圳建设二班');
      expect(other[0]).toContain('深圳建设三班');
      const [leader] = to(personas.leader);
      expect(leader).toContain('单位联系人尚未确认');
      expect(leader).toContain('广州养护一班');
      // OTHER_LEADER leads teams B and C, both waiting: one card naming both
      const otherLeader = to(OTHER_LEADER);
      expect(otherLeader.length).toBe(1);
      expect(otherLeader[0]).toContain('2 份申报单位尚未确认');
      expect(otherLeader[0]).toContain(`深圳建设二班（${f.teamB.code}）`);
      expect(otherLeader[0]).toContain(`深圳建设三班（${f.teamC.code}）`);
      // team B confirmed late (推荐 is taken until 汇总): it is no longer named below
      await h.db.db.update(applications).set({ status: 'recommended' }).where(eq(applications.id, f.appB));
    });

    it('进度 after the deadline says an unconfirmed application takes no part unless confirmed before 汇总', async () => {
      const leader: Body = await h.click(personas.leader, { action: 'team.status' });
      expect(cardText(leader.card!.data)).toContain(`本年度申报已截止，单位联系人尚未确认（第十五条）：协会“${LATE.replace('前', '”前')}；请提醒单位联系人尽快确认。`);
      const contact: Body = await h.click(personas.contact, { action: 'team.status' });
      expect(cardText(contact.card!.data)).toContain('本年度申报已截止，这份申报仍待你确认（第十五条）');
    });

    it('评审进度 names them, and 结束评分并汇总 asks with them named', async () => {
      const body: Body = await h.click(ADMIN, { action: 'review.progress', cycleId: f.cycleId });
      const card = JSON.stringify(body.card!.data);
      expect(cardText(body.card!.data)).toContain(`2 份申报仍待单位联系人确认（广州养护一班 ${f.teamA.code}、深圳建设三班 ${f.teamC.code}）`);
      expect(card).toContain(`另有 2 份申报仍待单位联系人确认（广州养护一班 ${f.teamA.code}、深圳建设三班 ${f.teamC.code}），汇总后不参加本年度评审，不能撤销，重开评分也不能让它们再参加。`);
    });

    it('结束评分并汇总 on the 管理 card asks with them counted, and says it cannot be undone', async () => {
      const body: Body = await h.click(ADMIN, { action: 'admin.menu' });
      const dialog = closeScoringDialog(body.card!.data);
      expect(dialog.title).toBe(`结束${YEAR}年度专家评分？`);
      expect(dialog.text).toContain('另有 2 份申报仍待单位联系人确认：汇总后不参加本年度评审，不能撤销，重开评分也不能让它们再参加。');
    });

    it('a leader’s card drawn later leaves out a team confirmed meanwhile, and none left sends nothing', async () => {
      const render = unconfirmedLeaderNoticeRenderer(h.db.db);
      const spec = { kind: UNCONFIRMED_LEADER_NOTICE, cycleId: f.cycleId, openId: OTHER_LEADER };
      const [left] = await render([spec]);
      const text = cardText((left as { card: unknown }).card);
      expect(text).toContain('深圳建设三班');
      expect(text).not.toContain('深圳建设二班');
      // one queued per team before the grouping is still drawn, for that team alone
      const [legacy] = await render([{ kind: UNCONFIRMED_LEADER_NOTICE, cycleId: f.cycleId, teamId: f.teamA.id }], [{ receiver: personas.leader } as never]);
      expect(cardText((legacy as { card: unknown }).card)).toContain('广州养护一班');
      await h.db.db.update(applications).set({ status: 'recommended' }).where(eq(applications.id, f.appC));
      expect(await render([spec])).toEqual([{ drop: expect.any(String) }]);
    });
  });

  describe(`截止申报 with applications whose leader or contact an import named and who never wrote to the bot (${mode})`, () => {
    let h: Harness;
    let f: Fixture;
    securityBotForBlock((bot) => ({ h, f } = bot), mode);
    const told = '已通知其单位联系人和班组长（其中 1 位单位联系人、1 位班组长尚未关联飞书，未通知；单位联系人关联后会收到待确认的申报）';

    it('the answer and 评审进度 name who was not told, and that a contact linked later receives the request', async () => {
      // team A's leader imported by mobile, team C's contact by e-mail, neither linked; team C's application waits again
      await h.db.db.insert(people).values([{ openId: 'pending:m:13900000077' }, { openId: 'pending:e:hr@example.com' }]);
      await h.db.db.update(teams).set({ leaderOpenId: 'pending:m:13900000077' }).where(eq(teams.id, f.teamA.id));
      await h.db.db.update(teams).set({ contactOpenId: 'pending:e:hr@example.com' }).where(eq(teams.id, f.teamC.id));
      await h.db.db.update(applications).set({ status: 'submitted', endorsement: null }).where(eq(applications.id, f.appC));
      const body: Body = await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: f.cycleId }, {}, { messageId: 'om_close_unlinked' });
      expect(body.toast?.type, JSON.stringify(body.toast)).toBe('success');
      expect(cardText(body.card!.data)).toContain(`另有 3 份申报仍待单位联系人确认（广州养护一班、深圳建设二班、深圳建设三班），${told}：${LATE}。`);
      const rows = await h.db.db.select({ receiver: outbox.receiver }).from(outbox).where(like(outbox.dedupeKey, 'deadline-unconfirmed:%'));
      expect(rows.map((r) => r.receiver).sort()).toEqual([personas.contact, OTHER_CONTACT, OTHER_LEADER].sort());
      const progress: Body = await h.click(ADMIN, { action: 'review.progress', cycleId: f.cycleId });
      expect(cardText(progress.card!.data)).toContain(`${told}，结束评分并汇总前仍未确认的`);
      expect(cardText(progress.card!.data)).not.toContain('pending:');
    });
  });
}
