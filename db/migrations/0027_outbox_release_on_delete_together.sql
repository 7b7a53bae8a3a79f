-- A row deleted while it was waiting itself passes its place on: what waited for it waits for what it waited for
-- (migration 0026). When that one was deleted in the same statement (a result card and its certificate image removed by
-- hand together, the PDF kept), or is finished, nothing is left to wait for, and the rows were left waiting for a key
-- no longer there: a certificate never sent. They go now; a row passes its place on only to a message still to go.
CREATE OR REPLACE FUNCTION "outbox_release_followers_of_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" = 'waiting' AND OLD."after_key" IS NOT NULL AND EXISTS (
    SELECT 1 FROM "outbox" WHERE "dedupe_key" = OLD."after_key" AND "status" IN ('held', 'pending', 'sending', 'waiting')
  ) THEN
    UPDATE "outbox" SET "after_key" = OLD."after_key" WHERE "status" = 'waiting' AND "after_key" = OLD."dedupe_key";
  ELSE
    UPDATE "outbox" SET "status" = 'pending' WHERE "status" = 'waiting' AND "after_key" = OLD."dedupe_key";
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
UPDATE "outbox" SET "status" = 'pending' WHERE "status" = 'waiting' AND NOT EXISTS (
  SELECT 1 FROM "outbox" "earlier" WHERE "earlier"."dedupe_key" = "outbox"."after_key" AND "earlier"."status" IN ('held', 'pending', 'sending', 'waiting'));
