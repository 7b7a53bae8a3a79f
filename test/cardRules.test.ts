import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endorsementRequestCard, formalCheckCard, formalCheckPageSize, formalCheckReasonField, formalCheckRequestCard, notALeaderCard } from '../cards/applications.js';
import { checkList } from '../bot/applications/formalCheck.js';
import { complaintBatchAlertCard, complaintFormCard, complaintListCard, complaintListPage, complaintTeamPickerCard } from '../cards/complaints.js';
import { complaintForm, teamNotFound } from '../src/complaints.js';
import { UserError } from '../src/errors.js';
import { expertPoolCard } from '../cards/experts.js';
import { membersCard, teamPickerCard } from '../cards/teams.js';
import { button, CARD_BYTES_BUDGET, card, cardBodyBytes, pageOf } from '../cards/kit.js';
import { form, submitButton, textInput } from '../cards/forms.js';
import { scoringTaskCard, taskApplicationCard, taskListCard } from '../cards/review.js';
import { digestCard } from '../cards/reminders.js';
import { applicationForm, endorsementForm } from '../src/applications.js';
import { formDisplay } from '../src/forms.js';
import { createLarkClient } from '../src/lark/client.js';
import { createLogger } from '../src/log.js';
import { cardRuleViolations } from '../src/local/cardRules.js';
import { CARD_ACTIVE_MS, type FakeOpenPlatform, startFakeOpenPlatform } from '../src/local/fakeOpenPlatform.js';
import { scoreFields, scoreSheetForm } from '../src/review/scoring.js';
import { expertAddForm } from '../src/review/experts.js';
import { defaultScoreSheet } from '../src/scoreSheet.js';
import { cardActions, cardText, expectValidCard, formFieldNames, taggedCount } from './support/cards.js';

/** The text of every button in the card, in order. */
const buttonTexts = (c: unknown): string[] => {
  const out: string[] = [];
  const walk = (v: any) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (v.tag === 'button') out.push(v.text?.content);
      Object.values(v).forEach(walk);
    }
  };
  walk(c);
  return out;
};
/** Column sets each in the column of the one above, `n` deep: 2n containers. */
const nested = (n: number): Record<string, unknown> =>
  n === 0 ? { tag: 'markdown', content: '最里层' } : { tag: 'column_set', columns: [{ tag: 'column', elements: [nested(n - 1)] }] };
const long = (n: number) => '沥青路面坑槽快速修补工法，'.repeat(Math.ceil(n / 13)).slice(0, n);

describe('the card checker counts as Feishu does', () => {
  it('counts every object with a tag: header, button texts, placeholders, options', () => {
    const c = card({ title: '标题', subtitle: '副标题', elements: [button({ text: '按钮', value: { action: 'x' } })] });
    // header title + subtitle, the button and its plain_text
    expect(taggedCount(c)).toBe(4);
    const many = card({ title: 't', elements: Array.from({ length: 100 }, (_, i) => button({ text: `b${i}`, value: { action: 'x', i } })) });
    expect(taggedCount(many)).toBe(201);
    expect(cardRuleViolations(many)).toEqual(['201 tagged objects, over 200']);
  });

  it('requires names unique across the whole card, not per form', () => {
    const twoForms = card({
      title: 't',
      elements: [1, 2].map((id) => form(`f_${id}`, [textInput({ name: 'reason', label: '原因' }), submitButton({ text: '提交', name: 'go', value: { action: 'x', id } })])),
    });
    expect(cardRuleViolations(twoForms)).toEqual([
      expect.stringContaining('name "reason" already used'),
      expect.stringContaining('name "go" already used'),
    ]);
  });
});

