import { describe, expect, it } from 'vitest';
import { complaintAlertCard, complaintFormCard, complaintListCard, type ComplaintView, revocationAlertCard } from '../cards/complaints.js';
import { complaintForm, complaintViewOf, revocationDecisionForm } from '../src/complaints.js';
import { chatBoundCard, chatUnboundCard, groupIntroCard } from '../cards/groups.js';
import { anniversaryCard, applyDeadlineContactCard, applyDeadlineLeaderCard, digestCard, reviewMeetingCard, scoringDeadlineCard } from '../cards/reminders.js';
import { addDays } from '../src/dates.js';
import { UserError } from '../src/errors.js';
import { parsePurpose } from '../src/groups.js';
import { digestPeriod, isoWeek } from '../src/jobs/digest.js';
import { owedOffset, reminderPeriods } from '../src/jobs/reminders.js';
import { addressKey, networkKey } from '../src/rateLimit.js';
import { cardActions, cardText, expectValidCard, formFieldNames } from './support/cards.js';

const cycle = { year: 2027, status: 'open', applicationDeadline: '2027-05-31', scoringDeadline: '2027-06-30', reviewMeetingDate: '2027-07-20' };

describe('the reminder calendar', () => {
  const periodsOn = (date: string, status = 'open') => reminderPeriods({ ...cycle, status }, date).map((p) => p.period);

  it('application deadline at 7, 3 and 1 days before, only while applications are open', () => {
    expect(periodsOn('2027-05-24')).toEqual(['apply-deadline:2027:T-7']);
    expect(periodsOn('2027-05-28')).toEqual(['apply-deadline:2027:T-3']);
    expect(periodsOn('2027-05-30')).toEqual(['apply-deadline:2027:T-1']);
    for (const d of ['2027-05-23', '2027-06-01']) expect(periodsOn(d), d).toEqual([]);
    expect(periodsOn('2027-05-28', 'scoring')).toEqual([]);
  });

  it('scoring deadline at 3 and 1 days before, then every day of the first week overdue and weekly after, until scoring closes', () => {
    expect(periodsOn('2027-06-27', 'scoring')).toEqual(['scoring-deadline:2027:T-3']);
    expect(periodsOn('2027-06-29', 'scoring')).toEqual(['scoring-deadline:2027:T-1']);
    expect(periodsOn('2027-07-01', 'scoring')).toEqual(['scoring-deadline:2027:overdue:2027-07-01']);
    expect(periodsOn('2027-07-02', 'scoring')).toEqual(['scoring-deadline:2027:overdue:2027-07-02']);
    const scoringOn = (date: string) => periodsOn(date, 'scoring').filter((p) => p.startsWith('scoring-deadline'));
    expect(scoringOn('2027-07-07')).toEqual(['scoring-deadline:2027:overdue:2027-07-07']);
    // days 8–13 owe day 7's, already sent; day 14 the next, made up on 15–20 if missed
    expect(scoringOn('2027-07-08')).toEqual(['scoring-deadline:2027:overdue:2027-07-07']);
    expect(scoringOn('2027-07-13')).toEqual(['scoring-deadline:2027:overdue:2027-07-07']);
    expect(scoringOn('2027-07-14')).toEqual(['scoring-deadline:2027:overdue:2027-07-14']);
    expect(scoringOn('2027-07-20')).toEqual(['scoring-deadline:2027:overdue:2027-07-14']);
    expect(scoringOn('2027-07-21')).toEqual(['scoring-deadline:2027:overdue:2027-07-21']);
    expect(periodsOn('2027-07-02', 'closed')).toEqual([]);
  });

  it('review meeting (第十九条) at 14 and 3 days before, whatever the state of the running cycle', () => {
    expect(periodsOn(addDays('2027-07-20', -14), 'closed')).toEqual(['review-meeting:2027:T-14']);
    expect(periodsOn(addDays('2027-07-20', -3), 'closed')).toEqual(['review-meeting:2027:T-3']);
    expect(periodsOn(addDays('2027-07-20', -15), 'closed')).toEqual([]);
    expect(periodsOn('2027-07-21', 'closed')).toEqual([]);
  });

  it('two reminders may fall on one day', () => {
    const tight = { ...cycle, applicationDeadline: '2027-06-02', scoringDeadline: '2027-06-02', reviewMeetingDate: '2027-06-15' };
    expect(reminderPeriods(tight, '2027-06-01').map((p) => p.period)).toEqual(['apply-deadline:2027:T-1', 'scoring-deadline:2027:T-1', 'review-meeting:2027:T-14']);
  });
});

