CREATE TABLE "certificates" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"honour_id" integer NOT NULL,
	"team_id" integer NOT NULL,
	"cycle_id" integer,
	"year" integer NOT NULL,
	"association" text NOT NULL,
	"team_name" text NOT NULL,
	"organization" text NOT NULL,
	"title" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	CONSTRAINT "certificates_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_honour_id_honours_id_fk" FOREIGN KEY ("honour_id") REFERENCES "public"."honours"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_cycle_id_cycles_id_fk" FOREIGN KEY ("cycle_id") REFERENCES "public"."cycles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_honour_uq" ON "certificates" USING btree ("honour_id");--> statement-breakpoint
CREATE INDEX "certificates_cycle_idx" ON "certificates" USING btree ("cycle_id");