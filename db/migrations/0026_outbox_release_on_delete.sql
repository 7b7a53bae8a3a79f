-- A message queued behind another (`after_key`, migration 0025) waits until that one is finished; a row deleted before
-- it was (a superseded card update cleared, a row removed by hand) never is, and what waited for it would wait for
-- ever: a certificate never sent. Deleting a row now hands the rows waiting for it to the dispatcher, as finishing it
-- does; a deleted row that was waiting itself passes its place on (they wait for what it waited for, so the order
-- holds). Rows already waiting for a message no longer there, or already finished, go now.
CREATE FUNCTION "outbox_release_followers_of_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" = 'waiting' AND OLD."after_key" IS NOT NULL THEN
    UPDATE "outbox" SET "after_key" = OLD."after_key" WHERE "status" = 'waiting' AND "after_key" = OLD."dedupe_key";
  ELSE
    UPDATE "outbox" SET "status" = 'pending' WHERE "status" = 'waiting' AND "after_key" = OLD."dedupe_key";
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "outbox_release_followers_on_delete" AFTER DELETE ON "outbox"
  FOR EACH ROW EXECUTE FUNCTION "outbox_release_followers_of_deleted"();--> statement-breakpoint
UPDATE "outbox" SET "status" = 'pending' WHERE "status" = 'waiting' AND NOT EXISTS (
  SELECT 1 FROM "outbox" "earlier" WHERE "earlier"."dedupe_key" = "outbox"."after_key" AND "earlier"."status" IN ('held', 'pending', 'sending', 'waiting'));
