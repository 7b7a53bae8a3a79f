import { resolve } from 'node:path';
import { asc, count, eq } from 'drizzle-orm';
import { type Database, DatabaseAhead, openDatabase, storageFailure } from '../../db/index.js';
import { applications, complaints, cycles, teams } from '../../db/schema.js';
import { type BotApp, startBot } from '../app.js';
import { OffsetClock } from '../clock.js';
import { ConfigError, parseConfig } from '../config.js';
import { getLatestCycle } from '../cycles.js';
import { addDays, formatDateZh, todayIn } from '../dates.js';
import { createLogger } from '../log.js';
import { scoreFields } from '../review/scoring.js';
import { defaultScoreSheet } from '../scoreSheet.js';
import { type Actor, type Answer, LocalStage } from './actors.js';
import { claimDataDir, DataDirRefused, type DataDirLock } from './dataDir.js';
import { databaseAheadLine, dataDirFailure } from './dataDirFailure.js';
import { LOCAL_ADMIN_GROUP, LOCAL_PEOPLE } from './seed.js';

/**
 * The scripted annual cycle of `npm run demo`, against the real bot in local mode: people register teams,
 * a year passes, the association opens the review, teams apply, organisations recommend, the association
 * accepts, experts score, results are published, and complaints run up to a revocation alert. Everything
 * goes through the console's signed callbacks, as in Feishu. It needs an empty DATA_DIR (see scripts/demo.ts).
 */

export interface DemoOptions {
  /** the environment: DATA_DIR, HOST, PORT, BOT_TIMEZONE… (LARK_* and DATABASE_URL are refused) */
  env: Record<string, string | undefined>;
  /** one transcript line at a time */
  out?: (line: string) => void;
}

const DAY_MS = 86_400_000;
const EXPERT_ORGANIZATION = '广东省市政行业协会专家委员会';

export interface DemoTeam {
  leader: string;
  contact: string;
  name: string;
  organization: string;
  department: string;
  teamType: 'administrative' | 'project' | 'department';
  phone: string;
  memberCount: string;
  functions: string;
  category: 'engineering' | 'testing' | 'maintenance' | 'operation' | 'service';
  title: string;
  /** what 陈专家, 刘专家 and 黄专家 give it */
  scores: [number, number, number];
}

/** Five teams of five organisations; one stays under the 85-point line, one will be complained about. */
export const TEAMS: readonly DemoTeam[] = [
  { leader: '张班长', contact: '李联系人', name: '广州市政养护一班', organization: '广州市市政工程维修有限公司', department: '养护事业部', teamType: 'project', phone: '020-83561234', memberCount: '12', functions: '城市道路日常养护与应急抢修', category: 'maintenance', title: '提高沥青路面修补一次合格率', scores: [93, 95.5, 94] },
  { leader: '赵班长', contact: '钱联系人', name: '深圳道路检测二组', organization: '深圳市市政工程质量检测中心', department: '检测部', teamType: 'department', phone: '0755-26641234', memberCount: '9', functions: '道路路基路面检测', category: 'testing', title: '缩短路基压实度检测周期', scores: [88, 90, 89.5] },
  { leader: '孙班长', contact: '周联系人', name: '佛山排水管养三班', organization: '佛山市水务营运有限公司', department: '管网运营部', teamType: 'project', phone: '0757-83301234', memberCount: '15', functions: '排水管网巡查、疏通与维护', category: 'operation', title: '降低排水管道淤积率', scores: [86, 87.5, 85] },
  { leader: '吴班长', contact: '郑联系人', name: '珠海桥梁养护四班', organization: '珠海市政建设集团有限公司', department: '桥梁事业部', teamType: 'project', phone: '0756-22151234', memberCount: '11', functions: '城市桥梁日常养护与伸缩缝更换', category: 'engineering', title: '提高桥梁伸缩缝安装一次合格率', scores: [80, 83.5, 82] },
  { leader: '冯班长', contact: '何联系人', name: '东莞照明维护五班', organization: '东莞市市政设施管理处', department: '照明管理所', teamType: 'administrative', phone: '0769-22831234', memberCount: '8', functions: '城市道路照明设施维护', category: 'service', title: '提高城市道路照明亮灯率', scores: [90, 91, 92.5] },
];

/** The team the complaints are about: it will hold a title. */
const COMPLAINED = TEAMS[2];

/** A score sheet adding up to `total`: points taken off half a point at a time, spread over the items. */
function scoreForm(total: number, start: number, comment: string): Record<string, string> {
  const fields = scoreFields(defaultScoreSheet);
  const scores = fields.map((f) => f.max);
  let off = Math.round((defaultScoreSheet.total - total) * 2);
  for (let i = start; off > 0; i++) {
    const k = i % fields.length;
    if (scores[k] >= 0.5) {
      scores[k] -= 0.5;
      off--;
    }
  }
  return { ...Object.fromEntries(fields.map((f, i) => [f.field, String(scores[i])])), comment };
}

