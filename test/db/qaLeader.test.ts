import { asc, eq, ne } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, assignments, people, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { scoreFields } from '../../src/review/scoring.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard, inputValues } from '../support/cards.js';
import { applicationForm, registrationForm } from '../support/forms.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { clickInBoth, inEachWorld, type Mode, MODES_HERE, twoWorlds } from '../support/worlds.js';

/**
 * A team leader's year on a phone, and their organisation's contact's, as the bot meets them: the first message,
 * 注册 typed as people type, 申报 over two sittings and its refusals, 进度 at every stage, the contact's confirmation
 * card (推荐, 退回修改, old copies clicked later), the results. Every card action runs in both worlds (the one
 * statement and the ordinary transaction; PGlite has only the ordinary one, and there one world stands for both),
 * which must answer alike.
 */

const LEADERS = ['ou_qaleader0000000000000000000001', 'ou_qaleader0000000000000000000002', 'ou_qaleader0000000000000000000003'];
const [LEADER, LEADER2, LEADER3] = LEADERS;
const CONTACT = 'ou_qacontact000000000000000000001';
const EXPERTS = ['ou_qaleaderexp0000000000000000001', 'ou_qaleaderexp0000000000000000002', 'ou_qaleaderexp0000000000000000003'];
const TEAM_NAMES = ['市政养护一班', '市政养护二班', '市政养护三班'];
const YOUNG_TEAM = '市政养护新班';

interface World {
  h: Harness;
  /** Team ids by leader. */
  team: Record<string, number>;
}

async function start(_mode: Mode): Promise<World> {
  const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
  // typed on a phone: a mobile with spaces, the member count with its unit in full width
  for (const [i, leader] of LEADERS.entries()) {
    const answer = await h.click(leader, { action: 'team.register' }, registrationForm(TEAM_NAMES[i], CONTACT, { phone: '138 0000 000' + (i + 1), memberCount: '１２人' }));
    expect(answer.toast.type).toBe('success');
  }
  await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `评审专家${i + 1}`, roles: ['expert' as const] })));
  // a second team of the second leader, registered too late for 2027 (第十六条)
  h.clock.set('2027-02-01T09:00:00+08:00');
  expect((await h.click(LEADER2, { action: 'team.register' }, registrationForm(YOUNG_TEAM, CONTACT))).toast.type).toBe('success');
  h.clock.set('2027-03-10T09:00:00+08:00');
  const opened = await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
  expect(opened.toast.type).toBe('success');
  const rows = await h.db.db.select({ id: teams.id, leader: teams.leaderOpenId }).from(teams).where(ne(teams.name, YOUNG_TEAM));
  return { h, team: Object.fromEntries(rows.map((r) => [r.leader, r.id])) };
}

/** The time an “已于 … 提交” answer names is when the first click committed: it differs between the two worlds. */
const sameTimes = (s: unknown) => (typeof s === 'string' ? s.replace(/已于 \d{4}年\d+月\d+日 \d{2}:\d{2}/g, '已于 …') : s);
/** An answer as both paths must give it: the toast and every text of the card. */
const comparable = (body: { toast?: { type: string; content: string }; card?: { data: unknown } }) => ({
  toast: body.toast && { ...body.toast, content: sameTimes(body.toast.content) },
  card: body.card ? cardText(body.card.data) : undefined,
});

/** Clicks the same in both worlds; the answers must match, and Feishu must accept the card. */
const both = (worlds: Record<Mode, World>, openId: string, value: (w: World) => Record<string, unknown>, formValue?: Record<string, unknown>) =>
  clickInBoth(worlds, openId, value, formValue, comparable);

/** What one message brought to its sender in each world (the same in both), each card checked against Feishu's limits. */
async function say(worlds: Record<Mode, World>, openId: string, text: string) {
  const seen = await inEachWorld(worlds, async ({ h }) => {
    h.fake.reset();
    await h.say(openId, text);
    const to = h.fake.messages.filter((m) => m.receiveId === openId).map((m) => ({ msgType: m.msgType, content: m.content }));
    for (const m of to) if (m.msgType === 'interactive') expectValidCard(m.content);
    return to;
  });
  expect(seen.fast.map((m) => cardText(m.content))).toEqual(seen.ordinary.map((m) => cardText(m.content)));
  return seen.fast;
}