describe('the reminder calendar makes up a day the bot was down', () => {
  const owedOn = (date: string, status = 'open') => reminderPeriods({ ...cycle, status }, date).map((p) => [p.period, p.daysLeft]);

  it('owes the smallest offset at or above the days left, from the largest offset to the date itself', () => {
    expect(owedOffset([7, 3, 1], 8)).toBeUndefined();
    expect([7, 6, 5, 4, 3, 2, 1, 0].map((d) => owedOffset([7, 3, 1], d))).toEqual([7, 7, 7, 7, 3, 3, 1, 1]);
    expect(owedOffset([7, 3, 1], -1)).toBeUndefined();
    expect([14, 10, 4, 3, 0].map((d) => owedOffset([14, 3], d))).toEqual([14, 14, 14, 3, 3]);
  });

  it('application deadline: each day until the deadline owes the latest reminder, with the real days left', () => {
    const days = Array.from({ length: 10 }, (_, i) => addDays('2027-05-23', i));
    expect(days.map((d) => [d, owedOn(d)])).toEqual([
      ['2027-05-23', []],
      ['2027-05-24', [['apply-deadline:2027:T-7', 7]]],
      ['2027-05-25', [['apply-deadline:2027:T-7', 6]]],
      ['2027-05-26', [['apply-deadline:2027:T-7', 5]]],
      ['2027-05-27', [['apply-deadline:2027:T-7', 4]]],
      // down on T-3: the day after owes T-3 (never T-7 again), two days left
      ['2027-05-28', [['apply-deadline:2027:T-3', 3]]],
      ['2027-05-29', [['apply-deadline:2027:T-3', 2]]],
      ['2027-05-30', [['apply-deadline:2027:T-1', 1]]],
      // down on T-1: the deadline day itself still owes T-1
      ['2027-05-31', [['apply-deadline:2027:T-1', 0]]],
      ['2027-06-01', []],
    ]);
  });

  it('scoring deadline: T-1 still owed on the deadline day, then one overdue period a day', () => {
    expect(owedOn('2027-06-28', 'scoring')).toEqual([['scoring-deadline:2027:T-3', 2]]);
    expect(owedOn('2027-06-30', 'scoring')).toEqual([['scoring-deadline:2027:T-1', 0]]);
    expect(owedOn('2027-07-01', 'scoring')).toEqual([['scoring-deadline:2027:overdue:2027-07-01', -1]]);
  });

  it('review meeting: T-14 until T-3 is reached, T-3 until the meeting day, nothing after it', () => {
    expect(owedOn('2027-07-10', 'closed')).toEqual([['review-meeting:2027:T-14', 10]]);
    expect(owedOn('2027-07-18', 'closed')).toEqual([['review-meeting:2027:T-3', 2]]);
    expect(owedOn('2027-07-20', 'closed')).toEqual([['review-meeting:2027:T-3', 0]]);
    expect(owedOn('2027-07-21', 'closed')).toEqual([]);
  });

  it('every period carries its date and offset, so a run can tell a moved date from its own claim', () => {
    expect(reminderPeriods(cycle, '2027-05-29')).toEqual([{ kind: 'apply-deadline', period: 'apply-deadline:2027:T-3', daysLeft: 2, target: '2027-05-31', offset: 3 }]);
  });
});

describe('digest periods', () => {
  it('names ISO weeks', () => {
    expect(isoWeek('2027-05-24')).toBe('2027-W21');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
    expect(isoWeek('2026-12-31')).toBe('2026-W53');
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
    expect(isoWeek('2026-01-05')).toBe('2026-W02');
  });

  it('is daily while a cycle runs, weekly on Mondays otherwise', () => {
    expect(digestPeriod('2027-05-26', true)).toEqual({ kind: 'daily', period: '2027-05-26' });
    expect(digestPeriod('2027-05-24', false)).toEqual({ kind: 'weekly', period: '2027-W21' });
    expect(digestPeriod('2027-05-25', false)).toBeUndefined();
  });
});

