import type * as lark from '@larksuiteoapi/node-sdk';
import { errorCode, withFreshToken } from './client.js';
import { type ResolvedUserIds, resolveUserIds, scopeMissing } from './contact.js';

/** What handlers may read from Feishu besides sending: a file in a message, and people by mobile or e-mail. */
export interface FeishuReader {
  /** bytes of a file the user sent; at most `maxBytes` are accepted */
  messageFile(messageId: string, fileKey: string, maxBytes: number): Promise<Buffer>;
  resolveUserIds(query: { mobiles?: string[]; emails?: string[] }): Promise<ResolvedUserIds>;
  /**
   * the name, mobile, e-mail and Feishu Mail address (企业邮箱) the address book holds for someone (each left out without
   * its field permission)
   */
  userReach(openId: string): Promise<{ name?: string; mobile?: string; email?: string; enterpriseEmail?: string }>;
}

/**
 * A file Feishu will not hand over, for a reason sending it again the same way cannot change (the chat's 保密/防泄密 mode,
 * a file inside a 合并转发 or a card, one over 100 MB, a message no longer visible): `reason` says the sender what to do.
 * Codes of https://open.feishu.cn/document/server-docs/im-v1/message/get-2 (获取消息中的资源文件).
 */
export class FileRefused extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`message resource refused, code ${code}`);
  }
}

const REFUSED_FILES: Record<number, string> = {
  234004: '我不在这个文件所在的会话中，无法下载它。请在与我的单聊中把文件直接发给我。',
  234037: '文件超过飞书允许机器人下载的 100 MB，无法读取。',
  234038: '这个文件来自开启了保密模式（防泄密）的会话，机器人无法下载。请在与我的单聊中把文件直接发给我。',
  234040: '这个文件已经看不到了（消息可能已撤回或删除），无法下载。请重新发送文件。',
  234043: '合并转发的消息或卡片里的文件无法下载。请把 Excel 文件本身直接发给我。',
};

/** The refusal `err` (the SDK's, from message resources; its streamed body read by errorCode) stands for, if it is one of REFUSED_FILES. */
async function refusedFile(err: unknown): Promise<FileRefused | undefined> {
  const code = await errorCode(err);
  return code !== undefined && REFUSED_FILES[code] ? new FileRefused(code, REFUSED_FILES[code]) : undefined;
}

export function larkReader(client: lark.Client): FeishuReader {
  return {
    async messageFile(messageId, fileKey, maxBytes) {
      // https://open.feishu.cn/document/server-docs/im-v1/message/get-2: type=file for a file message, the bot must be in the chat
      const res = await withFreshToken(client, () => client.im.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type: 'file' } })).catch(async (err: unknown) => {
        throw (await refusedFile(err)) ?? scopeMissing(err) ?? err;
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.getReadableStream()) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw new Error(`file over ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    },
    resolveUserIds: (query) => resolveUserIds(client, query),
    async userReach(openId) {
      // https://open.feishu.cn/document/server-docs/contact-v3/user/get: name needs contact:user.base:readonly, mobile
      // contact:user.phone:readonly, email contact:user.email:readonly, enterprise_email (the Feishu Mail address, which
      // batch_get_id cannot find) contact:user.employee:readonly
      const res = await withFreshToken(client, () => client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }));
      if (res?.code !== 0) throw new Error(`contact/v3/users/:user_id answered code ${res?.code}: ${res?.msg ?? ''}`);
      const user = res.data?.user;
      return { name: user?.name?.trim() || undefined, mobile: user?.mobile || undefined, email: user?.email || undefined, enterpriseEmail: user?.enterprise_email || undefined };
    },
  };
}
