-- The outbox's claim reads the rows due in the order (priority, next_attempt_at, id) and stops at one batch: with id in
-- the index as well, a backlog of thousands (30 000 task cards after 截止申报) is read only as far as that batch.
DROP INDEX "outbox_due_idx";--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("priority","next_attempt_at","id") WHERE "outbox"."status" = 'pending';