describe('the address key of the public form\'s limit', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:eeee:dddd:cccc')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('')).toBe('unknown');
  });

  it('reads an address without the port a proxy may write after it, and any other value as one key', () => {
    expect(addressKey('198.51.100.10:40001')).toBe('198.51.100.10');
    expect(addressKey('198.51.100.10:40002')).toBe('198.51.100.10');
    expect(addressKey('[2001:db8:0:1::1]:443')).toBe('2001:db8:0:1::/64');
    expect(addressKey('[2001:db8:0:1::1]')).toBe('2001:db8:0:1::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(networkKey('[2001:db8:77:1::1]:443')).toBe('2001:db8:77::/48');
    for (const made of ['garbage-1', 'garbage-2', 'unknown', '1.2.3.4.5']) expect(addressKey(made)).toBe('unknown');
  });

  it('names an IPv6 address\'s /48, and no network for IPv4', () => {
    expect(networkKey('2001:db8:77:1::1')).toBe('2001:db8:77::/48');
    expect(networkKey('2001:0db8:0077:ffff:1:2:3:4')).toBe('2001:db8:77::/48');
    expect(networkKey('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkKey('203.0.113.7')).toBeUndefined();
    expect(networkKey('::ffff:203.0.113.7')).toBeUndefined();
    expect(networkKey('')).toBeUndefined();
  });
});

describe('binding purposes', () => {
  it('reads Chinese and English words, defaults to none, and refuses the rest with the choices', () => {
    expect(parsePurpose('')).toBeUndefined();
    expect(parsePurpose('专家')).toBe('experts');
    expect(parsePurpose(' Experts ')).toBe('experts');
    expect(parsePurpose('管理')).toBe('admin');
    expect(() => parsePurpose('财务')).toThrow(UserError);
  });
});

const team = { id: 42, name: '广州市政养护一班', code: 'GDSZ-2026-0042', organization: '广州市市政工程维修有限公司' };
const complaint = (i: number, content = '路面修补后一周即开裂'): ComplaintView =>
  complaintViewOf({
  id: i,
  reference: `TS-2027-${String(i).padStart(4, '0')}`,
  content,
  contact: '13800000000',
  channel: 'web',
  status: i % 3 ? 'upheld' : 'dismissed',
  note: '现场核实',
  receivedOn: '2027年5月20日',
  team,
  });

describe('cards of this feature are valid JSON 2.0 with the right buttons', () => {
  it('reminders', () => {
    const leader = applyDeadlineLeaderCard({ year: 2027, deadline: '2027-05-31', daysLeft: 3, team, state: 'draft' });
    expectValidCard(leader);
    expect(cardActions(leader)).toEqual([{ action: 'application.open', teamId: 42 }]);
    expect(cardText(leader)).toContain('2027年5月31日');
    const contact = applyDeadlineContactCard({ year: 2027, deadline: '2027-05-31', daysLeft: 1, teams: [team] });
    expectValidCard(contact);
    expect(cardActions(contact)).toEqual([{ action: 'endorse.list' }]);
    // a large organisation's contact: the card names the first teams and counts the rest, within Feishu's size
    const many = Array.from({ length: 600 }, (_, i) => ({ ...team, id: i + 1, name: `广州市政道路养护第${i + 1}班组（长名称）`, code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}` }));
    const large = applyDeadlineContactCard({ year: 2027, deadline: '2027-05-31', daysLeft: 1, teams: many });
    expectValidCard(large);
    expect(cardText(large)).toContain('600 份申报待你确认');
    expect(cardText(large)).toContain('GDSZ-2026-0030');
    expect(cardText(large)).not.toContain('GDSZ-2026-0031');
    expect(cardText(large)).toContain('等 600 个班组');
    const scoring = scoringDeadlineCard({ year: 2027, cycleId: 9, deadline: '2027-06-30', daysLeft: -2, pending: 2 });
    expectValidCard(scoring);
    expect(cardText(scoring)).toContain('已逾期 2 天');
    expect(cardActions(scoring)).toEqual([{ action: 'review.next', cycleId: 9 }]);
    expectValidCard(reviewMeetingCard({ year: 2027, date: '2027-07-20', daysLeft: 14, audience: 'admin', accepted: 12 }));
    expectValidCard(reviewMeetingCard({ year: 2027, date: '2027-07-20', daysLeft: 3, audience: 'applicant', team }));
  });

  it('the anniversary offers to apply only while a cycle takes applications', () => {
    const open = anniversaryCard({ team: { ...team, registeredAt: '2026-05-28' }, cycle: { year: 2027, applicationDeadline: '2027-05-31' } });
    expectValidCard(open);
    expect(cardActions(open)).toEqual([{ action: 'application.open', teamId: 42 }]);
    const closed = anniversaryCard({ team: { ...team, registeredAt: '2026-05-28' } });
    expect(cardActions(closed)).toEqual([]);
    expect(cardText(closed)).toContain('第十六条');
    expect(cardText(open)).toContain('今天已满一年');
    // told after the day (the bot was down on it): the card does not say "today"
    const late = anniversaryCard({ team: { ...team, registeredAt: '2026-05-25' }, cycle: { year: 2027, applicationDeadline: '2027-05-31' }, lateSince: '2027-05-25' });
    expectValidCard(late);
    expect(cardText(late)).toContain('已满一年（2027年5月25日起）');
    expect(cardText(late)).not.toContain('今天');
    expect(cardActions(late)).toEqual([{ action: 'application.open', teamId: 42 }]);
  });

  it('the digest', () => {
    const d = digestCard({
      kind: 'daily',
      period: '2027-07-02',
      cycle: { year: 2027, statusLabel: '专家评分中', counts: [['已受理，待评审', 12], ['草稿', 0]], scoringDeadline: '2027-06-30' },
      overdueExperts: [{ openId: 'ou_expert1', name: '王工', pending: 2 }],
      openComplaints: { total: 1, oldest: [{ reference: 'TS-2027-0001', teamName: team.name, daysOpen: 9 }] },
      deadLetters: 2,
    });
    expectValidCard(d);
    const text = cardText(d);
    expect(text).toContain('已受理，待评审 12');
    expect(text).not.toContain('草稿 0');
    expect(text).toContain('<at id=ou_expert1></at>');
    expect(text).toContain('TS-2027-0001');
    expect(cardActions(d).map((a) => a.action)).toEqual(['complaint.list', 'admin.menu']);
    expect(text).not.toContain('另有');
    // more open than the five oldest it lists: says how many more and where they are
    const many = digestCard({
      kind: 'daily',
      period: '2027-07-02',
      overdueExperts: [],
      openComplaints: { total: 12, oldest: Array.from({ length: 5 }, (_, i) => ({ reference: `TS-2027-000${i + 1}`, teamName: team.name, daysOpen: 9 })) },
      deadLetters: 0,
    });
    expectValidCard(many);
    expect(cardText(many)).toContain('待处理投诉 12 件');
    expect(cardText(many)).toContain('另有 7 件，请点下方“处理投诉”查看。');
  });

  it('complaints and revocation: the longest content stays under the limits', () => {
    const alert = complaintAlertCard(complaint(1, '长'.repeat(2000)), { title: { honourId: 5, year: 2026, run: 1, required: 2 }, daysOpen: 9 });
    expectValidCard(alert);
    expect(cardText(alert)).toContain('已 9 天未处理');
    expect(formFieldNames(alert)).toEqual(['note', 'duplicateOf']);
    const revocation = revocationAlertCard({ team, title: { honourId: 5, year: 2026, run: 2, required: 2 }, history: Array.from({ length: 10 }, (_, i) => complaint(i + 1, '长'.repeat(2000))), form: revocationDecisionForm });
    expectValidCard(revocation);
    expect(cardActions(revocation)).toEqual([
      { action: 'revocation.revoke', honourId: 5 },
      { action: 'revocation.keep', honourId: 5 },
    ]);
    expect(formFieldNames(complaintFormCard({ descriptor: complaintForm }))).toEqual(['team', 'content', 'contact']);
    expectValidCard(complaintListCard({ items: [{ ...complaint(1), daysOpen: 3 }], total: 1 }));
    // one received today is said so, not 已 0 天
    const today = cardText(complaintListCard({ items: [{ ...complaint(1), daysOpen: 0 }, { ...complaint(2), daysOpen: 3 }], total: 2 }));
    expect(today).toContain('今天收到');
    expect(today).toContain('已 3 天');
    expect(today).not.toContain('已 0 天');
  });

  it('groups', () => {
    expectValidCard(groupIntroCard());
    expectValidCard(chatBoundCard({ purpose: 'admin', isNew: true, purposes: ['admin'] }));
    expectValidCard(chatUnboundCard({ removed: [], remaining: [], adminGroupLeft: false }));
  });
});
