import { statSync } from 'node:fs';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { certificates, codeSequences, honours, organizations, teams } from '../../db/schema.js';
import { zh } from '../../cards/strings.js';
import { audit } from '../audit.js';
import { formatDateZh, todayIn } from '../dates.js';
import type { AttachmentRenderer } from '../lark/client.js';
import type { AttachmentSpec } from '../outbox.js';
import { type CertificateRenderer, CertificateTooLargeError, type CertificateValues, charactersMissing, type GlyphFont, zipFiles } from './render.js';

/** 荣誉证书 (第二十条): numbered when results are published, drawn when the message is sent. */

export type Certificate = typeof certificates.$inferSelect;

/** The honour as 第二十条 names it. */
export const certificateTitle = '广东省市政工程质量信得过班组';

export function certificateNumber(year: number, serial: number): string {
  return `GDSZ-ZS-${year}-${String(serial).padStart(4, '0')}`;
}

export interface IssuedCertificate extends Certificate {
  leaderOpenId: string;
  contactOpenId: string;
}

/**
 * Numbers a certificate for every title of the cycle that has none yet and is not revoked (in team-code
 * order, so numbers follow the register); run inside the publishing transaction. Returns every
 * certificate of the cycle, new and old.
 */
export async function issueCertificates(tx: Db, opts: { actor: string; cycleId: number; now: Date; association?: string }): Promise<IssuedCertificate[]> {
  const pending = await tx
    .select({ honour: honours, team: teams, organization: organizations.name })
    .from(honours)
    .innerJoin(teams, eq(teams.id, honours.teamId))
    .innerJoin(organizations, eq(organizations.id, teams.organizationId))
    .leftJoin(certificates, eq(certificates.honourId, honours.id))
    .where(and(eq(honours.cycleId, opts.cycleId), isNull(honours.revokedAt), isNull(certificates.id)))
    .orderBy(asc(teams.code));
  const issued: string[] = [];
  if (pending.length) {
    // one cycle is one year: the year's serials are taken as one block, in one statement
    const year = pending[0].honour.year;
    const [seq] = await tx
      .insert(codeSequences)
      .values({ scope: `certificate-${year}`, last: pending.length })
      .onConflictDoUpdate({ target: codeSequences.scope, set: { last: sql`${codeSequences.last} + ${pending.length}` } })
      .returning({ last: codeSequences.last });
    const first = seq.last - pending.length + 1;
    const rows = pending.map(({ honour, team, organization }, i) => ({
      number: certificateNumber(year, first + i),
      honourId: honour.id,
      teamId: team.id,
      cycleId: opts.cycleId,
      year,
      association: opts.association ?? zh.association,
      teamName: team.name,
      organization,
      title: certificateTitle,
      issuedAt: opts.now,
    }));
    await tx.insert(certificates).values(rows);
    issued.push(...rows.map((r) => r.number));
    await audit(tx, { actor: opts.actor, action: 'certificates.issue', entity: 'cycle', entityId: opts.cycleId, details: { numbers: issued }, at: opts.now });
  }
  const all = await tx
    .select({ certificate: certificates, leaderOpenId: teams.leaderOpenId, contactOpenId: teams.contactOpenId })
    .from(certificates)
    .innerJoin(teams, eq(teams.id, certificates.teamId))
    .where(eq(certificates.cycleId, opts.cycleId))
    .orderBy(asc(certificates.number));
  return all.map((r) => ({ ...r.certificate, leaderOpenId: r.leaderOpenId, contactOpenId: r.contactOpenId }));
}

/** Certificate numbers of a team by honour, for the honours it shows (a revoked title's number is shown as void). */
export async function certificateNumbersOfTeam(tx: Db, teamId: number): Promise<Map<number, string>> {
  const rows = await tx.select({ honourId: certificates.honourId, number: certificates.number }).from(certificates).where(eq(certificates.teamId, teamId));
  return new Map(rows.map((r) => [r.honourId, r.number]));
}

export async function certificateOfHonour(tx: Db, honourId: number): Promise<Certificate | undefined> {
  const [row] = await tx.select().from(certificates).where(eq(certificates.honourId, honourId));
  return row;
}

/** What the template's placeholders are filled with; the date is the day of issue in the bot's timezone. */
export function certificateValues(c: Certificate, timezone: string): CertificateValues {
  return {
    association: c.association,
    team: c.teamName,
    organization: c.organization,
    year: String(c.year),
    title: c.title,
    number: c.number,
    date: formatDateZh(todayIn(timezone, c.issuedAt)),
  };
}

