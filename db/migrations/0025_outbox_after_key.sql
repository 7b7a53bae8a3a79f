-- A message queued behind another (a certificate after the result card that names it): `after_key` is that one's dedupe
-- key, and the row stays `waiting`, never claimed, until that one is finished. The trigger hands the rows waiting for a
-- message to the dispatcher in the statement that marks it sent, dropped, dead or undeliverable, whichever replica or
-- path does so; they keep the time they were queued, so they go ahead of what was queued after them.
ALTER TABLE "outbox" ADD COLUMN "after_key" text;--> statement-breakpoint
CREATE INDEX "outbox_waiting_idx" ON "outbox" USING btree ("after_key") WHERE "outbox"."status" = 'waiting';--> statement-breakpoint
CREATE FUNCTION "outbox_release_followers"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "outbox" SET "status" = 'pending' WHERE "status" = 'waiting' AND "after_key" = NEW."dedupe_key";
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "outbox_release_followers" AFTER UPDATE OF "status" ON "outbox"
  FOR EACH ROW WHEN (NEW."status" IN ('sent', 'dropped', 'dead', 'undeliverable') AND OLD."status" IS DISTINCT FROM NEW."status")
  EXECUTE FUNCTION "outbox_release_followers"();
