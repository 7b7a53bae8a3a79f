CREATE TABLE "console_entries" (
	"message_id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"chat_id" text NOT NULL,
	"sender" text NOT NULL,
	"open_id" text,
	"sent_at" timestamp with time zone NOT NULL,
	"msg_type" text NOT NULL,
	"content" jsonb NOT NULL,
	"reply_to" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "console_entries_chat_idx" ON "console_entries" USING btree ("chat_id","seq");