/** The 进度 card's text for one person (the same in both worlds), and its buttons. */
async function progress(worlds: Record<Mode, World>, openId: string) {
  const [card] = await say(worlds, openId, '进度');
  expect(card.msgType).toBe('interactive');
  return { text: cardText(card.content), actions: cardActions(card.content) };
}

const applicationOf = async (w: World, leader: string) => (await w.h.db.db.select().from(applications).where(eq(applications.teamId, w.team[leader])))[0];

const fields = scoreFields(defaultScoreSheet);
/** A score sheet `off` points below full marks. */
function marks(off: number): Record<string, string> {
  let left = off;
  const out: Record<string, string> = { comment: '材料翔实' };
  for (const f of fields) {
    const cut = Math.min(f.max, left);
    left -= cut;
    out[f.field] = String(f.max - cut);
  }
  return out;
}

describe('a team leader and their organisation’s contact through the year, on a phone', () => {
  const worlds = twoWorlds(start, { oneOnPglite: true });
  const submit = (leader: string) => (w: World) => ({ action: 'application.submit', teamId: w.team[leader], year: 2027 });
  const save = (leader: string) => (w: World) => ({ action: 'application.save', teamId: w.team[leader], year: 2027 });
  // the application ids are read before the clicks: `both` takes a value built synchronously
  const appIds = (leader: string) => inEachWorld(worlds, async (w) => (await applicationOf(w, leader)).id);
  const byWorld = (ids: Record<Mode, number>, action: string) => (w: World) => ({ action, applicationId: ids[w === worlds.fast ? 'fast' : 'ordinary'] });

  it('a first message — 你好, hello, 在吗？ — is answered with the menu, which leads to 注册班组: what to do next in one reply', async () => {
    for (const text of ['你好', '您好！', 'hello', 'Hi', '在吗？']) {
      const answer = await say(worlds, 'ou_qanewcomer0000000000000000001', text);
      expect(answer, text).toHaveLength(1);
      expect(answer[0].msgType, text).toBe('interactive');
      expect(answer[0].content.header.title.content).toBe('质量信得过班组助手');
      expect(cardActions(answer[0].content)[0]).toEqual({ action: 'team.registerForm' });
    }
    // a question about taking part gets the articles and what to send next
    const [zh] = await say(worlds, 'ou_qanewcomer0000000000000000001', '怎么报名');
    expect(cardText(zh.content)).toContain('**怎么办理**：发送“注册”登记班组（第十二条）；注册满一年后，协会开启年度评审时发送“申报”（第十六条）');
    const [en] = await say(worlds, 'ou_qanewcomer0000000000000000001', 'How do I apply for the award?');
    expect(cardText(en.content)).toContain('**To take part**: send “注册” (register) to register your team');
  });

  it('注册 typed as on a phone is stored as meant; a blank or over-long field is refused naming it, with everything typed kept', async () => {
    for (const mode of MODES_HERE) {
      const stored = await worlds[mode].h.db.db.select({ phone: teams.phone, memberCount: teams.memberCount }).from(teams).orderBy(asc(teams.id));
      expect(stored.slice(0, 3)).toEqual([1, 2, 3].map((i) => ({ phone: `138 0000 000${i}`, memberCount: 12 })));
    }
    const typed = registrationForm('市政养护四班', CONTACT, { teamName: '', phone: '１３８-００００-０００９', goals: '目'.repeat(1001) });
    const blank = await both(worlds, LEADER, () => ({ action: 'team.register' }), typed);
    // both problems told at once, in the form's order
    expect(blank.toast).toEqual({ type: 'error', content: '2 处需修改：1. 请填写班组名称；2. 创建目标不能超过 1000 字（现为 1001 字）' });
    expect(cardText(blank.card.data)).toContain('**请修改（共 2 处）：**</font>\n- 请填写班组名称\n- 创建目标不能超过 1000 字（现为 1001 字）');
    const kept = inputValues(blank.card.data);
    expect(kept.phone).toBe('１３８-００００-０００９');
    expect(kept.organization).toBe(typed.organization);
    // what the input can hold (Feishu refuses a default longer than its max_length)
    expect(kept.goals).toBe('目'.repeat(1000));
    const long = await both(worlds, LEADER, () => ({ action: 'team.register' }), { ...typed, teamName: '市政养护四班' });
    expect(long.toast).toEqual({ type: 'error', content: '创建目标不能超过 1000 字（现为 1001 字）' });
  });

  it('申报 over two sittings keeps the draft; a refused submit names the rule’s article and clause and what would make the team eligible', async () => {
    const before = await progress(worlds, LEADER);
    expect(before.text).toContain('**下一步**：2027 年度申报进行中，2027年4月30日 截止：点“年度申报”填写，可先保存草稿。');
    expect(before.actions[0]).toEqual({ action: 'application.open', teamId: worlds.fast.team[LEADER] });
    // a team not a year old by the deadline is told so, with no 年度申报 button that could only be refused
    const young = await progress(worlds, LEADER2);
    expect(young.text).toContain('**下一步**：2027 年度申报 2027年4月30日 截止，届时本班组注册未满一年，不能参加本年度评选；可参加下一年度评选（第十六条）。');
    expect(young.actions.filter((a) => a.action === 'application.open')).toEqual([{ action: 'application.open', teamId: worlds.fast.team[LEADER2] }]);
    const saved = await both(worlds, LEADER, save(LEADER), { title: '提高沥青路面修补一次合格率', trainingRate: '９６' });
    expect(saved.toast.type).toBe('success');
    expect((await progress(worlds, LEADER)).text).toContain('**下一步**：草稿尚未提交：点“年度申报”（或发送“申报”）继续填写并提交（2027年4月30日 截止）。');
    const [again] = await say(worlds, LEADER, '申报');
    expect(inputValues(again.content).title).toBe('提高沥青路面修补一次合格率');
    expect(inputValues(again.content).trainingRate).toBe('９６');

    const refused = await both(worlds, LEADER, submit(LEADER), applicationForm({ accidents: 'some', trainingRate: '85' }));
    expect(refused.toast.type).toBe('error');
    const text = cardText(refused.card.data);
    expect(text).toContain('第十三条第5款：班组近三年须无质量、安全、环保事故：有事故的班组，事故满三年后方可申报；如选错，请改选“无”。');
    expect(text).toContain('第七条第4款：班组成员培训率和考试合格率须达 90% 以上；培训率 85% 低于 90%。请核实所填数值；达到 90% 后方可申报。');
    expect(text).not.toContain('条：第');
    expect(inputValues(refused.card.data).trainingRate).toBe('85');
  });

  it('submitted and double-clicked; an old copy of the form, saved later, shows where the application is instead of a form to fix', async () => {
    const first = await both(worlds, LEADER, submit(LEADER), applicationForm());
    expect(first.toast).toEqual({ type: 'success', content: '已提交，等待单位联系人确认（第十五条）' });
    const twice = await both(worlds, LEADER, submit(LEADER), applicationForm());
    expect(twice.toast.type).toBe('info');
    expect(twice.toast.content).toMatch(/^已于 .* 提交，无需重复提交。$/);
    // the form still in the chat, edited and submitted again before the contact confirms: the edit is not kept, and says so
    const edited = await both(worlds, LEADER, submit(LEADER), applicationForm({ title: '提交后改的标题' }));
    expect(edited.toast).toEqual({ type: 'info', content: '这张申报表上的内容与已提交的不同，没有保存。申报已提交，等待单位联系人确认；如需修改，班组长可发送“撤回申报”撤回后修改，或请单位联系人点“退回修改”。' });
    expect(cardText(edited.card.data)).toContain('提高沥青路面修补一次合格率');
    for (const mode of MODES_HERE) expect(((await applicationOf(worlds[mode], LEADER)).form as { title: string }).title).toBe('提高沥青路面修补一次合格率');

    const old = await both(worlds, LEADER, save(LEADER), applicationForm({ title: '在旧卡片上改的标题' }));
    expect(old.toast.type).toBe('info');
    expect(old.toast.content).toContain('等待单位联系人确认');
    // no live form on the card any more: its buttons take the application back to edit (撤回申报) or lead to 进度
    expect(cardActions(old.card.data)).toEqual([{ action: 'application.recall', teamId: submit(LEADER)(worlds.fast).teamId, year: 2027 }, { action: 'team.status' }]);
    expect(cardText(old.card.data)).toContain('提高沥青路面修补一次合格率');
    for (const mode of MODES_HERE) expect(((await applicationOf(worlds[mode], LEADER)).form as { title: string }).title).toBe('提高沥青路面修补一次合格率');
  });

  it('进度 while the contact has it: the leader learns who acts, the contact that it is theirs, with a button to confirm', async () => {
    await both(worlds, LEADER2, submit(LEADER2), applicationForm({ title: '二班的成果' }));
    const leader = await progress(worlds, LEADER);
    expect(leader.text).toContain('**下一步**：等待单位联系人确认并填写推荐意见（第十五条）；确认后报协会形式审查。');
    const contact = await progress(worlds, CONTACT);
    expect(contact.text).toContain('**下一步**：等待你确认：请核实申报材料后推荐或退回修改（第十五条）。');
    const ids = await appIds(LEADER);
    const confirm = contact.actions.filter((a) => a.action === 'endorse.open');
    expect(confirm).toHaveLength(2);
    expect(confirm[0]).toEqual({ action: 'endorse.open', applicationId: ids.fast });
    // the button opens the request with the form
    const opened = await both(worlds, CONTACT, byWorld(ids, 'endorse.open'));
    expect(cardActions(opened.card.data).map((a) => a.action)).toEqual(['endorse.recommend', 'endorse.return']);
  });

  it('退回修改 with a reason typed with markdown: the leader reads it as typed; 推荐 clicked later on that old card shows the return, not a live form', async () => {
    const ids = await appIds(LEADER);
    const reason = '请补充 **QC** 成果 [附件](https://example.com) <at id=all></at>';
    const returned = await both(worlds, CONTACT, byWorld(ids, 'endorse.return'), { opinion: reason });
    expect(returned.toast).toEqual({ type: 'success', content: '已退回，班组长会收到你的意见' });
    for (const mode of MODES_HERE) {
      const notice = worlds[mode].h.fake.messages.filter((m) => m.receiveId === LEADER && m.msgType === 'interactive').at(-1)!;
      expectValidCard(notice.content);
      const raw = JSON.stringify(notice.content);
      expect(raw).not.toContain('<at id=all>');
      expect(raw).not.toContain('**QC**');
      expect(raw).toContain('&#42;&#42;QC&#42;&#42;');
    }
    const late = await both(worlds, CONTACT, byWorld(ids, 'endorse.recommend'), { truthful: true, opinion: '同意推荐' });
    expect(late.toast.type).toBe('info');
    expect(late.card.data.header.title.content).toBe('已退回：市政养护一班');
    // no live form: only the way on to the contact's other applications
    expect(cardActions(late.card.data)).toEqual([{ action: 'endorse.list' }]);

    const leader = await progress(worlds, LEADER);
    expect(leader.text).toContain('**下一步**：已退回修改：请按退回意见修改后，点“年度申报”重新提交（2027年4月30日 截止），单位联系人将再次确认。');
    expect(leader.actions[0]).toEqual({ action: 'application.open', teamId: worlds.fast.team[LEADER] });
  });

  it('edited and submitted again; 推荐 with a long text is refused and kept, then recommended twice; 退回 on the old card shows the recommendation', async () => {
    const resubmitted = await both(worlds, LEADER, submit(LEADER), applicationForm({ qc: '成立 QC 小组 3 个，完成课题 4 项' }));
    expect(resubmitted.toast.type).toBe('success');
    const ids = await appIds(LEADER);
    const long = await both(worlds, CONTACT, byWorld(ids, 'endorse.recommend'), { truthful: true, opinion: '荐'.repeat(1001) });
    expect(long.toast).toEqual({ type: 'error', content: '推荐意见不能超过 1000 字（现为 1001 字）' });
    expect(cardText(long.card.data)).toContain('荐'.repeat(1000));
    const opinion = '同意推荐 **重点** [x](y) <at id=all></at>';
    const recommended = await both(worlds, CONTACT, byWorld(ids, 'endorse.recommend'), { truthful: true, opinion });
    expect(recommended.toast).toEqual({ type: 'success', content: '已推荐，报协会形式审查' });
    const twice = await both(worlds, CONTACT, byWorld(ids, 'endorse.recommend'), { truthful: true, opinion });
    expect(twice.toast.type).toBe('info');
    expect(twice.toast.content).toMatch(/^已于 .* 推荐，无需重复推荐。$/);
    const late = await both(worlds, CONTACT, byWorld(ids, 'endorse.return'), { opinion: '想退回' });
    expect(late.toast.type).toBe('info');
    expect(late.card.data.header.title.content).toBe('已推荐：市政养护一班');
    expect(JSON.stringify(late.card.data)).toContain('&#42;&#42;重点&#42;&#42;');
    // 确认申报 on an old 进度 card for an application already decided: the decision, not an empty list while another waits
    const reopened = await both(worlds, CONTACT, byWorld(ids, 'endorse.open'));
    expect(reopened.toast).toEqual({ type: 'info', content: '这份申报当前为“待协会形式审查”，无需确认' });
    expect(reopened.card.data.header.title.content).toBe('已推荐：市政养护一班');
  });

  it('the leader’s old copy of the submitted form, clicked after the recommendation, says where the application is now', async () => {
    const old = await both(worlds, LEADER, submit(LEADER), applicationForm());
    // the copy is of the first submission, the one returned since: what it holds is not what the contact recommended
    expect(old.toast).toEqual({ type: 'info', content: '这张申报表上的内容与已提交的不同，没有保存。单位已推荐，等待协会形式审查；如需修改，请联系协会退回。' });
    expect(old.card.data.header.title.content).toBe('2027 年度申报：待协会形式审查');
    const text = cardText(old.card.data);
    expect(text).toContain('单位已推荐，等待协会形式审查。');
    expect(text).not.toContain('已发送给单位联系人确认');
    expect((await progress(worlds, LEADER)).text).toContain('**下一步**：单位已推荐，等待协会形式审查。');
  });

  it('after the deadline: a team returned and never resubmitted is told it is out of this year; the others wait for the experts', async () => {
    const b = await appIds(LEADER2);
    await both(worlds, CONTACT, byWorld(b, 'endorse.recommend'), { truthful: true, opinion: '同意' });
    await both(worlds, LEADER3, submit(LEADER3), applicationForm({ title: '三班的成果' }));
    const c = await appIds(LEADER3);
    await both(worlds, CONTACT, byWorld(c, 'endorse.recommend'), { truthful: true, opinion: '同意' });
    const a = await appIds(LEADER);
    for (const ids of [a, b]) expect((await both(worlds, ADMIN, byWorld(ids, 'check.accept'))).toast.type).toBe('success');
    // the leader is told who reviews: the association (第十四条), not the scoring standard (第十八条)
    for (const mode of MODES_HERE) {
      const [accepted] = worlds[mode].h.fake.messages.filter((m) => m.receiveId === LEADER && m.msgType === 'interactive' && m.content.header?.title?.content === '协会已受理申报');
      expect(cardText(accepted.content)).toContain('申报截止后由协会分配专家评审（第十四条）。');
      expect(cardText(accepted.content)).not.toContain('第十八条');
    }
    for (const mode of MODES_HERE) worlds[mode].h.fake.reset();
    const returned = await both(worlds, ADMIN, byWorld(c, 'check.return'), { [`reason_${c.fast}`]: '材料链接打不开' });
    expect(returned.toast.type).toBe('success');
    // the leader and the contact each get the notice with what is theirs to do: 修改申报 for the leader, for the
    // contact that the application comes back to them once resubmitted
    for (const mode of MODES_HERE) {
      for (const openId of [LEADER3, CONTACT]) {
        const [notice] = worlds[mode].h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive');
        expectValidCard(notice.content);
        expect(notice.content.header.title.content).toBe('协会退回了申报');
        const actions = cardActions(notice.content).map((x) => x.action);
        if (openId === LEADER3) {
          expect(cardText(notice.content)).toContain('班组长请按原因修改后重新提交，单位联系人将再次确认。');
          expect(actions).toContain('application.open');
        } else {
          expect(cardText(notice.content)).toContain('班组长按原因修改后重新提交时，我会把申报再发给你确认并填写推荐意见（第十五条）；在此之前你无需处理。');
          expect(actions).toEqual(['team.status']);
        }
      }
    }
    expect((await progress(worlds, LEADER)).text).toContain('**下一步**：协会已受理；申报截止后由协会分配专家评审（第十四条）。');

    for (const mode of MODES_HERE) worlds[mode].h.clock.set('2027-05-01T09:00:00+08:00');
    const closed = await both(worlds, ADMIN, () => ({ action: 'cycle.closeApplications', cycleId: 1 }));
    expect(closed.toast.type).toBe('success');
    const late = await progress(worlds, LEADER3);
    expect(late.text).toContain('**下一步**：已退回，本年度申报已截止，不能再修改提交，不参加本年度评审；可参加下一年度评选（第十九条）。');
    expect(late.actions.some((x) => x.action === 'application.open')).toBe(false);
    expect((await progress(worlds, LEADER)).text).toContain('**下一步**：专家评审中（第十八条）；协会公布结果后会通知班组长和单位联系人。');
  });

  it('no score in 进度 until results are published; then the result card, the certificate, and 进度 with the decision', async () => {
    const panels = await inEachWorld(worlds, async ({ h, team }) => {
      const rows = await h.db.db
        .select({ id: assignments.id, expert: assignments.expertOpenId, teamId: applications.teamId })
        .from(assignments)
        .innerJoin(applications, eq(applications.id, assignments.applicationId))
        .orderBy(asc(assignments.id));
      return rows.map((r) => ({ id: r.id, expert: r.expert, leader: LEADERS.find((l) => team[l] === r.teamId)! }));
    });
    expect(panels.fast.map((p) => [p.expert, p.leader])).toEqual(panels.ordinary.map((p) => [p.expert, p.leader]));
    expect(panels.fast).toHaveLength(6);
    for (const [i, p] of panels.fast.entries()) {
      const answer = await both(worlds, p.expert, (w) => ({ action: 'review.submit', assignmentId: panels[w === worlds.fast ? 'fast' : 'ordinary'][i].id }), marks(p.leader === LEADER ? 5 : 30));
      expect(answer.toast.type).toBe('success');
    }
    // every sheet in, the year not yet summed: the association is yet to 汇总
    expect((await progress(worlds, LEADER2)).text).toContain('**下一步**：专家评分已完成，等待协会汇总并公布结果。');
    const aggregated = await both(worlds, ADMIN, () => ({ action: 'results.close', cycleId: 1 }));
    expect(aggregated.toast.type).toBe('success');
    const before = await progress(worlds, LEADER2);
    expect(before.text).toContain('2027 年度：评审完成（二班的成果）');
    expect(before.text).not.toContain('得分');
    // summed (结束评分并汇总): only the publication is to come
    expect(before.text).toContain('**下一步**：专家评分已完成，已汇总，等待协会公布结果。');
    expect(before.text).not.toContain('等待协会汇总');

    for (const mode of MODES_HERE) worlds[mode].h.fake.reset();
    const published = await both(worlds, ADMIN, () => ({ action: 'results.publish', cycleId: 1 }));
    expect(published.toast.type).toBe('success');
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      await h.drain();
      const to = (openId: string) => h.fake.messages.filter((m) => m.receiveId === openId);
      const result = (openId: string) => to(openId).find((m) => m.msgType === 'interactive' && m.content.header.title.content.startsWith('2027年度评审结果'))!;
      for (const openId of [LEADER, LEADER2]) expectValidCard(result(openId).content);
      expect(cardText(result(LEADER).content)).toContain('**最终得分**：95 分');
      expect(cardText(result(LEADER).content)).toContain('授予2027年度“广东省市政工程质量信得过班组”称号');
      expect(cardText(result(LEADER2).content)).toContain('**最终得分**：70 分');
      expect(cardText(result(LEADER2).content)).toContain('未达到授予称号的分数线（85 分）');
      // the certificate reaches the awarded leader only
      expect(to(LEADER).some((m) => m.msgType === 'file' || m.msgType === 'image')).toBe(true);
      expect(to(LEADER2).some((m) => m.msgType === 'file' || m.msgType === 'image')).toBe(false);
    }
    expect((await progress(worlds, LEADER2)).text).toContain('2027 年度：已公布结果（二班的成果），得分 70，未获称号');
    const contact = await progress(worlds, CONTACT);
    expect(contact.text).toContain('2027 年度：已公布结果（提高沥青路面修补一次合格率），得分 95，授予称号');
    expect(contact.text).toMatch(/2027 年度质量信得过班组（推荐至全国），证书编号 GDSZ-ZS-2027-0001/);
  });

  it('two upheld complaints about the titled team: the leader hears of it when the association revokes the title (第二十二条), and 进度 says so', async () => {
    const citizen = 'ou_qacitizen0000000000000000000001';
    for (const [i, content] of ['雨后检查井周边路面积水，一周未处理', '修补后的路面一周又坏'].entries()) {
      const filed = await both(worlds, citizen, (w) => ({ action: 'complaint.submit', teamId: w.team[LEADER] }), { content, contact: '138 0000 0000' });
      expect(filed.toast.type, content).toBe('success');
      const upheld = await both(worlds, ADMIN, () => ({ action: 'complaint.uphold', complaintId: i + 1 }), { note: '现场核实属实' });
      expect(upheld.toast.type).toBe('success');
    }
    for (const mode of MODES_HERE) worlds[mode].h.fake.reset();
    const revoked = await both(worlds, ADMIN, () => ({ action: 'revocation.revoke', honourId: 1 }), { reason: '连续两次顾客投诉经核实成立' });
    expect(revoked.toast.type).toBe('success');
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      await h.drain();
      for (const openId of [LEADER, CONTACT]) {
        const told = h.fake.messages.filter((m) => m.receiveId === openId && m.msgType === 'interactive');
        expect(told, openId).toHaveLength(1);
        expectValidCard(told[0].content);
        expect(cardText(told[0].content)).toContain('连续两次顾客投诉经核实成立');
      }
    }
    expect((await progress(worlds, LEADER)).text).toContain('2027 年度质量信得过班组（推荐至全国）（已撤销），证书编号 GDSZ-ZS-2027-0001（已作废）');
  });
});

