import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { bulkJobs, imports, organizations, teams } from '../../db/schema.js';
import { audit } from '../audit.js';
import { type BulkJob, type BulkJobKind, startBulkJob } from '../bulkJobs.js';
import { todayIn } from '../dates.js';
import { UserError } from '../errors.js';
import type { Actor } from '../people.js';
import { requireAdmin } from '../permissions.js';
import { type AddedTeam, applyImport, applyPlan, type ImportRecord, reserveTeamCodes, tellPeople } from './apply.js';
import { importDataVersion } from './dataVersion.js';
import { type ImportPlan, type ImportSummary, planImport, sameSummary, type SheetKey, sheetLabels } from './plan.js';
import type { ImportWorkbook } from './workbook.js';

/**
 * 确认导入 as a job: the callback records it and answers with its progress card; each batch takes the
 * next rows of the workbook (单位, 班组, 专家, 荣誉, in that order), plans the whole workbook again against
 * the database as it is now and writes only the plan's rows that fall in the batch, moving the cursor in
 * the same transaction. A row already written by an earlier batch plans as unchanged, so a replayed batch
 * writes nothing twice; a row the database no longer allows is refused and listed on the final card.
 */

/** Rows per batch: a few hundred teams with their people, audit rows and members per transaction. */
export const IMPORT_BATCH = 500;
/** Refused rows listed on the final card; the rest are counted. */
const REFUSED_SHOWN = 15;

const sheetOrder: SheetKey[] = ['organizations', 'teams', 'experts', 'honours'];

/** Every row of the workbook in the order the job applies them, as `sheet:row`. */
function rowsInOrder(wb: ImportWorkbook): string[] {
  return sheetOrder.flatMap((sheet) => wb[sheet].map((r) => `${sheet}:${r.row}`));
}

/** The part of a plan whose rows are in the batch. */
function planOfRows(plan: ImportPlan, rows: Set<string>): ImportPlan {
  const mine = (sheet: SheetKey, row: number) => rows.has(`${sheet}:${row}`);
  const orgRow = new Map(plan.summary.add.filter((a) => a.sheet === 'organizations').map((a) => [a.label, a.row]));
  const teamOps = plan.teams.filter((op) => mine('teams', op.row));
  const expertOps = plan.experts.filter((op) => mine('experts', op.row));
  const used = new Set([...teamOps.flatMap((op) => [op.values.leader, op.values.contact]), ...expertOps.map((op) => op.openId)]);
  const people = plan.people.filter((p) => used.has(p.openId));
  const pendingKeys = new Set(people.filter((p) => p.pending).map((p) => p.openId.slice('pending:'.length + 2)));
  return {
    organizations: plan.organizations.filter((name) => mine('organizations', orgRow.get(name) ?? -1)),
    people,
    teams: teamOps,
    experts: expertOps,
    honours: plan.honours.filter((op) => mine('honours', op.row)),
    summary: {
      add: plan.summary.add.filter((r) => mine(r.sheet, r.row)),
      update: plan.summary.update.filter((r) => mine(r.sheet, r.row)),
      refused: plan.summary.refused.filter((r) => mine(r.sheet, r.row)),
      unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 },
      pending: plan.summary.pending.filter((p) => pendingKeys.has(p.key)),
      ...(plan.summary.leaderChanges?.some((c) => mine('teams', c.row)) ? { leaderChanges: plan.summary.leaderChanges.filter((c) => mine('teams', c.row)) } : {}),
    },
  };
}

/** What the batches have done so far, kept in the job's result. */
type ImportJobResult = {
  summary?: ImportSummary;
  addedTeams?: number[];
  outcome?: string;
  refused?: { where: string; reason: string }[];
  refusedTotal?: number;
};

const emptySummary = (): ImportSummary => ({ add: [], update: [], refused: [], unchanged: { organizations: 0, teams: 0, experts: 0, honours: 0 }, pending: [] });

