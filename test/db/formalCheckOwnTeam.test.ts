import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications, cycles, organizations, people, teamMembers, teams } from '../../db/schema.js';
import { ManualClock } from '../../src/clock.js';
import { defaultScoreSheet } from '../../src/scoreSheet.js';
import { fastFormalCheck } from '../../src/fast/formalCheck.js';
import { cardText } from '../support/cards.js';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { comparableAnswer, inEachWorld, leavesToOrdinary, MODES_HERE, twoWorlds, writtenCounts } from '../support/worlds.js';

/**
 * 形式审查 by an administrator of the team itself: its leader, a member or its 单位联系人 may not 受理 or 退回 its
 * application (第十七条 公开、公平、公正, as experts are kept off their own teams). Refused on both paths, nothing
 * changed, another administrator asked to decide; another administrator still can.
 */
const LEADER_ADMIN = 'ou_ownleaderadmin000000000000000001';
const MEMBER_ADMIN = 'ou_ownmemberadmin000000000000000001';
const CONTACT_ADMIN = 'ou_owncontactadmin00000000000000001';
const REASON = '材料链接打不开，请补充';

async function seed(h: Harness) {
  const [org] = await h.db.db.insert(organizations).values({ name: '广州市政集团' }).returning();
  await h.db.db.insert(people).values([
    { openId: ADMIN, name: '王管理员' },
    { openId: LEADER_ADMIN, name: '赵干事', roles: ['admin'] },
    { openId: MEMBER_ADMIN, name: '钱干事', roles: ['admin'] },
    { openId: CONTACT_ADMIN, name: '孙干事', roles: ['admin', 'org_contact'] },
  ]);
  const [t] = await h.db.db
    .insert(teams)
    .values({
      code: 'GDSZ-2025-0009', name: '市政养护九班', organizationId: org.id, department: '养护部', type: 'project', leaderOpenId: LEADER_ADMIN,
      phone: '020-12345678', memberCount: 8, functions: '道路养护', goals: '零缺陷', plan: '每月 QC', contactOpenId: CONTACT_ADMIN, registeredAt: '2025-01-10',
    })
    .returning();
  await h.db.db.insert(teamMembers).values([
    { teamId: t.id, openId: LEADER_ADMIN, role: 'leader' },
    { teamId: t.id, openId: MEMBER_ADMIN, role: 'member' },
  ]);
  const [c] = await h.db.db
    .insert(cycles)
    .values({ year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-15', scoreSheet: defaultScoreSheet })
    .returning();
  const [a] = await h.db.db
    .insert(applications)
    .values({ teamId: t.id, cycleId: c.id, status: 'recommended', form: { title: '路面修补' }, submittedAt: new Date('2027-03-09T10:00:00+08:00'), endorsement: { by: CONTACT_ADMIN, decision: 'recommend', opinion: '同意' } })
    .returning();
  return { h, appId: a.id };
}

const statusOf = async (h: Harness, id: number) => (await h.db.db.select({ status: applications.status }).from(applications).where(eq(applications.id, id)))[0].status;

describe('形式审查 of an administrator\'s own team', () => {
  const worlds = twoWorlds(async () => seed(await startHarness({ clock: new ManualClock('2027-03-10T09:00:00+08:00'), admins: [ADMIN] })), { oneOnPglite: true });

  it.each([
    ['leads', LEADER_ADMIN, '班组长'],
    ['is a member of', MEMBER_ADMIN, '成员'],
    ['is the 单位联系人 of', CONTACT_ADMIN, '单位联系人'],
  ] as const)('an administrator who %s the team may neither 受理 nor 退回 its application', async (_name, who, as) => {
    for (const action of ['check.accept', 'check.return'] as const) {
      const answers = await inEachWorld(worlds, async ({ h, appId }, mode) => {
        const { audits, outbox } = await writtenCounts(h.db.db);
        const sent = h.fake.messages.length;
        // the one statement itself leaves it, having written nothing (PGlite has no statement: undefined at once)
        await leavesToOrdinary(
          () => writtenCounts(h.db.db),
          () =>
            fastFormalCheck(h.db, {
              eventId: `probe_own_${mode}_${action}_${as}`, eventType: 'card.action.trigger', openId: who, applicationId: appId,
              decision: action === 'check.accept' ? 'accept' : 'return', reason: action === 'check.return' ? REASON : undefined,
              now: h.clock.now(), bootstrapAdmins: [ADMIN], timezone: 'Asia/Shanghai', today: '2027-03-10',
            }),
        );
        const body = await h.click(who, { action, applicationId: appId }, action === 'check.return' ? { [`reason_${appId}`]: REASON } : {});
        expect(body.toast, `${mode} ${action}`).toEqual({ type: 'error', content: `你是市政养护九班的${as}，按第十七条（公开、公平、公正）回避，不能审查本班组的申报，请由其他管理员审查。` });
        // the list again, saying why, the application still on it
        expect(cardText(body.card.data)).toContain('请由其他管理员审查');
        expect(cardText(body.card.data)).toContain('市政养护九班');
        expect(await statusOf(h, appId), `${mode} ${action}`).toBe('recommended');
        expect(await writtenCounts(h.db.db)).toMatchObject({ audits, outbox });
        expect(h.fake.messages.length).toBe(sent);
        return comparableAnswer(body);
      });
      expect(answers.fast).toEqual(answers.ordinary);
    }
  });

  it('another administrator accepts it', async () => {
    for (const mode of MODES_HERE) {
      const { h, appId } = worlds[mode];
      const body = await h.click(ADMIN, { action: 'check.accept', applicationId: appId });
      expect(body.toast, mode).toEqual({ type: 'success', content: '已受理：市政养护九班' });
      expect(await statusOf(h, appId), mode).toBe('accepted');
    }
  });
});
