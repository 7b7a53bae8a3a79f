-- Whom a card to a group answers and what they sent ({ openId, said }): a 互通群 refuses cards (230054), and then the
-- card goes to them privately and the group hears a word in text.
ALTER TABLE "outbox" ADD COLUMN "asked" jsonb;
