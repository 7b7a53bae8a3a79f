ALTER TABLE "applications" ADD COLUMN "review" jsonb;--> statement-breakpoint
ALTER TABLE "honours" ADD COLUMN "kept_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "honours" ADD COLUMN "kept_reason" text;