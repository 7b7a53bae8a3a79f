-- 保留称号 (第二十二条) sets aside the upheld complaints it answered: each is marked with the 保留's moment, so a later
-- 更正认定 (which writes decided_at anew) does not make it count again. Marked as the run read it until now: an upheld
-- complaint decided by a 保留 of its team's, with the first such 保留's moment.
ALTER TABLE "complaints" ADD COLUMN "set_aside_at" timestamp with time zone;--> statement-breakpoint
UPDATE "complaints" c SET "set_aside_at" = (
	SELECT min(h."kept_at") FROM "honours" h WHERE h."team_id" = c."team_id" AND h."kept_at" >= c."decided_at"
) WHERE c."status" = 'upheld' AND c."decided_at" IS NOT NULL;
