-- An assignment carries its application's cycle, so an expert's tasks of one year are one range of an index: the
-- progress the answer to every 提交评分 shows reads that range instead of probing each task's application (a cost that
-- grew with every year the expert served). A trigger copies the cycle on every insert, whoever inserts.
ALTER TABLE "assignments" ADD COLUMN "cycle_id" integer;--> statement-breakpoint
UPDATE "assignments" a SET "cycle_id" = ap."cycle_id" FROM "applications" ap WHERE ap."id" = a."application_id";--> statement-breakpoint
ALTER TABLE "assignments" ALTER COLUMN "cycle_id" SET DEFAULT null;--> statement-breakpoint
ALTER TABLE "assignments" ALTER COLUMN "cycle_id" SET NOT NULL;--> statement-breakpoint
CREATE FUNCTION "assignments_cycle_id"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT ap."cycle_id" INTO NEW."cycle_id" FROM "applications" ap WHERE ap."id" = NEW."application_id";
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "assignments_cycle_id" BEFORE INSERT OR UPDATE OF "application_id" ON "assignments"
  FOR EACH ROW EXECUTE FUNCTION "assignments_cycle_id"();--> statement-breakpoint
DROP INDEX "assignments_expert_idx";--> statement-breakpoint
CREATE INDEX "assignments_expert_cycle_idx" ON "assignments" USING btree ("expert_open_id","cycle_id","status");