describe('a leader and a contact who copy what the cards say, or act out of turn', () => {
  const ONE = 'ou_qaoneleader00000000000000000001';
  const ONE_CONTACT = 'ou_qaonecontact0000000000000000001';
  const openYear = (h: Harness) =>
    h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });

  it('“进度”, 【进度】, "status", /status, “注册”, “申报” copied with their quotes answer as the bare command does', async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
    await h.click(ONE, { action: 'team.register' }, registrationForm('探针一班', ONE_CONTACT));
    h.clock.set('2027-03-10T09:00:00+08:00');
    await openYear(h);
    const title = async (text: string) => {
      h.fake.reset();
      await h.say(ONE, text);
      const m = h.fake.messages.filter((x) => x.receiveId === ONE).at(-1)!;
      return m.msgType === 'interactive' ? m.content.header.title.content : JSON.stringify(m.content);
    };
    const seen: Record<string, string> = {};
    for (const t of ['“进度”', '【进度】', '"status"', '/status', '“注册”', '／注册', '“申报”']) seen[t] = await title(t);
    const [progress, register, apply] = [await title('进度'), await title('注册'), await title('申报')];
    expect(seen).toEqual({ '“进度”': progress, '【进度】': progress, '"status"': progress, '/status': progress, '“注册”': register, '／注册': register, '“申报”': apply });
    expect(new Set([progress, register, apply]).size).toBe(3);
    await h.close();
  });
});

