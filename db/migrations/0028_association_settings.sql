-- 协会联系方式: how the association is reached, set by an administrator (one row, id 1) and appended where a text says 请联系协会.
CREATE TABLE "association_settings" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"contact" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
