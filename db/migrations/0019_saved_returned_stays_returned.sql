-- A returned application the leader saved (保存草稿, or what a refused resubmission keeps) became a draft, and 进度 then
-- said “草稿尚未提交”, or after the deadline “这份申报未提交”, of an application submitted and returned. Saving now keeps
-- it returned (applicationMachine 'saveReturned'); the ones saved before are put back. A draft submitted before can
-- only be one: submitted_at is set by 提交 alone, and the only way back from 待单位确认 to an editable state is a return.
UPDATE "applications" SET "status" = 'returned' WHERE "status" = 'draft' AND "submitted_at" IS NOT NULL;
