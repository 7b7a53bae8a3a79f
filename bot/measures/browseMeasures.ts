import { z } from 'zod';
import { browseCard } from '../../cards/measures.js';
import type { CardActionInput, CardResponse, HandlerContext } from '../../src/handlers.js';
import { chapters, measuresTitle } from '../../src/measures/index.js';

// language: opened from an English card (article 16), whose articles the list opens with their English line
const browseSchema = z.object({ language: z.enum(['zh', 'en']).optional() });

/** 查看办法条款 / 全部条款: the chapters, each with its articles as buttons, in place of the clicked card. */
export async function browseMeasures(_ctx: HandlerContext, input: CardActionInput): Promise<CardResponse> {
  const parsed = browseSchema.safeParse(input.value);
  return { card: { type: 'raw', data: browseCard(chapters, measuresTitle, parsed.success ? parsed.data.language : undefined) } };
}
