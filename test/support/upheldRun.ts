import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { complaints, honours } from '../../db/schema.js';

/**
 * `n` upheld complaints in a row against the team's latest honour (第二十二条), received and decided in the minutes
 * after its award: the revocation decision (撤销 / 保留) is pending then, as when the alert was raised.
 */
export async function upheldRun(db: Db, teamId: number, n = 2): Promise<number[]> {
  const [honour] = await db.select().from(honours).where(eq(honours.teamId, teamId)).orderBy(desc(honours.year)).limit(1);
  const at = (minutes: number) => new Date(honour.awardedAt.getTime() + minutes * 60_000);
  const ids: number[] = [];
  for (let i = 1; i <= n; i++) {
    const [c] = await db
      .insert(complaints)
      .values({
        reference: `TS-RUN-${honour.id}-${i}`, teamId, content: `顾客投诉（第 ${i} 次）`, channel: 'web', status: 'upheld', note: '经核实属实', decidedBy: 'ou_runadmin',
        decidedAt: at(2 * i), createdAt: at(2 * i - 1),
      })
      .returning();
    ids.push(c.id);
  }
  return ids;
}