describe('申报 from a member or the contact of a team, who does not lead it', () => {
  const ONE = 'ou_qaoneleader00000000000000000002';
  const ONE_CONTACT = 'ou_qaonecontact0000000000000000002';
  const ONE_MEMBER = 'ou_qaonemember00000000000000000002';

  it('is told who fills it in and to follow it with “进度”, not to register a team of their own; the contact that the card comes to them', async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00') });
    await h.click(ONE, { action: 'team.register' }, registrationForm('探针一班', ONE_CONTACT));
    expect((await h.click(ONE, { action: 'team.memberAdd', teamId: 1 }, { members: [ONE_MEMBER] })).toast.type).toBe('success');
    h.clock.set('2027-03-10T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    const said = async (who: string) => {
      h.fake.reset();
      await h.say(who, '申报');
      return cardText(h.fake.messages.filter((m) => m.receiveId === who).at(-1)!.content);
    };
    const [member, contact, stranger] = [await said(ONE_MEMBER), await said(ONE_CONTACT), await said('ou_qaonestranger000000000000000002')];
    for (const text of [member, contact]) {
      expect(text).not.toContain('“注册”');
      expect(text).toContain('申报由「探针一班」的班组长填写');
      expect(text).toContain('发送“进度”');
    }
    expect(member).not.toContain('确认卡片');
    expect(contact).toContain('班组长提交申报后，你会收到确认卡片');
    expect(stranger).toContain('请先发送“注册”登记班组');
    // an administrator, who leads no team: 申报 is the teams' own, and where the association sees the applications
    for (const text of ['申报', '修改申报']) {
      h.fake.reset();
      await h.say(ADMIN, text);
      const admin = cardText(h.fake.messages.filter((m) => m.receiveId === ADMIN).at(-1)!.content);
      expect(admin, text).not.toContain('注册');
      expect(admin, text).toContain('申报由各班组的班组长填写并提交');
      expect(admin, text).toContain('发送“管理”，点“评审进度”');
    }
    await h.close();
  });
});

