import type * as lark from '@larksuiteoapi/node-sdk';
import { withFreshToken } from './client.js';
import { type ResolvedUserIds, resolveUserIds } from './contact.js';

/** What handlers may read from Feishu besides sending: a file in a message, and people by mobile or e-mail. */
export interface FeishuReader {
  /** bytes of a file the user sent; at most `maxBytes` are accepted */
  messageFile(messageId: string, fileKey: string, maxBytes: number): Promise<Buffer>;
  resolveUserIds(query: { mobiles?: string[]; emails?: string[] }): Promise<ResolvedUserIds>;
  /** the mobile, e-mail and Feishu Mail address (企业邮箱) the address book holds for someone (empty without the contact permissions) */
  userReach(openId: string): Promise<{ mobile?: string; email?: string; enterpriseEmail?: string }>;
}

export function larkReader(client: lark.Client): FeishuReader {
  return {
    async messageFile(messageId, fileKey, maxBytes) {
      // https://open.feishu.cn/document/server-docs/im-v1/message/get-2: type=file for a file message, the bot must be in the chat
      const res = await withFreshToken(client, () => client.im.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type: 'file' } }));
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
      // https://open.feishu.cn/document/server-docs/contact-v3/user/get: mobile needs contact:user.phone:readonly, email
      // contact:user.email:readonly, enterprise_email (the Feishu Mail address, which batch_get_id cannot find) contact:user.employee:readonly
      const res = await withFreshToken(client, () => client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }));
      if (res?.code !== 0) throw new Error(`contact/v3/users/:user_id answered code ${res?.code}: ${res?.msg ?? ''}`);
      const user = res.data?.user;
      return { mobile: user?.mobile || undefined, email: user?.email || undefined, enterpriseEmail: user?.enterprise_email || undefined };
    },
  };
}
