import type { BulkJobKind } from '../src/bulkJobs.js';
import { importJob } from '../src/import/applyJob.js';
import { importPreviewJob } from '../src/import/previewJob.js';
import { remindJob } from '../src/jobs/reminders.js';
import { aggregateJob } from './results/aggregateJob.js';
import { publishJob } from './results/publishJob.js';
import { assignJob } from './review/assignJob.js';

/** The bulk work the worker knows how to do, one batch at a time. */
export const bulkJobKinds: readonly BulkJobKind[] = [assignJob, publishJob, importJob, importPreviewJob, remindJob, aggregateJob];
