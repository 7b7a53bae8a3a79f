import { expertWelcomeCard } from '../../cards/experts.js';
import { isPending } from '../import/people.js';
import type { CardRenderer, CardSpec, OutgoingMessage, RenderedCard } from '../outbox.js';

/**
 * 欢迎加入专家库 (第十一条、第十七条), drawn when it is sent: someone who joins the pool (添加专家, a 专家 row of 导入) is
 * told so at once, with how to declare a conflict of interest before 分配专家 gives them tasks. The row holds the
 * organisation as added, so whichever path queued it (`addExperts`' handler, src/fast/admin.ts's statement, the
 * import's batch) draws the same card. Once a person: the key names them alone.
 */
export const EXPERT_WELCOME_CARD = 'expertWelcome';

/** The dedupe key's head; `:<open_id>` follows it (src/fast/admin.ts builds the same). */
export const EXPERT_WELCOME_KEY = 'expert:welcome';

/** The notice to someone who has just joined the pool; undefined for someone not yet linked to Feishu (导入 by mobile). */
export function expertWelcomeNotice(openId: string, organization: string): OutgoingMessage | undefined {
  if (isPending(openId)) return undefined;
  return { dedupeKey: `${EXPERT_WELCOME_KEY}:${openId}`, to: { openId }, render: { kind: EXPERT_WELCOME_CARD, organization } satisfies CardSpec };
}

/** 你已加入评审专家库, from the spec alone. */
export const expertWelcomeRenderer: CardRenderer = async (specs) =>
  specs.map((s): RenderedCard => (typeof s.organization === 'string' ? { card: expertWelcomeCard({ organization: s.organization }) } : { error: `card ${EXPERT_WELCOME_CARD}: incomplete spec` }));
