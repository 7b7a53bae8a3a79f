-- A complaint closed as 重复 names the complaint it repeats (the same team's): 第二十二条's run skips it, as it skips one
-- 已撤回 at the complainant's request. The status column stays unconstrained text (open | upheld | dismissed |
-- duplicate | withdrawn).
ALTER TABLE "complaints" ADD COLUMN "duplicate_of" integer;--> statement-breakpoint
ALTER TABLE "complaints" ADD CONSTRAINT "complaints_duplicate_of_complaints_id_fk" FOREIGN KEY ("duplicate_of") REFERENCES "public"."complaints"("id") ON DELETE no action ON UPDATE no action;