/** Display width in a terminal: CJK characters take two columns. */
const widthOf = (s: string) => [...s].reduce((n, ch) => n + (/[\u2e80-\uffef]/.test(ch) ? 2 : 1), 0);
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - widthOf(s)));

function expectSuccess(answer: Answer, what: string): Answer {
  if (answer.toast?.type !== 'success') throw new Error(`${what}: the bot answered ${answer.toast ? `${answer.toast.type} “${answer.toast.content}”` : 'with no toast'}`);
  return answer;
}

/** Runs the demo; returns the exit code (0 done, 1 refused or failed). */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const started = performance.now();
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    (opts.out ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  };

  let config;
  try {
    // the demo's own server takes any free port, so a console left open elsewhere does not block it
    config = parseConfig({ ...opts.env, PORT: '0' });
  } catch (err) {
    if (err instanceof ConfigError) {
      print(`configuration error: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (!config.localMode) {
    print('演示只在本地模式下运行：请去掉 LARK_APP_ID / LARK_APP_SECRET（环境变量或 .env）后再运行 npm run demo。');
    return 1;
  }
  if (config.DATABASE_URL) {
    print('演示只写入本地的嵌入式数据库（DATA_DIR），不会写入 DATABASE_URL 指向的服务器数据库：请去掉 DATABASE_URL 后再运行 npm run demo。');
    return 1;
  }
  const dataDir = resolve(config.DATA_DIR);
  const startUrl = `http://${opts.env.HOST || '127.0.0.1'}:${opts.env.PORT || '3000'}`;
  // a read-only folder, one under a file, a full disk: one line, as npm start says it
  const again = { run: 'npm run demo' };
  let lock: DataDirLock;
  try {
    lock = claimDataDir(dataDir);
  } catch (err) {
    const line = err instanceof DataDirRefused ? err.message : dataDirFailure(err, dataDir, again);
    if (line === undefined) throw err;
    print(`演示没有运行：${line}`);
    return 1;
  }
  /** The demo cut short by its disk: not closed, as PGlite cannot be after its disk refused a write (db/index.ts stopOnStorageFailure); the lock goes at exit. */
  const stopped = (line: string): never => {
    print(`演示中断：${line}`);
    process.exit(1);
  };

  let database: Database;
  try {
    database = await openDatabase({ dataDir, onStorageFailure: (line, err) => stopped(dataDirFailure(err, dataDir, again) ?? line) });
  } catch (err) {
    lock.release();
    const line = err instanceof DatabaseAhead ? databaseAheadLine(err) : dataDirFailure(err, dataDir, again);
    if (line === undefined) throw err;
    print(`演示没有运行：${line}`);
    return 1;
  }
  let app: BotApp | undefined;
  try {
    const existing = await existingData(database);
    if (existing) {
      // the association's real data may be here: the demo goes to a folder of its own, it never advises wiping this one
      print(`数据目录 ${dataDir} 里已有数据（${existing}）。演示要从空的数据目录开始，以免和已有的班组、评审混在一起；这里的数据没有改动。`);
      print('请在另一个数据目录里运行演示：DATA_DIR=./demo-data npm run demo');
      print('演示结束后用 DATA_DIR=./demo-data npm start 在控制台查看它；不带 DATA_DIR 的 npm start 仍打开这里的数据。');
      print('若确要清空这里的数据：先 npm run backup 备份，再 npm run reset。');
      return 1;
    }
    const clock = new OffsetClock();
    const timezone = config.BOT_TIMEZONE;
    // the story starts 480 days ago and ends today, so `npm start` afterwards finds it all in the past
    const goTo = (daysAgo: number, heading: string) => {
      clock.offsetMs = -daysAgo * DAY_MS;
      print('');
      print(`【${formatDateZh(todayIn(timezone, clock.now()))}】${heading}`);
    };
    clock.offsetMs = -480 * DAY_MS;
    app = await startBot({ config, log: createLogger(opts.env.LOG_LEVEL || 'warn', process.stderr), clock, database, schedules: false });
    const stage = new LocalStage(app, print);
    await stage.ready();

    print('质量信得过班组年度评审演示（本地模式：真实的机器人 + 模拟的飞书开放平台，消息和按钮均为签名加密的回调）');
    print(`数据目录：${dataDir}`);

    // --- people ------------------------------------------------------------------------------------
    goTo(480, '人员');
    const people = new Map<string, Actor>();
    for (const p of LOCAL_PEOPLE) people.set(p.name, stage.as(p));
    print(`  预置：${LOCAL_PEOPLE.map((p) => p.name).join('、')}；协会管理群已绑定为管理通知群`);
    const added: string[] = [];
    for (const t of TEAMS) {
      for (const name of [t.leader, t.contact]) {
        if (people.has(name)) continue;
        people.set(name, await stage.addPerson(name));
        added.push(name);
      }
    }
    for (const name of ['林女士', '马先生']) {
      people.set(name, await stage.addPerson(name));
      added.push(name);
    }
    print(`  在控制台新增：${added.join('、')}`);
    const who = (name: string) => people.get(name)!;
    const admin = who('王管理员');
    const experts = ['陈专家', '刘专家', '黄专家'].map(who);

    // --- registration --------------------------------------------------------------------------------
    goTo(480, '班组注册（第十二条）');
    const codes = new Map<string, string>();
    for (const t of TEAMS) {
      const leader = who(t.leader);
      await leader.say('注册');
      const answer = expectSuccess(
        await leader.click('team.register', {
          teamName: t.name,
          organization: t.organization,
          department: t.department,
          teamType: t.teamType,
          phone: t.phone,
          memberCount: t.memberCount,
          functions: t.functions,
          goals: '质量目标完成率 100%，顾客满意度 95% 以上',
          plan: '每月开展一次 QC 活动，每季度一次技能比武',
          contact: who(t.contact).openId,
        }),
        `${t.leader} registering ${t.name}`,
      );
      codes.set(t.name, /GDSZ-\d{4}-\d{4}/.exec(answer.toast!.content)?.[0] ?? '');
    }
    print('  张班长想马上申报：');
    await who('张班长').say('申报');

    // --- a year later: the review opens ---------------------------------------------------------------
    goTo(100, '一年多以后：协会开启年度评审（第十九条）');
    await admin.say('管理');
    await admin.click('cycle.form');
    expectSuccess(await admin.click('cycle.open', {}, { label: '（按表单默认：分数线 85 分，每份申报 3 位专家）' }), 'opening the cycle');
    await admin.click('experts.list');
    expectSuccess(
      // already experts, so the picker does not offer them: named by mobile, looked up in the address book
      await admin.click('experts.add', { experts: [], expertsLookup: experts.map((e) => LOCAL_PEOPLE.find((p) => p.openId === e.openId)!.mobile).join('，'), organization: EXPERT_ORGANIZATION, specialities: '道路养护，检测，排水，桥梁，照明', maxLoad: '10' }),
      'adding experts to the pool',
    );

    goTo(98, '班组长申报（第十三条、第十六条）');
    const today = () => todayIn(timezone, clock.now());
    for (const t of TEAMS) {
      const leader = who(t.leader);
      await leader.say('申报');
      expectSuccess(
        await leader.click('application.submit', {
          title: t.title,
          category: t.category,
          startDate: addDays(today(), -360),
          endDate: addDays(today(), -10),
          goalRate: '100',
          trainingRate: '96',
          examPassRate: '94.5',
          accidents: 'none',
          customer: '业主单位书面确认，满意度 96%',
          qc: '成立 QC 小组 2 个，完成课题 3 项',
          summary: `${t.title}：一年来的改进与成效`,
          features: '做法已在本单位推广',
          materialsUrl: 'https://example.feishu.cn/docx/demo',
        }),
        `${t.leader} applying`,
      );
    }

    goTo(96, '单位联系人确认材料并推荐（第十五条）');
    for (const t of TEAMS) {
      expectSuccess(await who(t.contact).click('endorse.recommend', { truthful: true, opinion: '材料属实，同意推荐' }), `${t.contact} recommending`);
    }

    goTo(94, '协会形式审查');
    // 去审查 in the group sends the list to the administrator privately
    await admin.click('check.list', {}, { chatId: LOCAL_ADMIN_GROUP });
    for (let i = 0; i < TEAMS.length; i++) {
      const accept = admin.button('check.accept');
      expectSuccess(await admin.click(accept), 'accepting at the formal check');
    }

    // --- review -------------------------------------------------------------------------------------
    goTo(39, '申报截止：分配评审专家（第十七条）');
    await admin.say('管理');
    expectSuccess(await admin.click('cycle.closeApplications'), 'closing applications');
    // the experts' task cards are queued by the assignment job, then sent
    await app.bulkJobs.drain();
    await app.dispatcher.drain(30_000);

    goTo(30, '专家在卡片内评分（第十八条）');
    for (const [index, expert] of experts.entries()) {
      const tasks = stage.findButtons(expert.chatId, 'review.submit');
      print(`  ${expert.name} 收到 ${tasks.length} 张评分卡，逐项打分后点击「提交评分」：`);
      for (const task of tasks) {
        const team = TEAMS.find((t) => task.cardTitle.includes(t.name));
        if (!team) throw new Error(`a scoring task for a team the demo does not know: ${task.cardTitle}`);
        const total = team.scores[index];
        const answer = await expert.click(task, scoreForm(total, index * 7, '材料完整，现场管理规范'), { quiet: true });
        expectSuccess(answer, `${expert.name} scoring ${team.name}`);
        print(`    〔${task.cardTitle}〕总分 ${total} → ✔ ${answer.toast!.content}`);
        stage.printSent(answer.sent, '      ');
      }
    }

    goTo(9, '汇总评分、公布结果（第二十条、第二十一条）');
    await admin.say('管理');
    await admin.click('review.progress');
    expectSuccess(await admin.click('results.close'), 'aggregating');
    expectSuccess(await admin.click('results.publish'), 'publishing');
    await app.bulkJobs.drain();

    // --- complaints ---------------------------------------------------------------------------------
    const complained = `${COMPLAINED.name}（${codes.get(COMPLAINED.name)}）`;
    const complaint = async (daysAgo: number, citizen: string, text: string, note: string) => {
      goTo(daysAgo, `${citizen}投诉${complained}（第二十一条）`);
      const person = who(citizen);
      await person.say(`投诉 ${COMPLAINED.name}`);
      expectSuccess(await person.click('complaint.submit', { content: text, contact: '138 0000 0000' }), `${citizen} complaining`);
      goTo(daysAgo - 1, '协会核实投诉');
      return expectSuccess(await admin.click('complaint.uphold', { note }, { chatId: LOCAL_ADMIN_GROUP }), 'upholding a complaint');
    };
    await complaint(7, '林女士', '雨后检查井周边路面积水，一周未处理', '现场核实属实，已责令整改');
    const second = await complaint(1, '马先生', '管道疏通后淤泥堆放路边两天未清运', '现场核实属实');
    const alert = stage.findButton(LOCAL_ADMIN_GROUP, 'revocation.revoke');
    if (!alert || !second.toast?.content.includes('撤销称号提醒')) throw new Error('two upheld complaints against a title holder raised no revocation alert');
    print(`  撤销称号提醒：协会管理群收到〔${alert.cardTitle}〕，管理员可选「${alert.text}」或「保留称号」（第二十二条）`);
    clock.offsetMs = 0;

    await app.dispatcher.drain(30_000);
    await printResults(database, print);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    print('');
    print(`用时 ${seconds} 秒。接下来：npm start，打开 ${startUrl}/dev，选一个人（如王管理员）查看聊天和卡片。`);
    return 0;
  } catch (err) {
    const line = dataDirFailure(err, dataDir, again);
    if (line !== undefined && storageFailure(err) !== undefined) stopped(line);
    print(`演示中断：${line ?? (err as Error).message}`);
    return 1;
  } finally {
    if (app) {
      await app.dispatcher.drain(30_000).catch(() => undefined);
      await app.stop();
    }
    await database.close();
    lock.release();
  }
}

/** What the data directory already holds besides the seeded people, or undefined when nothing. */
async function existingData(database: Database): Promise<string | undefined> {
  const db = database.db;
  const [[t], [c], [k]] = await Promise.all([
    db.select({ n: count() }).from(teams),
    db.select({ n: count() }).from(cycles),
    db.select({ n: count() }).from(complaints),
  ]);
  const parts = [t.n && `${t.n} 个班组`, c.n && `${c.n} 个年度评审`, k.n && `${k.n} 件投诉`].filter(Boolean);
  return parts.length ? parts.join('、') : undefined;
}

/** The published ranking, as the bot stored it. */
async function printResults(database: Database, print: (line: string) => void): Promise<void> {
  const db = database.db;
  const cycle = await getLatestCycle(db);
  if (!cycle) throw new Error('no cycle to show');
  const rows = await db
    .select({ rank: applications.rank, code: teams.code, team: teams.name, score: applications.finalScore, decision: applications.decision, review: applications.review })
    .from(applications)
    .innerJoin(teams, eq(teams.id, applications.teamId))
    .where(eq(applications.cycleId, cycle.id))
    .orderBy(asc(applications.rank), asc(teams.code));
  print('');
  print(`${cycle.year}年度质量信得过班组评审结果（${cycle.status === 'published' ? '已公布' : '未公布'}，分数线 ${cycle.awardThreshold} 分）`);
  const header = [pad('名次', 6), pad('班组编号', 16), pad('班组', 18), pad('最终得分', 10), '结论'].join('');
  print(header);
  for (const r of rows) {
    const recommended = (r.review as { recommended?: boolean } | null)?.recommended;
    const decision = r.decision === 'awarded' ? `授予称号${recommended ? '，推荐全国性协会' : ''}` : r.decision === 'not_awarded' ? '未获称号' : '未评定';
    print([pad(String(r.rank ?? '—'), 6), pad(r.code, 16), pad(r.team, 18), pad(r.score === null ? '—' : r.score.toFixed(2), 10), decision].join(''));
  }
}