describe('the card checker refuses what the card JSON 2.0 pages refuse', () => {
  const ok = () => card({ title: 't', elements: [button({ text: 'b', value: { action: 'x' } })] });
  const withEl = (...elements: Record<string, unknown>[]) => card({ title: 't', elements });
  const submit = submitButton({ text: '提交', name: 'go', value: { action: 'x' } });
  const cases: [string, unknown, RegExp][] = [
    // "In JSON 2.0 version, passing unsupported properties will result in an error."
    ['a JSON 1.0 top-level elements', { ...ok(), elements: [] }, /card: unknown property "elements"/],
    ['a JSON 1.0 config key', { ...ok(), config: { update_multi: true, wide_screen_mode: true } }, /config: unknown property "wide_screen_mode"/],
    ['an unknown button property', withEl({ ...button({ text: 'b', value: { action: 'x' } }), colour: 'red' }), /unknown property "colour" on button/],
    ['an unknown header property', { ...ok(), header: { title: { tag: 'plain_text', content: 't' }, color: 'blue' } }, /header: unknown property "color"/],
    ['a tag the simulation does not know', withEl({ tag: 'div', text: { tag: 'plain_text', content: 'x' } }), /tag "div" is not a component the simulation knows/],
    // "update_multi 参数仅支持设为 true"
    ['update_multi false', { ...ok(), config: { update_multi: false } }, /update_multi may only be true/],
    // column-set page: weight 1..5; width auto, weighted or [16,600]px
    ['a column weight of 6', withEl({ tag: 'column_set', columns: [{ tag: 'column', width: 'weighted', weight: 6, elements: [] }] }), /weight 6 is not an integer from 1 to 5/],
    ['a column 8px wide', withEl({ tag: 'column_set', columns: [{ tag: 'column', width: '8px', elements: [] }] }), /width "8px"/],
    // form page: only at the root, named, a submit button, no form in a form, every field named
    ['a form inside a column', withEl({ tag: 'column_set', columns: [{ tag: 'column', elements: [form('f', [submit])] }] }), /a form may sit only at the card's root/],
    ['a form without a name', withEl({ tag: 'form', elements: [submit] }), /a form has no name/],
    ['a form without a submit button', withEl(form('f', [textInput({ name: 'a', label: 'A' })])), /a form without a submit button/],
    ['a form in a form', withEl(form('f', [form('g', [submitButton({ text: '提交', name: 'go2', value: { action: 'x' } })]), submit])), /a form may not sit in a form/],
    // JSON 2.0 form page: "表单容器不支持内嵌表格（table）和表单容器组件"
    ['a table in a form', withEl(form('f', [{ tag: 'table', columns: [], rows: [] }, submit])), /a table may not sit in a form/],
    ['an unnamed input in a form', withEl(form('f', [{ tag: 'input' }, submit])), /input in a form has no name/],
    ['an unnamed submit button', withEl(form('f', [{ ...submit, name: undefined }])), /button in a form has no name/],
    ['a submit button outside a form', withEl(submit), /a submit button outside a form/],
    // multi-select user picker: "only supported for use embedded within a form container"; required: only in a form
    ['a multi_select_person outside a form', withEl({ tag: 'multi_select_person', name: 'm' }), /multi_select_person outside a form/],
    ['required outside a form', withEl({ tag: 'input', name: 'q', required: true }), /required on a input outside a form/],
    // structure page: element_id a letter then letters, digits or _, at most 20, unique
    ['an element_id starting with a digit', withEl({ tag: 'hr', element_id: '1abc' }), /element_id "1abc"/],
    ['an element_id used twice', withEl({ tag: 'hr', element_id: 'a' }, { tag: 'hr', element_id: 'a' }), /element_id "a" already used/],
    // rich-text page: mentioning everyone fails without the owner's permission; at most four tables in one element
    ['a mention of everyone', withEl({ tag: 'markdown', content: '请 <at id=all></at> 注意' }), /mentions everyone/],
    ['five tables in one markdown', withEl({ tag: 'markdown', content: Array.from({ length: 5 }, () => '|a|b|\n|---|---|\n|1|2|').join('\n\n') }), /5 tables in one markdown element, over 4/],
    // message/create, 230099 子错误码 100290: "There is an invalid user resource(at/person) in your card"
    ['a mention of an import\'s placeholder', withEl({ tag: 'markdown', content: '<at id=pending:m:13800000001></at> 已提交' }), /ErrCode: 100290;.*ErrorValue: pending:m:13800000001/],
    ['a mention of a union_id', withEl({ tag: 'markdown', content: '<at id=on_0123abcd></at>' }), /ErrCode: 100290;.*ErrorValue: on_0123abcd/],
    // 飞书卡片常见问题, 发送卡片 Q5: "https://xxxx.xxx中文文本" is read as one invalid link
    ['a bare address glued to Chinese', withEl({ tag: 'markdown', content: '**意见**：材料见https://pan.example.com/s/abc中文说明' }), /invalid link "https:\/\/pan\.example\.com\/s\/abc中文说明/],
    ['a bare address glued to a full-width comma', withEl({ tag: 'markdown', content: '见 https://e.example/x，谢谢' }), /invalid link "https:\/\/e\.example\/x，谢谢"/],
    // Q6: "卡片中的链接不支持特殊字符。建议将对应的参数转义"
    ['a link with / and : in its query', withEl({ tag: 'markdown', content: '[时间](https://open.feishu.cn?time=31/12/2014%2023:59:59)' }), /invalid link "https:\/\/open\.feishu\.cn\?time=31\/12\/2014%2023:59:59".*query/],
    ['a link with a space', withEl({ tag: 'markdown', content: '[材料](https://e.example/a b)' }), /invalid link "https:\/\/e\.example\/a b".*space/],
    ['a link with Chinese in it', withEl({ tag: 'markdown', content: '[材料](https://e.example/材料)' }), /invalid link "https:\/\/e\.example\/材料".*percent-encoded/],
    // Q4: "仅支持 http 和 https"
    ['a link of another scheme', withEl({ tag: 'markdown', content: '[x](javascript:alert%281%29)' }), /invalid link "javascript:alert%281%29".*scheme javascript/],
    // button page: a text of 101 characters', withEl(button({ text: long(101), value: { action: 'x' } })), /button text of 101 characters, over 100/],
    // column-set page: "最多支持嵌套五层组件"
    ['containers nested six deep', withEl(nested(3)), /containers nested 6 deep, over 5/],
    // input page: a placeholder of at most 100 characters
    ['a placeholder of 101 characters', withEl(form('f', [textInput({ name: 'a', label: 'A', placeholder: long(101) }), submit])), /placeholder of 101 characters/],
  ];
  it.each(cases)('%s', (_what, c, says) => {
    expect(cardRuleViolations(c).join('\n')).toMatch(says);
  });

  it('takes what the pages allow: a form with its fields in columns, four tables, weights 1–5, 600px', () => {
    const fine = withEl(
      form('f', [{ tag: 'column_set', columns: [{ tag: 'column', width: 'weighted', weight: 5, elements: [textInput({ name: 'a', label: 'A', required: true })] }, { tag: 'column', width: '600px', elements: [submit] }] }]),
      { tag: 'markdown', content: Array.from({ length: 4 }, () => '|a|b|\n|---|---|\n|1|2|').join('\n\n'), element_id: 'md_1' },
      button({ text: long(100), value: { action: 'x' } }),
      form('g', [{ tag: 'column_set', columns: [{ tag: 'column', elements: [{ tag: 'column_set', columns: [{ tag: 'column', elements: [submitButton({ text: '提交', name: 'go_g', value: { action: 'x' } })] }] }] }] }]),
      nested(2),
      // open_ids mentioned; links percent-encoded; an address set apart by a space, or with its colon an entity, or glued to ASCII
      { tag: 'markdown', content: '<at id=ou_7d8a6e6df7621556ce0d21922b676706></at> <at id=ou_local_expert_1></at> [时间](https://open.feishu.cn/a/b:c?time=31%2F12%2F2014%2023%3A59%3A59#x/y) [电话](tel://13800000001)' },
      { tag: 'markdown', content: '材料见 https://pan.example.com/s/abc 中文说明；材料见https&#58;//pan.example.com/s/abc中文说明；https://e.example/x, 见 [见](https://e.example/x)说明 <link url=\'https://e.example/y\'>见</link>说明' },
      // a chart in a form: the 2.0 form page forbids only tables and forms in it
      form('h', [{ tag: 'chart', aspect_ratio: '4:3', chart_spec: { type: 'bar', data: { values: [] } } }, submitButton({ text: '提交', name: 'go_h', value: { action: 'x' } })]),
    );
    expect(cardRuleViolations(fine)).toEqual([]);
  });

  it('the simulated Open Platform refuses such a card with 230099, as Feishu does', async () => {
    const fake = await startFakeOpenPlatform();
    try {
      const client = createLarkClient({ appId: 'cli_rules', appSecret: 'rules-secret', domain: fake.url, log: createLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() })) });
      const err: any = await client.im.v1.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_x', msg_type: 'interactive', content: JSON.stringify({ ...ok(), config: { update_multi: true, wide_screen_mode: true } }) } })
        .catch((e: unknown) => e);
      expect(err.response.data).toMatchObject({ code: 230099, msg: expect.stringContaining('wide_screen_mode') });
      // a mention of no user reads as Feishu writes it (message/create, 230099 子错误码 100290)
      const mentioned: any = await client.im.v1.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_x', msg_type: 'interactive', content: JSON.stringify(withEl({ tag: 'markdown', content: '<at id=pending:m:13800000001></at>' })) } })
        .catch((e: unknown) => e);
      expect(mentioned.response.data).toMatchObject({
        code: 230099,
        msg: expect.stringMatching(/^Failed to create card content, ext=ErrCode: 100290; ErrMsg: There is an invalid user resource\(at\/person\) in your card; ErrorValue: pending:m:13800000001/),
      });
      const glued: any = await client.im.v1.message
        .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_x', msg_type: 'interactive', content: JSON.stringify(withEl({ tag: 'markdown', content: '材料见https://pan.example.com/s/abc中文说明' })) } })
        .catch((e: unknown) => e);
      expect(glued.response.data).toMatchObject({ code: 230099, msg: expect.stringContaining('invalid link "https://pan.example.com/s/abc中文说明') });
      expect(fake.messages).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('申报 from the contact of a thousand teams', () => {
  it('names five of them and counts the rest', () => {
    const c = notALeaderCard(Array.from({ length: 1000 }, (_, i) => ({ name: `广州市政道路养护第${i + 1}班组`, role: 'contact' as const })));
    expectValidCard(c);
    expect(cardText(c)).toContain('广州市政道路养护第5班组」等 1000 个班组');
    expect(cardText(c)).not.toContain('第6班组');
  });
});

describe('an input within its limits', () => {
  const withInput = (input: Record<string, unknown>) => card({ title: 't', elements: [form('f', [{ tag: 'input', name: 'x', ...input }, submitButton({ text: '提交', name: 'go', value: { action: 'x' } })])] });

  it('refuses a max_length outside 1–1000 and a pre-filled value longer than the input takes', () => {
    expect(cardRuleViolations(withInput({ max_length: 1001 }))).toEqual([expect.stringContaining('max_length 1001 is not within 1–1000')]);
    expect(cardRuleViolations(withInput({ max_length: 0 }))).toEqual([expect.stringContaining('max_length 0')]);
    expect(cardRuleViolations(withInput({ max_length: 100, default_value: long(101) }))).toEqual([expect.stringContaining('default_value of 101 characters is longer than max_length 100')]);
    expect(cardRuleViolations(withInput({ default_value: long(1001) }))).toEqual([expect.stringContaining('longer than max_length 1000')]);
    expect(cardRuleViolations(withInput({ max_length: 100, default_value: long(100) }))).toEqual([]);
  });

  it('a kept value longer than its field is cut to what the input takes, so the card is still sent', () => {
    expectValidCard(card({ title: 't', elements: [form('f', [textInput({ name: 'team', label: '被投诉班组', maxLength: 100, value: long(150) }), submitButton({ text: '提交', name: 'go', value: { action: 'x' } })])] }));
  });
});

describe('every list card at its largest realistic input passes', () => {
  it('the pickers naming teams: a 50-character name of a 100-character unit keeps each button within 100 characters', () => {
    // the bot's own limits: 班组名称 at most 50 characters, 单位名称 at most 100
    const name = long(50);
    const organization = '广州市'.repeat(34).slice(0, 100);
    const teams = [
      { id: 1, name, code: 'GDSZ-2026-0001', organization },
      { id: 2, name: '养护二班', code: 'GDSZ-2026-0002', organization: '某公司' },
    ];
    const picker = complaintTeamPickerCard({ query: '养护', teams });
    expectValidCard(picker);
    const texts = buttonTexts(picker);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(new RegExp(`^${name}（广州市.*…）$`));
    expect([...texts[0]].length).toBeLessThanOrEqual(100);
    expect(texts[1]).toBe('养护二班（某公司）');
    // the whole names are in the text above the buttons
    expect(cardText(picker)).toContain(`${name}（${organization}，GDSZ-2026-0001）`);
    // a picker whose names fit shows no list
    expect(cardText(complaintTeamPickerCard({ query: '养护', teams: [teams[1]] }))).not.toContain('GDSZ-2026-0002');
    // names stored before they were capped
    const older = { id: 3, name: long(300), code: 'GDSZ-2020-0003' };
    expectValidCard(teamPickerCard({ title: '选择班组', prompt: '请选择：', teams: [older], action: 'application.open', pageValue: { action: 'application.start' } }));
    // a leader of a hundred teams of names at their 50 characters: a page of them, inside 200 objects and 30 KB
    const many = Array.from({ length: 100 }, (_, i) => ({ id: i + 10, name: `${'长'.repeat(45)}${String(i).padStart(5, '0')}`, code: `GDSZ-2020-${String(i).padStart(4, '0')}` }));
    for (const page of [1, 3, 5]) expectValidCard(teamPickerCard({ title: '选择班组', prompt: '请选择：', teams: many, action: 'application.open', page, pageValue: { action: 'application.start' } }));
    expectValidCard(complaintTeamPickerCard({ query: '养护', teams: [{ ...older, organization: long(300) }] }));
  });

  it('the expert pool: 30 experts over two pages', () => {
    const experts = Array.from({ length: 30 }, (_, i) => ({ openId: `ou_e${i}`, name: `专家${i}`, organization: '华南理工大学土木与交通学院', specialities: ['道路', '桥梁', '隧道'], maxLoad: 20, active: i % 3 !== 0, load: 12, pending: 4 }));
    for (const page of [1, 2]) {
      const shown = pageOf(experts, page, 15);
      const c = expertPoolCard({ experts: shown.items, total: 30, active: 20, page: shown.page, pages: shown.pages, candidates: Array.from({ length: 100 }, (_, i) => `ou_person${i}`), descriptor: expertAddForm, values: { organization: '专家委员会' }, error: '所在单位：请填写所在单位' });
      expectValidCard(c);
      expect(taggedCount(c)).toBeLessThanOrEqual(200);
    }
  });

  it('the formal check: a page of applications, each with its own field names, 1 000-character opinions', () => {
    const items = Array.from({ length: formalCheckPageSize }, (_, i) => ({
      id: 100 + i,
      year: 2027,
      statusLabel: '待形式审查',
      team: { id: i, name: `道路养护${i}班`, code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, organization: '广州市市政工程维修有限公司' },
      display: formDisplay(applicationForm, { title: long(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 96, examPassRate: 95, accidents: 'none', materialsUrl: 'https://example.feishu.cn/docx/abc' }),
      opinion: long(1000),
      // a recommender's name stored before names were capped (an import kept 12 000 characters)
      recommendedBy: long(12_000),
    }));
    const c = formalCheckCard({ year: 2027, items, total: 12, first: formalCheckPageSize + 1, page: 2, pages: 4 });
    expectValidCard(c);
    expect(cardText(c)).toContain(`（${long(50)}…）`);
    expect(cardText(c)).toContain('第 2 / 4 页');
    const request = formalCheckRequestCard(items[0], long(12_000));
    expectValidCard(request);
    expect(cardText(request)).toContain(`（${long(50)}…）`);
    expect(formFieldNames(c)).toEqual(items.map((a) => formalCheckReasonField(a.id)));
    expect(cardActions(c).filter((a) => a.action === 'check.accept').map((a) => a.applicationId)).toEqual(items.map((a) => a.id));
    // a decision answers with the page it was made on
    expect(cardActions(c).filter((a) => a.action === 'check.accept' || a.action === 'check.return').every((a) => a.page === 2)).toBe(true);
  });

  it('the task list: 20 tasks on one page', () => {
    const tasks = Array.from({ length: 20 }, (_, i) => ({ assignmentId: i + 1, code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, team: `广州市政道路养护第${i + 1}班`, title: long(100), status: i % 2 ? 'submitted' : 'assigned', total: i % 2 ? 91.5 : null }));
    const c = taskListCard({ year: 2027, done: 10, total: 20, tasks, page: 1, pages: 1 });
    expectValidCard(c);
  });

  it('the complaint list: a page of 15 at their longest, titles awaiting a decision and complaints, with its pager', () => {
    const t = { id: 1, name: '广州市政道路养护第一班'.padEnd(50, '班'), code: 'GDSZ-2026-0001', organization: '广州市市政工程维修有限公司' };
    const items = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, reference: `TS-2027-${String(i + 1).padStart(4, '0')}`, content: long(2000), contentInGroup: long(2000), contact: '13800000000', channel: 'web', status: 'open', note: null, receivedOn: '2027-05-02', decidedOn: null, team: t, daysOpen: 9 }));
    const titles = Array.from({ length: 5 }, (_, i) => ({ honourId: i + 13, year: 2026, run: 2, team: t }));
    expect(items.length + titles.length).toBe(complaintListPage);
    const c = complaintListCard({ items, total: 35, titles, titleTotal: 17, first: 1, page: 2, pages: 4, asked: 2 });
    expectValidCard(c);
    const text = cardText(c);
    expect(text).toContain('共 35 件，17 个称号待决定');
    expect(text).toContain('本页第 1–10 件');
    expect(text).toContain('第 2 / 4 页');
    expect(text).not.toContain('已没有内容');
    expect(cardActions(c)).toEqual([
      ...titles.map((x) => ({ action: 'revocation.open', honourId: x.honourId })),
      ...items.map((x) => ({ action: 'complaint.open', complaintId: x.id })),
      { action: 'complaint.list', page: 1 },
      { action: 'complaint.list', page: 3 },
    ]);
    const full = complaintListCard({ items: Array.from({ length: complaintListPage }, (_, i) => ({ ...items[0], id: i + 1 })), total: 35, first: 16, page: 2, pages: 3 });
    expectValidCard(full);
  });

  it('the web-complaint batch alert: 35 complaints, ten listed, the rest counted', () => {
    const t = { id: 1, name: '广州市政道路养护第一班', code: 'GDSZ-2026-0001', organization: '广州市市政工程维修有限公司' };
    const items = Array.from({ length: 35 }, (_, i) => ({ id: i + 1, reference: `TS-2027-${String(i + 1).padStart(4, '0')}`, content: long(2000), contentInGroup: long(2000), contact: '13800000000', channel: 'web', status: 'open', note: null, receivedOn: '2027-05-02', team: t }));
    const c = complaintBatchAlertCard({ items });
    expectValidCard(c);
    const text = cardText(c);
    expect(text).toContain('1 分钟内收到 35 件网上投诉');
    expect(text).toContain('另有 25 件');
    expect(text).toContain('TS-2027-0010');
    expect(text).not.toContain('TS-2027-0011');
    expect(cardActions(c)).toEqual([...items.slice(0, 10).map((x) => ({ action: 'complaint.open', complaintId: x.id })), { action: 'complaint.list' }]);
  });

  it('the members card: 60 members', () => {
    const team = { id: 1, code: 'GDSZ-2026-0001', name: '道路养护一班', organization: '广州市市政工程维修有限公司', department: '养护部', typeLabel: '行政班组', leaderOpenId: 'ou_l', phone: '020-12345678', memberCount: 60, functions: '养护', goals: '完好率', plan: '例会', contactOpenId: 'ou_c', registeredAt: '2025-03-01', statusLabel: '正常' };
    const members = [{ openId: 'ou_l', role: 'leader', name: '张班长' }, ...Array.from({ length: 59 }, (_, i) => ({ openId: `ou_m${i}`, role: 'member', name: `成员${i}` }))];
    for (const page of [1, 2, 3]) {
      const c = membersCard(team, members, { candidates: Array.from({ length: 100 }, (_, i) => `ou_p${i}`), page, error: { message: '请选择要添加的成员。' } });
      expectValidCard(c);
      expect(cardText(c)).toContain(`第 ${page} / 3 页`);
    }
  });

  it('the full score sheet with 1 000-character answers and comment', () => {
    const fields = scoreFields(defaultScoreSheet);
    const c = scoringTaskCard({
      assignmentId: 7,
      year: 2027,
      application: { code: 'GDSZ-2026-0001', team: '广州市政养护一班', organization: '广州市市政工程维修有限公司', display: formDisplay(applicationForm, { title: long(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 96, examPassRate: 95, accidents: 'none', customer: long(1000), qc: long(1000), summary: long(1000), features: long(1000), materialsUrl: 'https://example.feishu.cn/docx/abc' }) },
      form: scoreSheetForm(defaultScoreSheet),
      values: Object.fromEntries(fields.map((f) => [f.field, String(f.max)])),
      comment: long(1000),
      error: '1.2 质量安全管理制度健全并严格执行：须在 0 到 5 分之间',
      scoringDeadline: '2027-06-30',
      reopened: true,
    });
    expectValidCard(c);
  });
});

describe('the simulated Open Platform refuses what Feishu refuses', () => {
  let fake: FakeOpenPlatform;
  let at = Date.parse('2027-05-01T09:00:00+08:00');
  const quiet = createLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() }));
  const client = () => createLarkClient({ appId: 'cli_rules', appSecret: 's', domain: fake.url, log: quiet });
  const dup = card({ title: 't', elements: [1, 2].map((id) => form(`f_${id}`, [textInput({ name: 'reason', label: '原因' }), submitButton({ text: '提交', name: `go_${id}`, value: { action: 'x', id } })])) });
  const good = card({ title: 't', elements: [form('f', [textInput({ name: 'reason', label: '原因' }), submitButton({ text: '提交', name: 'go', value: { action: 'x' } })])] });
  // each card to someone else: Feishu takes at most 5 messages a second for one user (230020 past that)
  let receivers = 0;
  const sendCard = (c: object) =>
    client()
      .im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: `ou_someone${++receivers}`, msg_type: 'interactive', content: JSON.stringify(c) } })
      .catch((e) => e.response?.data);
  beforeAll(async () => {
    fake = await startFakeOpenPlatform({ appId: 'cli_rules', appSecret: 's', now: () => at });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('refuses to send, update or accept as an answer a card with a repeated name (230099)', async () => {
    const refused = await sendCard(dup);
    expect(refused.code).toBe(230099);
    expect(refused.msg).toContain('name "reason" already used');
    const sent = await sendCard(good);
    expect(sent.code).toBe(0);
    const messageId = sent.data.message_id as string;
    const patched = await client().im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(dup) } }).catch((e) => e.response?.data);
    expect(patched.code).toBe(230099);
    const delayed = await client().request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: 'c-x', card: dup } }).catch((e) => e.response?.data);
    expect(delayed.code).toBe(230099);
    expect(fake.answerCallback(messageId, { card: { type: 'raw', data: dup } })).toMatchObject({ ok: false, code: 200673 });
    expect(fake.currentCard(messageId)).toEqual(good);
  });

  it('refuses clicks on and updates of a card older than 14 days (230031)', async () => {
    const sent = await sendCard(good);
    const messageId = sent.data.message_id as string;
    at += CARD_ACTIVE_MS - 60_000;
    expect(fake.cardAction({ messageId, openId: 'ou_someone', formValue: { reason: 'x' } })).toEqual({ ok: true, chatId: expect.any(String) });
    at += 120_000;
    expect(fake.cardAction({ messageId, openId: 'ou_someone' })).toMatchObject({ ok: false, code: 230031 });
    const patched = await client().im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(good) } }).catch((e) => e.response?.data);
    expect(patched.code).toBe(230031);
  });

  const patch = (messageId: string, c: object) =>
    client().im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(c) } }).catch((e) => e.response?.data);
  /** A card of `quotes` double quotes: two bytes each in the card's JSON, four in the request body that carries it. */
  const quoted = (quotes: number) => card({ title: 't', elements: [{ tag: 'markdown', content: '"'.repeat(quotes) }] });

  it('counts the request body, not the card: a card of 20 KB that is sent as 40 KB is refused (230025)', async () => {
    const big = quoted(10_000);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeLessThan(21 * 1024);
    expect(cardBodyBytes(big)).toBeGreaterThan(30 * 1024);
    expect(cardRuleViolations(big)).toEqual([expect.stringContaining('over 30 KB')]);
    const sentBefore = fake.messages.length;
    const refused = await sendCard(big);
    expect(refused).toMatchObject({ code: 230025 });
    expect(fake.messages.length).toBe(sentBefore);
    const sent = await sendCard(good);
    expect((await patch(sent.data.message_id, big)).code).toBe(230025);
    expect(fake.currentCard(sent.data.message_id)).toEqual(good);
    // the same card a little smaller goes, its body measured as posted: the estimate keeps the bot on the safe side of it
    const fits = quoted(7_000);
    expect(cardBodyBytes(fits)).toBeLessThan(30 * 1024);
    expect((await sendCard(fits)).code).toBe(0);
    expect((await patch(sent.data.message_id, fits)).code).toBe(0);
  });

  it('updates only an interactive card this app sent (230054, 230001)', async () => {
    const text = await client()
      .im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_someone', msg_type: 'text', content: JSON.stringify({ text: '你好' }) } })
      .catch((e) => e.response?.data);
    expect(text.code).toBe(0);
    expect(await patch(text.data.message_id, good)).toMatchObject({ code: 230054 });
    fake.userMessage('om_from_a_user', 'oc_rules');
    expect(await patch('om_from_a_user', good)).toMatchObject({ code: 230054 });
    expect(await patch('om_never_sent', good)).toMatchObject({ code: 230001, msg: expect.stringContaining('invalid message_id') });
    expect(fake.updates.filter((u) => u.messageId === text.data.message_id || u.messageId === 'om_never_sent')).toEqual([]);
  });

  it('updates a card only when the card sent and the new one both declare update_multi: true (230099)', async () => {
    const { update_multi: _shared, ...config } = good.config;
    const own = { ...good, config };
    const ownSent = await sendCard(own);
    expect(ownSent.code).toBe(0);
    expect(await patch(ownSent.data.message_id, good)).toMatchObject({ code: 230099, msg: expect.stringContaining('update_multi') });
    const sharedSent = await sendCard(good);
    expect(await patch(sharedSent.data.message_id, own)).toMatchObject({ code: 230099, msg: expect.stringContaining('update_multi') });
    expect(fake.currentCard(sharedSent.data.message_id)).toEqual(good);
    const next = card({ title: '已更新', elements: [] });
    expect((await patch(sharedSent.data.message_id, next)).code).toBe(0);
    expect(fake.currentCard(sharedSent.data.message_id)).toEqual(next);
  });

  // 230099 / 11310 "card action is lock", "JSON 2.0 结构的卡片正在交互中，无法进行更新" (message/create's 230099 子错误码)
  const LOCKED = { code: 230099, msg: expect.stringContaining('ErrCode: 11310; ErrMsg: card action is lock') };

  it('refuses to update a JSON 2.0 card being clicked until the click is answered (230099, card action is lock); sends go on', async () => {
    const sent = await sendCard(good);
    const messageId = sent.data.message_id as string;
    expect(fake.cardAction({ messageId, openId: 'ou_someone', formValue: { reason: 'x' } })).toMatchObject({ ok: true });
    const next = card({ title: '处理中', elements: [] });
    expect(await patch(messageId, next)).toMatchObject(LOCKED);
    expect(fake.lockedUpdates.filter((u) => u.messageId === messageId)).toEqual([expect.objectContaining({ messageId, card: next })]);
    expect(fake.updates.filter((u) => u.messageId === messageId)).toEqual([]);
    expect(fake.currentCard(messageId)).toEqual(good);
    // a new message is no update of the card
    expect((await sendCard(good)).code).toBe(0);
    // answered (here with a toast alone): the card takes updates again
    expect(fake.answerCallback(messageId, { toast: { type: 'success', content: '已提交' } })).toEqual({ ok: true });
    expect((await patch(messageId, next)).code).toBe(0);
    expect(fake.currentCard(messageId)).toEqual(next);
  });

  it('a click Feishu gave up waiting for (3 s, here shortened) locks its card no longer', async () => {
    const brief = await startFakeOpenPlatform({ appId: 'cli_rules', appSecret: 's', now: () => at, callbackTimeoutMs: 200 });
    try {
      const briefClient = createLarkClient({ appId: 'cli_rules', appSecret: 's', domain: brief.url, log: quiet });
      const sent = await briefClient.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_someone', msg_type: 'interactive', content: JSON.stringify(good) } });
      const messageId = sent.data!.message_id!;
      const briefPatch = (c: object) => briefClient.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(c) } }).catch((e) => e.response?.data);
      expect(brief.cardAction({ messageId, openId: 'ou_someone', formValue: { reason: 'x' } })).toMatchObject({ ok: true });
      const clickedAt = Date.now();
      const first = await briefPatch(card({ title: '处理中', elements: [] }));
      // the PATCH may come after the window on a starved machine: then it passed, and the rest holds alike
      if (Date.now() - clickedAt < 200) expect(first).toMatchObject(LOCKED);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const done = card({ title: '已完成', elements: [] });
      expect((await briefPatch(done)).code).toBe(0);
      expect(brief.currentCard(messageId)).toEqual(done);
    } finally {
      await brief.close();
    }
  });
});

