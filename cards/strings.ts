import { md } from './markdown.js';

/** User-facing strings. The bot speaks Chinese only, the measures' language (see README: Language). */
export const zh = {
  botName: '质量信得过班组助手',
  association: '广东省市政行业协会',
  menuTitle: '质量信得过班组助手',
  menuIntro: '广东省市政工程“质量信得过班组”建设活动（广东省市政行业协会）。点击下方按钮，或直接发送命令：',
  menuIntroButtons: '广东省市政工程“质量信得过班组”建设活动（广东省市政行业协会）。点击下方按钮：',
  menuAsk: '也可以直接提问，例如“注册多久才能参加评选”，我会找出相关条款。',
  /** The group-only commands an administrator has no button for. */
  adminGroupCommands: '通知群：把机器人拉进群，在群里 @机器人 发送“绑定通知”（bind）接收协会管理通知，发送“绑定通知 专家”（bind expert）接收评审专家通知；“解绑”（unbind）取消。',
  /** How a complainant follows their complaints: no button has it. */
  myComplaintsCommand: '投诉进度：发送“我的投诉”（my complaints；也可发送“投诉进度”“投诉状态”“complaint status”）查看你在飞书提交的投诉及各自的处理情况。',
  adminHistoryCommand: '变更记录：发送“变更记录 班组编号”（history）查看谁在何时改了该班组的资料、成员、申报、称号和投诉（第十七条）。',
  /** An administrator's corrections of any team's record: commands with the team's code or full name, no button. */
  adminTeamCommands: '更正班组记录：发送“修改资料 班组编号”“班组成员 班组编号”“更换班组长 班组编号”（也可写班组全称），打开该班组的卡片办理；各班组的编号在名册中，发送“导出名册”获取。',
  rolesLine: (roles: string[]) => `你的身份：${roles.length ? roles.join('、') : '访客'}`,
  unknownText: '没有听懂这句话。发送“帮助”查看可用的命令。',
  suggestionTitle: '你要找的可能是这个',
  menuHint: '发送“帮助”查看可用的命令。',
  /**
   * A file or an image sent to the bot: application materials are not taken that way but as a cloud document's link in
   * the 申报表's 材料链接 (its label and its help's permission, applicationForm in src/applications.ts).
   */
  nonTextMessage: '目前只能识别文字消息。申报材料请放在飞书云文档中，把链接粘贴到申报表的“材料链接”（文档权限设为“组织内获得链接的人可阅读”）。发送“帮助”查看可用的命令。',
  /** A voice message: the bot reads no speech, the question typed is answered. */
  voiceMessage: '语音消息我还识别不了：请把问题用文字发给我，例如“注册多久才能参加评选”。发送“帮助”查看可用的命令。',
  /** A group's card (share_chat) sent to the bot: how a group gets the association's notifications. */
  sharedChatMessage: '要让一个群接收通知，请把我拉进该群，由协会管理员在群里 @我 发送“绑定通知”。其他消息目前只能识别文字。发送“帮助”查看可用的命令。',
  /** Anything else that is not text (a sticker, a forwarded chat record, a contact's card, a location…). */
  otherMessage: '目前只能识别文字消息：请把要办的事或要问的问题用文字发给我。发送“帮助”查看可用的命令。',
  roleNames: { admin: '协会管理员', expert: '评审专家', org_contact: '单位联系人', leader: '班组长', member: '班组成员' } as Record<string, string>,
  deadLetterTitle: '消息投递失败',
  deadLetterGrouped: '同一错误码一小时内只提醒一次（此为其中一条）；其余失败的消息计入每日摘要的“投递失败的消息”。',
  deadLetter: (receiver: string, attempts: number, error: string) =>
    md`一条消息在尝试 ${attempts} 次后仍未送达，已停止重试。\n**接收方**：${receiver}\n**最后错误**：${error}${deadLetterHint(receiver, error)}`,
};

/**
 * What an administrator can do about a dead letter, for the codes that have an answer besides waiting:
 * https://open.feishu.cn/document/server-docs/im-v1/message/create (error codes).
 */
function deadLetterHint(receiver: string, error: string): string {
  // 230035 to a group: no permission to post there, most often a mute (禁言) that outlasted the retries
  if (/code 230035\b/.test(error) && receiver.startsWith('chat_id ')) return '\n该群不允许机器人发言：请检查群是否开启了禁言（仅群主和群管理员可发言）。解除后，机器人之后的消息即可送达；这条消息不再补发。';
  // 230018 to a group: the group's settings forbid it, "例如群聊设置了仅指定成员可以在此群发言"
  if (/code 230018\b/.test(error) && receiver.startsWith('chat_id ')) return '\n该群的设置不允许机器人发言：请检查群设置中的“谁可以发言”（例如仅指定成员可发言），把机器人加入可发言的成员。改好后，机器人之后的消息即可送达；这条消息不再补发。';
  // 230028: the tenant's data-loss prevention refused the content ("当消息内容中含有明文电话号码、明文个人邮箱等内容时可能会触发")
  if (/code 230028\b/.test(error)) return '\n消息未通过企业的数据防泄漏（DLP）审核：内容含明文电话号码或个人邮箱时可能被拦截。请企业管理员在管理后台放行本应用的消息，或在班组资料中不填写联系电话。';
  return '';
}