/** A file name without the characters file systems refuse. */
const safeName = (s: string) => s.replace(/[\\/:*?"<>|\s]+/g, '_');

export const certificateFileName = (c: Pick<Certificate, 'number' | 'teamName'>, ext: 'png' | 'pdf') => `${c.number}_${safeName(c.teamName)}.${ext}`;
/** The year's zip; one of several numbered （1／3） when the year's certificates do not fit in one file. */
export const certificateZipName = (year: number, part?: Pick<CertificateZipPart, 'part' | 'parts'>) =>
  part && part.parts > 1 ? `${year}年度质量信得过班组荣誉证书（${part.part}／${part.parts}）.zip` : `${year}年度质量信得过班组荣誉证书.zip`;

/** The largest file im/v1/files takes (234006 past it, https://open.feishu.cn/document/server-docs/im-v1/file/create). */
export const FEISHU_FILE_BYTES = 30 * 1024 * 1024;

/** What a part of the year's zip is filled to: 2 MB under Feishu's 30, for the zip's own bytes and a heavier certificate. */
export const CERTIFICATE_ZIP_BUDGET = 28 * 1024 * 1024;

/**
 * Certificates in one zip at most: a certificate's PNG and PDF take about 117 KB zipped with the default template, so
 * 150 make about 17.5 MB. A heavier template (a background photo embedded) makes fewer fit: see `certificatesPerZip`.
 */
export const CERTIFICATES_PER_ZIP = 150;

/**
 * The heaviest certificate a year can hold, to weigh a template by: a team name of 50 characters and an organisation of
 * 100 (the most the forms take), each a different character (each is a glyph of its own in the PDF's font).
 */
function heaviestValues(): CertificateValues {
  const distinct = (from: number, n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(from + i * 7)).join('');
  return { association: zh.association, team: distinct(0x6000, 50), organization: distinct(0x7000, 100), year: '2027', title: certificateTitle, number: certificateNumber(2027, 9999), date: '2027年12月31日' };
}

const perZipKept = new Map<string, number>();

/**
 * How many certificates one zip holds with this template and font: as many as fit in `CERTIFICATE_ZIP_BUDGET` by the
 * zipped PNG and PDF of the heaviest certificate (drawn once per template and font), 150 at most, one at least (a
 * certificate alone past 30 MB is refused when its zip is drawn, saying so). The same template and font give the same
 * number on every replica and every retry; the parts it makes are written into the outbox rows (first and last
 * number), so a row sent again draws the same certificates. A certificate that cannot be drawn (the default font not
 * installed) gives 150: each refuses meanwhile, saying why.
 */
export async function certificatesPerZip(renderer: CertificateRenderer, budget = CERTIFICATE_ZIP_BUDGET): Promise<number> {
  let template: string;
  try {
    const { mtimeMs, size } = statSync(renderer.templatePath);
    template = `${renderer.templatePath}@${mtimeMs}:${size}`;
  } catch {
    return CERTIFICATES_PER_ZIP;
  }
  const key = `${template}|${renderer.font}|${budget}`;
  const kept = perZipKept.get(key);
  if (kept) return kept;
  let pair: number;
  try {
    const sample = { number: certificateNumber(2027, 9999), teamName: heaviestValues().team };
    const values = heaviestValues();
    pair = (
      await zipFiles([
        { name: certificateFileName(sample, 'png'), bytes: await renderer.png(values) },
        { name: certificateFileName(sample, 'pdf'), bytes: await renderer.pdf(values) },
      ])
    ).length;
  } catch {
    return CERTIFICATES_PER_ZIP;
  }
  const perZip = Math.max(1, Math.min(CERTIFICATES_PER_ZIP, Math.floor(budget / pair)));
  perZipKept.set(key, perZip);
  return perZip;
}

/** One of the year's zips: its place among them and the certificates it holds (numbers `first` to `last`, `count` of them). */
export interface CertificateZipPart {
  part: number;
  parts: number;
  first: string;
  last: string;
  count: number;
}

/** A certificate number's serial (GDSZ-ZS-2027-0150 → 150): numbers past 9999 are longer, so they are compared by it. */
const serialOf = (number: string) => Number(number.slice(number.lastIndexOf('-') + 1));

/** The year's certificates (titles not revoked), in number order, split into zips of `perZip` (`certificatesPerZip`); none without any. */
export async function certificateZipParts(tx: Db, cycleId: number, perZip = CERTIFICATES_PER_ZIP): Promise<CertificateZipPart[]> {
  const rows = await tx
    .select({ number: certificates.number })
    .from(certificates)
    .innerJoin(honours, eq(honours.id, certificates.honourId))
    .where(and(eq(certificates.cycleId, cycleId), isNull(honours.revokedAt)));
  const numbers = rows.map((r) => r.number).sort((a, b) => serialOf(a) - serialOf(b));
  const parts = Math.ceil(numbers.length / perZip);
  return Array.from({ length: parts }, (_, i) => {
    const held = numbers.slice(i * perZip, (i + 1) * perZip);
    return { part: i + 1, parts, first: held[0], last: held[held.length - 1], count: held.length };
  });
}

/** Outbox descriptions of what to draw; the bytes are made by `certificateAttachments` when the message is sent. */
export const certificateImage = (certificateId: number): AttachmentSpec => ({ kind: 'certificate', certificateId, format: 'png' });
export const certificatePdf = (certificateId: number): AttachmentSpec => ({ kind: 'certificate', certificateId, format: 'pdf' });
/** The year's zip: every certificate of the cycle, or with a part, those numbered `first` to `last`. */
export const certificateZip = (cycleId: number, part?: Pick<CertificateZipPart, 'first' | 'last'>): AttachmentSpec =>
  part ? { kind: 'certificateZip', cycleId, first: part.first, last: part.last } : { kind: 'certificateZip', cycleId };

/**
 * Why a certificate still waiting in the outbox is not sent: its title was revoked (第二十二条), and a
 * certificate is the proof of the title.
 */
function revokedCertificateReason(c: Pick<Certificate, 'number' | 'year'>, revokedAt: Date, timezone: string): string {
  return `证书 ${c.number} 已作废：${c.year}年度称号已于 ${formatDateZh(todayIn(timezone, revokedAt))} 撤销（第二十二条），证书不再发送`;
}

/**
 * Draws certificates for the outbox transport: one PNG or PDF, or a cycle's zip with the PNG and PDF of
 * each. A certificate never changes once issued, so each drawing is kept for the zip and for retries; its
 * title may be revoked, so that is read at every attempt, and once more after the upload: the certificate of a
 * revoked title is dropped (nothing sent) and left out of the zip.
 */
export function certificateAttachments(db: Db, renderer: CertificateRenderer, timezone: string, keep = 64): AttachmentRenderer {
  const drawn = new Map<string, Promise<Buffer>>();
  const draw = (c: Certificate, format: 'png' | 'pdf'): Promise<Buffer> => {
    const key = `${c.id}:${format}`;
    let bytes = drawn.get(key);
    if (!bytes) {
      const values = certificateValues(c, timezone);
      bytes = format === 'pdf' ? renderer.pdf(values) : renderer.png(values);
      bytes.catch(() => drawn.delete(key));
      drawn.set(key, bytes);
      if (drawn.size > keep) drawn.delete(drawn.keys().next().value!);
    }
    return bytes;
  };
  const withTitle = () => db.select({ certificate: certificates, revokedAt: honours.revokedAt }).from(certificates).innerJoin(honours, eq(honours.id, certificates.honourId));
  const render: AttachmentRenderer = async (spec) => {
    if (spec.kind === 'certificate') {
      const [row] = await withTitle().where(eq(certificates.id, Number(spec.certificateId)));
      if (!row) throw new Error(`certificate ${String(spec.certificateId)} not found`);
      if (row.revokedAt) return { drop: revokedCertificateReason(row.certificate, row.revokedAt, timezone) };
      return { bytes: await draw(row.certificate, spec.format === 'pdf' ? 'pdf' : 'png') };
    }
    if (spec.kind === 'certificateZip') {
      const cycle = await withTitle().where(eq(certificates.cycleId, Number(spec.cycleId))).orderBy(asc(certificates.number));
      const range = typeof spec.first === 'string' && typeof spec.last === 'string' ? { first: spec.first, last: spec.last } : undefined;
      const all = range ? cycle.filter((r) => serialOf(r.certificate.number) >= serialOf(range.first) && serialOf(r.certificate.number) <= serialOf(range.last)) : cycle;
      const valid = all.filter((r) => !r.revokedAt).map((r) => r.certificate);
      if (all.length && !valid.length) {
        const which = range ? `荣誉证书 ${range.first} 至 ${range.last} ` : '荣誉证书';
        return { drop: `${all[0].certificate.year}年度的${which}均已作废（称号已撤销，第二十二条），证书包不再发送` };
      }
      const files: { name: string; bytes: Uint8Array; modified: Date }[] = [];
      for (const c of valid) {
        // dated when issued, as the certificate is: the same bytes whenever the zip is drawn again
        files.push({ name: certificateFileName(c, 'png'), bytes: await draw(c, 'png'), modified: c.issuedAt });
        files.push({ name: certificateFileName(c, 'pdf'), bytes: await draw(c, 'pdf'), modified: c.issuedAt });
      }
      const bytes = await zipFiles(files, timezone);
      // parts are sized by the template's heaviest certificate: only one alone past the limit is left too large, said so
      // instead of Feishu's bare 234006, and given up at once: drawn again, it weighs the same
      if (bytes.length > FEISHU_FILE_BYTES) {
        const mb = (bytes.length / 1024 / 1024).toFixed(1);
        throw new CertificateTooLargeError(
          valid.length === 1
            ? `CERTIFICATE_TEMPLATE: 证书 ${valid[0].number} 的图片和 PDF 压缩后 ${mb} MB，超过飞书文件上限 30 MB：请缩小证书模板中嵌入的图片`
            : `CERTIFICATE_TEMPLATE: 证书包 ${mb} MB，超过飞书文件上限 30 MB：请缩小证书模板中嵌入的图片`,
        );
      }
      return { bytes };
    }
    throw new Error(`unknown attachment kind ${spec.kind}`);
  };
  // a revocation that commits while the certificate is drawn and uploaded still stops it: read once more before it is
  // sent (the zip goes to the association's own group, which knows of the revocation, and is not read again)
  render.recheck = async (spec) => {
    if (spec.kind !== 'certificate') return undefined;
    const [row] = await withTitle().where(eq(certificates.id, Number(spec.certificateId)));
    return row?.revokedAt ? { drop: revokedCertificateReason(row.certificate, row.revokedAt, timezone) } : undefined;
  };
  return render;
}

/** The certificates issued in a cycle to these teams, by team. */
export async function certificatesOfTeams(tx: Db, cycleId: number, teamIds: number[]) {
  const rows = teamIds.length ? await tx.select().from(certificates).where(and(eq(certificates.cycleId, cycleId), inArray(certificates.teamId, teamIds))) : [];
  return new Map(rows.map((c) => [c.teamId, c]));
}

/** A certificate that prints some of its characters as empty boxes, for the administrators to write in by hand. */
export interface BoxedCertificate {
  number: string;
  teamName: string;
  /** The organisation's name, when it is what holds a missing character. */
  organization?: string;
  /** The characters the font lacks, each once: 𠮷 */
  characters: string;
}

/**
 * The certificates of a cycle (titles not revoked) whose text has characters the certificate font has no glyph for:
 * a rare ideograph in a team's or organisation's name (𠮷, 㐀) prints as an empty box. The certificate is still
 * issued; the administrators are told which to correct by hand. `glyphs` is the font (`certificateGlyphs`); none are
 * found without it (a font that cannot be read draws no certificate at all, and each says why).
 */
export async function boxedCertificates(tx: Db, cycleId: number, glyphs: GlyphFont | undefined): Promise<BoxedCertificate[]> {
  if (!glyphs) return [];
  const rows = await tx
    .select({ certificate: certificates })
    .from(certificates)
    .innerJoin(honours, eq(honours.id, certificates.honourId))
    .where(and(eq(certificates.cycleId, cycleId), isNull(honours.revokedAt)))
    .orderBy(asc(certificates.number));
  const boxed: BoxedCertificate[] = [];
  for (const { certificate: c } of rows) {
    const missing = charactersMissing(glyphs, [c.teamName, c.organization, c.association, c.title].join('\n'));
    if (!missing.length) continue;
    const inOrganization = charactersMissing(glyphs, c.organization).length > 0;
    boxed.push({ number: c.number, teamName: c.teamName, ...(inOrganization ? { organization: c.organization } : {}), characters: missing.join('') });
  }
  return boxed;
}
