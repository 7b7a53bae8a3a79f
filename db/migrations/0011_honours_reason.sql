-- the data model names a revocation's reason honours.reason (DESIGN.md); nothing else changes
ALTER TABLE "honours" RENAME COLUMN "revoked_reason" TO "reason";