function mergeSummaries(a: ImportSummary, b: ImportSummary): ImportSummary {
  const pending = [...a.pending];
  for (const p of b.pending) if (!pending.some((x) => x.key === p.key)) pending.push(p);
  // the leaders changed stay on the applied card, which says who of them was not told
  const leaderChanges = [...(a.leaderChanges ?? []), ...(b.leaderChanges ?? [])];
  return { add: [...a.add, ...b.add], update: [...a.update, ...b.update], refused: [...a.refused, ...b.refused], unchanged: a.unchanged, pending, ...(leaderChanges.length ? { leaderChanges } : {}) };
}

async function addedTeamsById(tx: Db, ids: number[]): Promise<AddedTeam[]> {
  const out: AddedTeam[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await tx
      .select({ team: teams, organization: organizations.name })
      .from(teams)
      .innerJoin(organizations, eq(organizations.id, teams.organizationId))
      .where(inArray(teams.id, ids.slice(i, i + 1000)));
    out.push(...rows.map(({ team, organization }) => ({ ...team, organization })));
  }
  return out;
}

export const importJob: BulkJobKind = {
  kind: 'import',
  async runBatch({ tx, job, actor, clock, config }) {
    const { importId } = job.params as { importId: number };
    const [record] = await tx.select().from(imports).where(eq(imports.id, importId)).for('update');
    if (!record) throw new UserError('找不到这次导入，请重新发送文件。');
    if (record.status === 'applied') return { done: job.done, total: job.total, cursor: job.cursor, finished: true };
    // whoever confirmed must still be an administrator for each batch written in their name
    requireAdmin(actor);
    const now = clock.now();
    const today = todayIn(config.BOT_TIMEZONE, now);
    const wb = record.rows as ImportWorkbook;
    const order = rowsInOrder(wb);
    const end = Math.min(order.length, job.cursor + IMPORT_BATCH);
    const plan = await planImport(tx, wb, record.resolved as Record<string, string>, today, config.BOT_TIMEZONE);
    const mine = planOfRows(plan, new Set(order.slice(job.cursor, end)));
    // the codes of the rows of every batch, so this one gives none of them to a team without a code
    const fileCodes = plan.teams.flatMap((op) => (op.values.code ? [op.values.code] : []));
    const added = await applyPlan(tx, actor, importId, mine, now, { timezone: config.BOT_TIMEZONE, bootstrapAdmins: config.ADMIN_OPEN_IDS }, fileCodes);

    const before = (job.result ?? {}) as ImportJobResult;
    const summary = mergeSummaries(before.summary ?? emptySummary(), mine.summary);
    const addedTeams = [...(before.addedTeams ?? []), ...added.map((t) => t.id)];
    const done = job.done + mine.summary.add.length + mine.summary.update.length;
    const finished = end >= order.length;
    const total = Math.max(job.total, done);
    const result: ImportJobResult = {
      summary,
      addedTeams,
      refusedTotal: summary.refused.length,
      refused: summary.refused.slice(0, REFUSED_SHOWN).map((r) => ({ where: `${sheetLabels[r.sheet]}第 ${r.row} 行 ${r.label}`, reason: r.reason })),
    };
    if (!finished) return { done, total, cursor: end, finished, result };

    // rows neither written nor refused were already as the file says
    const counted = [...summary.add, ...summary.update, ...summary.refused];
    for (const sheet of sheetOrder) summary.unchanged[sheet] = wb[sheet].length - counted.filter((r) => r.sheet === sheet).length;
    if (wb.notes?.length) summary.notes = wb.notes;
    result.outcome = `新增 ${summary.add.length} 行，更新 ${summary.update.length} 行，不变 ${sheetOrder.reduce((n, s) => n + summary.unchanged[s], 0)} 行`;
    // each leader and contact hears once, of all of their teams in the file
    await tellPeople(tx, `import:${importId}`, await addedTeamsById(tx, addedTeams), today);
    await tx.update(imports).set({ status: 'applied', summary, appliedAt: now }).where(eq(imports.id, importId));
    await audit(tx, {
      actor: actor.openId,
      action: 'import.apply',
      entity: 'import',
      entityId: importId,
      details: { fileName: record.fileName, add: summary.add.length, update: summary.update.length, refused: summary.refused.length, pending: summary.pending.length, jobId: job.id },
      at: now,
    });
    // the stored summary holds the rows; the job keeps only what its card shows
    return { done, total, cursor: end, finished, result: { ...result, summary: undefined, addedTeams: undefined } };
  },
};

