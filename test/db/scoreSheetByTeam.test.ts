import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, applications, people, teams } from '../../db/schema.js';
import { seedLargeCycle } from '../../scripts/benchLargeCycle.js';
import { ManualClock } from '../../src/clock.js';
import { cardActions, cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';

// an expert with many sheets asks for one team's: 评分 <code or name> opens that task's sheet, as the list's button does
const EXPERTS = ['ou_namedsheet00000000000000000000001', 'ou_namedsheet00000000000000000000002', 'ou_namedsheet00000000000000000000003'];
const E1 = EXPERTS[0];

describe('评分 with a team’s code or name typed by an expert', () => {
  let h: Harness;
  let mine: { assignmentId: number; code: string; name: string }[];
  beforeAll(async () => {
    h = await startHarness({ clock: new ManualClock('2030-06-01T09:00:00+08:00'), outboxLimits: { perApp: 1000, perReceiver: 1000 } });
    const { cycleId } = await seedLargeCycle(h.db.db, { applications: 4, experts: 0, organizations: 4, year: 2030 });
    await h.db.db.insert(people).values(EXPERTS.map((openId, i) => ({ openId, name: `专家${i}`, roles: ['expert'] })));
    await h.click(ADMIN, { action: 'cycle.closeApplications', cycleId });
    await h.drain();
    mine = await h.db.db
      .select({ assignmentId: assignments.id, code: teams.code, name: teams.name })
      .from(assignments)
      .innerJoin(applications, eq(applications.id, assignments.applicationId))
      .innerJoin(teams, eq(teams.id, applications.teamId))
      .where(and(eq(assignments.expertOpenId, E1), eq(assignments.status, 'assigned')))
      .orderBy(asc(teams.code));
  });
  afterAll(async () => h?.close());

  const answerTo = async (text: string) => {
    h.fake.reset();
    await h.say(E1, text);
    return h.fake.messages.filter((m) => m.receiveId === E1);
  };

  it('by code (in full width too), by name and in English: that task’s sheet', async () => {
    expect(mine.length).toBeGreaterThan(1);
    const last = mine[mine.length - 1];
    const fullWidth = (t: string) => t.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    for (const typed of [`评分 ${last.code}`, `评分 ${fullWidth(last.code)}`, `review ${last.code.toLowerCase()}`, `评分 ${last.name}`, `评分 ${last.name}。`]) {
      const [sheet] = await answerTo(typed);
      expect(sheet?.msgType, typed).toBe('interactive');
      expect(cardText(sheet.content), typed).toContain(`评分：${last.name}`);
      expect(cardActions(sheet.content), typed).toContainEqual(expect.objectContaining({ action: 'review.submit', assignmentId: last.assignmentId }));
    }
  });

  it('a task no longer to score is told why in words, not a bare list', async () => {
    const [first] = mine;
    await h.click(E1, { action: 'review.decline', assignmentId: first.assignmentId }, { kind: 'unavailable', reason: '出差' });
    const answers = await answerTo(`评分 ${first.code}`);
    // declined: no longer among the tasks to score, so not theirs now
    expect(answers.map((m) => m.content.text)).toEqual([`你本年度的评分任务中没有 ${first.code}（可能已谢绝、改派或不属于你）。发送“评分”查看你的评分任务。`]);
  });

  it('a code of no task of theirs is told so; other words after 评分 are a question for the measures', async () => {
    const [none] = await answerTo('评分 GDSZ-2019-0999');
    expect(none.content.text).toBe('你本年度的评分任务中没有 GDSZ-2019-0999（可能已谢绝、改派或不属于你）。发送“评分”查看你的评分任务。');
    const [question] = await answerTo('评分 标准是什么');
    expect(cardText(question.content)).toContain('办法中的相关条款');
    // 评分 alone is still the list
    const [list] = await answerTo('评分');
    expect(cardText(list.content)).toContain('评分任务');
  });
});