describe('a refusal that quotes what was typed', () => {
  it('投诉 followed by a pasted report naming no team: the card quotes its start, within 30 KB as sent', () => {
    const typed = '路面修补后一周即开裂，'.repeat(1000);
    const error = teamNotFound(typed);
    expect(error.message).toMatch(/^找不到班组“路面修补后一周即开裂，.{1,40}…”。请填写班组全称或编号/);
    const c = complaintFormCard({ descriptor: complaintForm, formKey: 'e1', values: { team: typed }, error: { field: 'team', message: error.message } });
    expect(cardRuleViolations(c)).toEqual([]);
    expect(cardBodyBytes(c)).toBeLessThan(CARD_BYTES_BUDGET);
  });
});

describe('the formal-check list at its longest rows', () => {
  // a materials link of 500 characters (the form's limit), its path Chinese: nine bytes a character as sent
  const url = `https://example.sharepoint.com/${'质量信得过班组申报材料'.repeat(42)}${'质'.repeat(7)}`;
  // the four long answers at the form's 1 000 characters, of what escapes to the most bytes
  const answers = (text: string) => ({ customer: text, qc: text, summary: text, features: text });
  const rowsWith = (opts: { title: string; opinion: string; answer?: string }) =>
    Array.from({ length: formalCheckPageSize }, (_, i) => ({
      application: {
        id: 1_000_000 + i,
        status: 'recommended',
        decision: null,
        submittedAt: new Date('2027-03-01T10:00:00+08:00'),
        form: { title: opts.title.repeat(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 96, examPassRate: 95, accidents: 'none', materialsUrl: url, ...(opts.answer ? answers(opts.answer.repeat(1000).slice(0, 1000)) : {}) },
        endorsement: { decision: 'recommend', truthful: true, opinion: opts.opinion.repeat(1000), by: 'ou_contact' },
      },
      team: { id: i, name: '班'.repeat(50), code: `GDSZ-2026-${String(i + 1).padStart(4, '0')}`, contactOpenId: 'ou_contact', leaderOpenId: 'ou_leader' },
      organization: '单'.repeat(100),
      recommenderName: '李'.repeat(50),
    }));

  it.each([
    // characters that markdown escapes to six bytes
    { title: '|', opinion: '|', answer: '|' },
    { title: '[', opinion: '<', answer: '沥青路面坑槽快速修补工法，' },
    // double quotes, each escaped once more in the request body
    { title: '"', opinion: '"', answer: '"' },
    // a spreadsheet's column pasted: a tab opening a line is four no-break spaces, eight bytes
    { title: '|', opinion: '|', answer: '\t\t\t\t\t合格\n' },
  ])('a full page of links of 469 Chinese characters, titles of $title, answers of $answer, with the refusal, the note and the pager, stays inside', (opts) => {
    expect(url.length).toBe(500);
    const rows = rowsWith(opts);
    const c = checkList(2027, { rows: rows as never, total: 80, page: 27, pages: 27, asked: 30 }, new UserError('请填写退回原因。'.repeat(10)));
    expectValidCard(c);
    // measured as it travels: the card escaped in the request body, under the bot's budget (a kilobyte under Feishu's 30 KB)
    expect(cardBodyBytes(c)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    expect(taggedCount(c)).toBeLessThanOrEqual(100);
    // each answer shows its start: 200 characters, or 100 where those escape to eight bytes
    const cut = Number(/以上长文本只显示前 (\d+) 字/.exec(cardText(c))?.[1]);
    expect(cut).toBeGreaterThanOrEqual(100);
    expect(cardText(c).split('以上长文本只显示前')).toHaveLength(rows.length + 1);
    expect(cardActions(c).filter((a) => a.action === 'check.accept').map((a) => a.applicationId)).toEqual(rows.map((r) => r.application.id));
    const text = cardText(c);
    expect(text).toContain('待审查 80 份');
    expect(text).toContain('第 30 页已没有内容');
    expect(text).toContain('第 27 / 27 页');
    // one more such row would cut the answers to 50 characters, or not fit Feishu's 30 KB at all: the page is as large as it can usefully be
    const more = checkList(2027, { rows: [...rows, { ...rows[0], application: { ...rows[0].application, id: 2_000_000 } }] as never, total: 80, page: 27, pages: 27, asked: 30 }, new UserError('请填写退回原因。'.repeat(10)));
    const moreCut = Number(/以上长文本只显示前 (\d+) 字/.exec(cardText(more))?.[1]);
    expect(cardBodyBytes(more) > CARD_BYTES_BUDGET || moreCut < 100, `${cardBodyBytes(more)} bytes, cut at ${moreCut}`).toBe(true);
  });
});


describe('the whole 申报表 when its long texts escape to several bytes a character', () => {
  // a spreadsheet's column pasted into each long answer: five empty cells (tabs) open every line, and each tab opening a
  // line is drawn as four no-break spaces (eight bytes); a 500-character link of Chinese path
  const pasted = '\t\t\t\t\t合格\n'.repeat(200).slice(0, 1000).trim();
  const url = `https://example.sharepoint.com/${'质量信得过班组申报材料'.repeat(42)}${'质'.repeat(7)}`;
  const display = formDisplay(applicationForm, { title: long(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 96, examPassRate: 95, accidents: 'none', customer: pasted, qc: pasted, summary: pasted, features: pasted, materialsUrl: url });
  const team = { id: 1, name: '道路养护一班', code: 'GDSZ-2026-0001', organization: '广州市市政工程维修有限公司' };
  const summary = { id: 9, year: 2027, statusLabel: '待单位确认', status: 'submitted', team, display, submitted: 1 };

  it('the contact\'s 确认申报 card is cut to fit and says so (it was 31.8 KB: Feishu refuses it, and the application could never be recommended)', () => {
    const c = endorsementRequestCard(summary, { descriptor: endorsementForm, values: { truthful: true, opinion: '同意推荐' } });
    expectValidCard(c);
    expect(cardBodyBytes(c)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    expect(cardText(c)).toMatch(/以上各项长文本只显示前 \d+ 字；全文请向班组长索取/);
    expect(cardActions(c).map((a) => a.action)).toEqual(['endorse.recommend', 'endorse.return']);
    const closed = endorsementRequestCard(summary, { descriptor: endorsementForm, closed: '本年度评审已汇总，不再接受推荐。' });
    expect(cardBodyBytes(closed)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
  });

  it('the expert\'s 申报表全文 is cut to fit and says so; with ordinary text it is whole and says nothing', () => {
    const c = taskApplicationCard({ assignmentId: 1, year: 2027, application: { code: team.code, team: team.name, organization: team.organization, display } });
    expectValidCard(c);
    expect(cardBodyBytes(c)).toBeLessThanOrEqual(CARD_BYTES_BUDGET);
    expect(cardText(c)).toMatch(/以上各项长文本只显示前 \d+ 字；全文请联系协会/);
    const plain = formDisplay(applicationForm, { title: long(100), category: 'maintenance', startDate: '2026-01-01', endDate: '2026-12-31', goalRate: 100, trainingRate: 96, examPassRate: 95, accidents: 'none', customer: long(1000), qc: long(1000), summary: long(1000), features: long(1000), materialsUrl: url });
    const whole = taskApplicationCard({ assignmentId: 1, year: 2027, application: { code: team.code, team: team.name, organization: team.organization, display: plain } });
    expect(cardText(whole)).toContain(long(1000));
    expect(cardText(whole)).not.toContain('只显示前');
  });
});

describe('a score sheet whose item codes make the same field name', () => {
  it('gives each item a field of its own ("1.1.2", "1.1" and "1-1", the third item, made i1_1_2 twice)', () => {
    const sheet = { title: '评分表', total: 15, areas: [{ code: '1', name: '基础', items: [{ code: '1.1.2', name: '甲', max: 5 }, { code: '1.1', name: '乙', max: 5 }, { code: '1-1', name: '丙', max: 5 }] }] };
    const names = scoreFields(sheet as never).map((f) => f.field);
    expect(new Set(names).size).toBe(3);
  });
});

describe('the digest naming experts who must step aside', () => {
  it('names five teams an expert and counts the rest', () => {
    const codes = Array.from({ length: 80 }, (_, i) => `GDSZ-2027-${String(i + 1).padStart(4, '0')}`);
    const overdueExperts = Array.from({ length: 20 }, (_, i) => ({ openId: `ou_${String(i).padStart(32, '0')}`, name: `专家${i}`, pending: 0, recused: 80, recusedTeams: codes }));
    const c = digestCard({ kind: 'daily', period: '2027-07-01', overdueExperts, openComplaints: { total: 0, oldest: [] }, deadLetters: 0 });
    expectValidCard(c);
    expect(cardText(c)).toContain('GDSZ-2027-0001、GDSZ-2027-0002、GDSZ-2027-0003、GDSZ-2027-0004、GDSZ-2027-0005 等 80 个班组（80 份）');
    expect(cardText(c)).not.toContain('GDSZ-2027-0006');
  });
});
