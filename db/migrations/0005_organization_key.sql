-- One organisation however its name is typed: “广州市政建设（集团）有限公司”, “广州市政建设(集团)有限公司” and “广州市政建设 (集团)有限公司 ”
-- are one, so the same-organisation exclusion of 第十七条 (it compares ids), a conflict declared against an organisation and an
-- org contact's teams hold across spellings. organization_key is the one normalisation: Unicode NFKC (（）→ (), full-width
-- letters and digits → half width, U+3000 → space), every whitespace character removed (JavaScript's \s, listed), ASCII letters
-- lower-cased (COLLATE "C": the same whatever the database's locale). organizationKey (src/organizations.ts) is the same in
-- TypeScript; test/db/organizationKey.test.ts holds the two together. `name` stays the spelling first seen.
-- (A quoted body, not RETURN: PostgreSQL 13, the oldest the README allows, has normalize but not SQL-standard bodies.)
CREATE FUNCTION "organization_key"("name" text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(normalize("name", NFKC), '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]', '', 'g') COLLATE "C")
$$;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "key" text GENERATED ALWAYS AS (organization_key(name)) STORED NOT NULL;--> statement-breakpoint
-- Organisations already duplicated under one key are merged into the group's lowest id (the spelling first seen); every
-- reference to organizations (teams, people, conflicts) moves there, then the others are deleted, each step audited.
-- Two duplicates may each have a team of the same name, which teams_org_name_uq would refuse in one organisation: the
-- deployment must not fail, so of the teams sharing a name in a group the lowest id keeps it and each later one gets its
-- code appended (“桥梁养护班” → “桥梁养护班（GDSZ-2025-0012）”), which is unique as the code is. Its team renames it if it likes.
WITH "renamed" AS (
  UPDATE "teams" t SET "name" = t."name" || '（' || t."code" || '）', "updated_at" = now()
  FROM "teams" old JOIN "organizations" o ON o."id" = old."organization_id"
  WHERE old."id" = t."id"
    AND EXISTS (SELECT 1 FROM "teams" u JOIN "organizations" uo ON uo."id" = u."organization_id"
      WHERE uo."key" = o."key" AND u."name" = old."name" AND u."id" < old."id")
  RETURNING t."id", old."name" AS "from", t."name" AS "to"
)
INSERT INTO "audit_log" ("actor", "action", "entity", "entity_id", "details")
SELECT 'system:migration', 'team.rename', 'team', r."id"::text,
  jsonb_build_object('from', r."from", 'to', r."to", 'reason', '所属单位合并（同一单位的不同写法），该单位已有同名班组')
FROM "renamed" r;--> statement-breakpoint
UPDATE "teams" t SET "organization_id" = g."keep", "updated_at" = now()
FROM (SELECT "id", min("id") OVER (PARTITION BY "key") AS "keep" FROM "organizations") g
WHERE g."id" = t."organization_id" AND g."keep" <> g."id";--> statement-breakpoint
UPDATE "people" p SET "organization_id" = g."keep", "updated_at" = now()
FROM (SELECT "id", min("id") OVER (PARTITION BY "key") AS "keep" FROM "organizations") g
WHERE g."id" = p."organization_id" AND g."keep" <> g."id";--> statement-breakpoint
UPDATE "conflicts" c SET "organization_id" = g."keep"
FROM (SELECT "id", min("id") OVER (PARTITION BY "key") AS "keep" FROM "organizations") g
WHERE g."id" = c."organization_id" AND g."keep" <> g."id";--> statement-breakpoint
WITH "merged" AS (
  DELETE FROM "organizations" o
  USING "organizations" k
  WHERE k."key" = o."key" AND k."id" = (SELECT min(x."id") FROM "organizations" x WHERE x."key" = o."key") AND k."id" <> o."id"
  RETURNING k."id" AS "keep", k."name" AS "name", o."id", o."name" AS "merged"
)
INSERT INTO "audit_log" ("actor", "action", "entity", "entity_id", "details")
SELECT 'system:migration', 'organization.merge', 'organization', m."keep"::text,
  jsonb_build_object('name', min(m."name"), 'merged', jsonb_agg(jsonb_build_object('id', m."id", 'name', m."merged") ORDER BY m."id"))
FROM "merged" m GROUP BY m."keep";--> statement-breakpoint
ALTER TABLE "organizations" DROP CONSTRAINT "organizations_name_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_key_uq" ON "organizations" USING btree ("key");