describe('an application its contact never confirmed, after its year’s results are out', () => {
  const ONE = 'ou_qaoneleader00000000000000000003';
  const ONE_CONTACT = 'ou_qaonecontact0000000000000000003';
  const worlds = twoWorlds(async () => {
    const h = await startHarness({ clock: new ManualClock('2026-03-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    await h.click(ONE, { action: 'team.register' }, registrationForm('探针一班', ONE_CONTACT));
    h.clock.set('2027-03-10T09:00:00+08:00');
    await h.click(ADMIN, { action: 'cycle.open' }, { year: '2027', applicationDeadline: '2027-04-30', scoringDeadline: '2027-05-31', reviewMeetingDate: '2027-06-15' });
    h.fake.reset();
    expect((await h.click(ONE, { action: 'application.submit', teamId: 1, year: 2027 }, applicationForm())).toast.type).toBe('success');
    await h.drain();
    const card = h.fake.messages.filter((m) => m.receiveId === ONE_CONTACT && m.msgType === 'interactive').at(-1)!;
    expect(card.content.header.title.content).toBe('请确认申报材料：探针一班');
    h.clock.set('2027-05-01T09:00:00+08:00');
    expect((await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId: 1 })).toast.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.close', cycleId: 1 })).toast.type).toBe('success');
    expect((await h.click(ADMIN, { action: 'results.publish', cycleId: 1 })).toast.type).toBe('success');
    await h.drain();
    h.clock.set('2027-05-10T09:00:00+08:00');
    return { h, card };
  }, { oneOnPglite: true });

  it('进度 no longer says it waits for the contact: 单位未确认，未参加本年度评审, with no button to confirm', async () => {
    for (const who of [ONE, ONE_CONTACT]) {
      const seen = await inEachWorld(worlds, async ({ h }) => {
        h.fake.reset();
        await h.say(who, '进度');
        const m = h.fake.messages.filter((x) => x.receiveId === who).at(-1)!;
        expectValidCard(m.content);
        return { text: cardText(m.content), actions: cardActions(m.content).map((a) => String(a.action)) };
      });
      expect(seen.fast).toEqual(seen.ordinary);
      expect(seen.fast.text).toContain('2027 年度：单位未确认，未参加本年度评审');
      expect(seen.fast.text).not.toContain('待单位确认');
      expect(seen.fast.text).not.toContain('等待');
      expect(seen.fast.actions).not.toContain('endorse.open');
    }
  });

  it('待确认申报 no longer lists it, and opening it from an old list shows the materials without the form', async () => {
    for (const mode of MODES_HERE) {
      const { h } = worlds[mode];
      const list = await h.click(ONE_CONTACT, { action: 'endorse.list' });
      expectValidCard(list.card.data);
      expect(cardText(list.card.data), mode).not.toContain('探针一班');
      const opened = await h.click(ONE_CONTACT, { action: 'endorse.open', applicationId: 1 });
      expectValidCard(opened.card.data);
      expect(opened.toast).toEqual({ type: 'info', content: '2027年度评审结果已公布，不能再推荐或退回这份申报。如有疑问，请联系协会。' });
      expect(cardActions(opened.card.data)).toEqual([]);
      expect(cardText(opened.card.data)).toContain('探针一班');
    }
  });

  it('推荐 or 退回 on the old confirmation card is refused, and the card is redrawn without the form, the refusal a plain note', async () => {
    for (const [verb, what] of [['endorse.recommend', '推荐'], ['endorse.return', '退回']] as const) {
      const seen = await inEachWorld(worlds, async ({ h, card }) => {
        const late = await h.click(ONE_CONTACT, cardActions(card.content).find((a) => a.action === verb)!, { truthful: true, opinion: '同意推荐' }, { messageId: card.messageId });
        expectValidCard(late.card.data);
        return { toast: late.toast, text: cardText(late.card.data), actions: cardActions(late.card.data).map((a) => String(a.action)) };
      });
      expect(seen.fast).toEqual(seen.ordinary);
      expect(seen.fast.toast).toEqual({ type: 'info', content: `2027年度评审结果已公布，不能再${what}这份申报。如有疑问，请联系协会。` });
      expect(seen.fast.actions).toEqual([]);
      expect(seen.fast.text).not.toContain('请修改');
      expect(seen.fast.text).toContain(`2027年度评审结果已公布，不能再${what}这份申报`);
      expect(seen.fast.text).toContain('探针一班');
    }
  });
});