/** The revocation bar's span as words (E5): “撤销称号后一年” by default (null), else “撤销称号后 500 天”. */
export const afterRevocation = (days: number | null) => `撤销称号后${days === null ? '一年' : ` ${days} 天`}`;

/** The revocation bar as words, with its value: “撤销称号后一年内不受理该班组的申报”, “撤销称号后 500 天内…”. */
export const revocationBarText = (days: number | null) => `${afterRevocation(days)}内不受理该班组的申报`;

/**
 * A bar that ends by the year's deadline but after now, as the open notice, the deadline's reminders, 申报's form and 进度
 * say it: the team may apply, its 提交 waits until `untilText` (the minute the bar ends).
 */
export const submitFromLine = (untilText: string, days: number | null) => `协会规定${afterRevocation(days)}内不受理申报，${untilText} 起方可提交，之前可先填写并保存草稿`;

/** 甲、乙和丙. */
/** A sentence as typed (an opinion, a reason), ended with 。 unless it ends with its own stop (。！？.!?), before more text. */
export const sentence = (s: string) => (/[。！？.!?]$/.test(s) ? s : `${s}。`);

export const andJoin = (xs: readonly string[]) => xs.join('、').replace(/、(?=[^、]+$)/, '和');

/**
 * Those a notice goes to, by role (班组长, 单位联系人), split into the told and the untold: one imported and not yet
 * linked to Feishu (a `pending:` id) is sent nothing, the outbox drops it. One person in two roles is one role here.
 */
export function toldSplit(to: readonly (readonly [role: string, openId: string])[]): { told: string[]; untold: string[] } {
  const told: string[] = [];
  const untold: string[] = [];
  for (const [role, openId] of to) (openId.startsWith('pending:') ? untold : told).push(role);
  return { told, untold };
}

/**
 * 已通知班组长和单位联系人, or who was not: 已通知单位联系人（班组长尚未关联飞书，未通知）, 班组长尚未关联飞书，未通知.
 * `later` follows the untold: what linking sends them then, or that it sends nothing (src/import/linking.ts).
 */
export function toldLine(to: readonly (readonly [role: string, openId: string])[], later = ''): string {
  const { told, untold } = toldSplit(to);
  const missed = untold.length ? `${andJoin(untold)}尚未关联飞书，未通知${later ? `，${later}` : ''}` : '';
  if (!told.length) return missed;
  return `已通知${andJoin(told)}${missed ? `（${missed}）` : ''}`;
}

/**
 * Who 撤销称号 told: 已通知班组长和单位联系人, or one imported and not yet linked to Feishu named as not told. Linking
 * sends no revocation later (src/import/linking.ts: the teams' card, waiting confirmations and results only).
 */
export const revokedTold = (team: { leaderOpenId?: string; contactOpenId?: string }) =>
  toldLine([['班组长', team.leaderOpenId ?? ''], ['单位联系人', team.contactOpenId ?? '']], '关联后也不会补发');

/**
 * After 已通知其单位联系人和班组长 of the applications still unconfirmed: those of their contacts and leaders not yet
 * linked to Feishu, counted, whom nothing reached; a contact linked later is sent the requests still waiting
 * (src/import/linking.ts), a leader nothing. Empty when all are linked. `unconfirmedUntoldSql` (src/deadlineNotices.ts)
 * writes the same in SQL.
 */
export function unconfirmedUntold(contacts: number, leaders: number): string {
  if (!contacts && !leaders) return '';
  const who = [contacts ? `${contacts} 位单位联系人` : '', leaders ? `${leaders} 位班组长` : ''].filter(Boolean).join('、');
  return `（其中 ${who}尚未关联飞书，未通知${contacts ? '；单位联系人关联后会收到待确认的申报' : ''}）`;
}

/** Where an administrator sees the year's applications, when no year is running: the 协会管理 card has no 评审进度 until one is opened. */
export const NO_YEAR_RUNNING_FOR_ADMIN = '目前没有进行中的年度评审：发送“管理”，在协会管理卡片上点“开启年度评审”；开启后，各班组的申报情况在同一张卡片的“评审进度”中查看。';
