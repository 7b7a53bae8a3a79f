-- One team however its name is typed: the unique index on a team's exact name becomes one on the key organisations
-- are compared by (organization_key, migration 0005), so two registrations of 养护(四)班 and 养护（四）班 in one
-- organisation at the same instant cannot both be kept (the one-statement 注册 checks the key in its snapshot, before
-- the organisation's lock). Teams already stored under two spellings (only that race made them) must not fail the
-- deployment: as 0005 did, of the teams sharing a key in an organisation the lowest id keeps its name and each later
-- one gets its code appended (“养护(四)班” → “养护(四)班（GDSZ-2025-0012）”), audited; its team renames it if it likes.
WITH "renamed" AS (
  UPDATE "teams" t SET "name" = t."name" || '（' || t."code" || '）', "updated_at" = now()
  FROM "teams" old
  WHERE old."id" = t."id"
    AND EXISTS (SELECT 1 FROM "teams" u
      WHERE u."organization_id" = old."organization_id" AND organization_key(u."name") = organization_key(old."name") AND u."id" < old."id")
  RETURNING t."id", old."name" AS "from", t."name" AS "to"
)
INSERT INTO "audit_log" ("actor", "action", "entity", "entity_id", "details")
SELECT 'system:migration', 'team.rename', 'team', r."id"::text,
  jsonb_build_object('from', r."from", 'to', r."to", 'reason', '本单位已有同名班组（名称写法不同）')
FROM "renamed" r;--> statement-breakpoint
DROP INDEX "teams_org_name_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "teams_org_name_key_uq" ON "teams" USING btree ("organization_id", organization_key("name"));
