import { browseCard } from '../../cards/measures.js';
import type { CardResponse } from '../../src/handlers.js';
import { chapters, measuresTitle } from '../../src/measures/index.js';

/** 查看办法条款: the chapters, each with its articles as buttons, in place of the clicked card. */
export async function browseMeasures(): Promise<CardResponse> {
  return { card: { type: 'raw', data: browseCard(chapters, measuresTitle) } };
}
