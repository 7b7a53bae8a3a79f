CREATE TABLE "imports" (
	"id" serial PRIMARY KEY NOT NULL,
	"actor" text NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"rows" jsonb NOT NULL,
	"resolved" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "honours" ADD COLUMN "title" text;--> statement-breakpoint
CREATE INDEX "imports_actor_idx" ON "imports" USING btree ("actor","created_at");