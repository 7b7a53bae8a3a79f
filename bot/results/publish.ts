/**
 * `results.publish` (公布结果, after the confirm dialog): honours recorded, each team leader and organisation
 * contact told their result, numbered 荣誉证书 (第二十条) sent as image and PDF, the admin group(s) given the
 * results card, the workbook and the zip. All of it is a job (./publishJob.ts): the callback only records it.
 */
export { publishValue, startPublishing as publish, startPublishingFast as publishFast } from './publishJob.js';