/** The latest job that applies this import, whatever its state. */
export async function jobOfImport(tx: Db, importId: number): Promise<BulkJob | undefined> {
  const [job] = await tx
    .select()
    .from(bulkJobs)
    .where(and(eq(bulkJobs.kind, 'import'), sql`${bulkJobs.params}->>'importId' = ${String(importId)}`))
    .orderBy(desc(bulkJobs.id))
    .limit(1);
  return job;
}

export type ImportStart =
  /** confirmed before and done: a second click shows the result */
  | { state: 'applied'; record: ImportRecord }
  /** confirmed before and still being applied (or stopped, to be retried): its job */
  | { state: 'running'; job: BulkJob }
  /** nothing to add or update: recorded as applied at once */
  | { state: 'done'; record: ImportRecord; summary: ImportSummary }
  | { state: 'started'; job: BulkJob }
  /**
   * the data changed since the preview, and so would what is written (another import applied, a team's details
   * changed, someone linked): nothing started, the preview planned again against today's data, to check and confirm
   */
  | { state: 'changed'; record: ImportRecord };

/**
 * 确认导入: under the import's lock, records the job that applies it (status `applying`, so a second
 * click finds the job and never starts another); the batches do the writing. The workbook is planned again first: a
 * plan other than the preview's (the data changed since) starts nothing, and the new plan is stored as the preview
 * to confirm instead, so a confirmation never writes what its card did not show (an older file confirmed after a
 * newer one would otherwise set the newer one's leaders back). `version` is the data the card clicked was planned
 * against: a card older than the stored preview (clicked again after the data changed) starts nothing either.
 */
export async function startImport(tx: Db, actor: Actor, importId: number, opts: { messageId?: string; now: Date; today: string; version?: string; /** BOT_TIMEZONE (planImport) */ timeZone?: string }): Promise<ImportStart> {
  requireAdmin(actor);
  const [record] = await tx.select().from(imports).where(eq(imports.id, importId)).for('update');
  if (!record) throw new UserError('找不到这次导入，请重新发送文件。');
  if (record.status === 'applied') return { state: 'applied', record };
  if (record.status === 'applying') {
    const job = await jobOfImport(tx, importId);
    if (job) return { state: 'running', job };
  }
  const preview = record.summary as ImportSummary;
  const dataVersion = await importDataVersion(tx, opts.today);
  if (dataVersion !== record.dataVersion) {
    const plan = await planImport(tx, record.rows as ImportWorkbook, record.resolved as Record<string, string>, opts.today, opts.timeZone);
    if (!sameSummary(plan.summary, preview)) {
      const [replanned] = await tx.update(imports).set({ summary: plan.summary, dataVersion }).where(eq(imports.id, importId)).returning();
      await audit(tx, {
        actor: actor.openId,
        action: 'import.replan',
        entity: 'import',
        entityId: importId,
        at: opts.now,
        details: { add: plan.summary.add.length, update: plan.summary.update.length, refused: plan.summary.refused.length },
      });
      return { state: 'changed', record: replanned };
    }
  }
  // the card clicked shows a preview planned again since (a click before this one found the data changed): this one,
  // not that card, is what a confirmation applies, so the card is shown again, to confirm on it
  if (opts.version !== undefined && opts.version !== record.dataVersion) return { state: 'changed', record };
  const total = preview.add.length + preview.update.length;
  if (total === 0) return { state: 'done', ...(await applyImport(tx, actor, importId, opts.now, opts.today, { timezone: opts.timeZone })) };
  await tx.update(imports).set({ status: 'applying' }).where(eq(imports.id, importId));
  // the codes the preview shows kept: no 注册 before the job's last batch draws one of them
  await reserveTeamCodes(tx, preview.add.flatMap((a) => (a.code ? [a.code] : [])));
  const { job } = await startBulkJob(tx, {
    kind: 'import',
    cycleId: null,
    createdBy: actor.openId,
    messageId: opts.messageId,
    total,
    params: { importId, heading: `文件：${record.fileName}` },
    now: opts.now,
  });
  return { state: 'started', job };
}
