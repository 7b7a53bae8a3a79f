-- what an import's dry run was planned against (src/import/dataVersion.ts): 确认导入 compares it, and a preview planned
-- against other data is planned again and shown before anything is written
ALTER TABLE "imports" ADD COLUMN "data_version" text;
