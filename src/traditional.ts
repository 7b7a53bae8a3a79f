/**
 * Traditional characters read as simplified, one character for one, so a command or a question typed on a
 * phone set to zh-HK / zh-TW (註冊, 申報條件是什麼) is read like its simplified form. Only the characters of the
 * commands and of common questions about the measures; a full converter is not needed for that.
 */
const PAIRS =
  // the commands: 註冊 申報 進度 評分 投訴 管理 幫助 菜單 條款 綁定通知 解綁 導入
  '註注 冊册 報报 進进 評评 訴诉 幫帮 單单 條条 綁绑 導导 ' +
  // common words of questions and of the measures
  '麼么 們们 個个 這这 嗎吗 還还 們们 請请 問问 說说 講讲 聽听 謝谢 見见 會会 應应 該该 為为 與与 對对 從从 ' +
  '時时 間间 幾几 長长 後后 麼么 樣样 裡里 裏里 沒没 無无 於于 經经 過过 開开 啟启 發发 佈布 結结 審审 選选 參参 ' +
  '稱称 號号 撤撤 銷销 證证 書书 獎奖 榮荣 譽誉 績绩 標标 準准 數数 線线 訓训 練练 記记 錄录 質质 協协 處处 ' +
  '認认 範范 圍围 規规 則则 義义 創创 設设 計计 劃划 實实 監监 舉举 顧顾 滿满 屆届 獲获 頒颁 給给 寫写 傳传 ' +
  '確确 據据 資资 組组 專专 業业 學学 習习 環环 優优 國国 廣广 東东 辦办 員员 務务 門门 類类 種种 節节 ' +
  '項项 內内 容容 檔档 錯错 誤误 題题 變变 換换 續续 條条 級级 總总 額额 決决 達达 聯联 繫系 係系 ' +
  '團团 體体 準准 則则 導导 戶户 動动 勵励 擔担 責责 負负 場场 齊齐 兩两 點点 麗丽 網网 頁页 ' +
  '碼码 編编 區区 鄉乡 縣县 鎮镇 現现 們们 讓让 給给 還还 歡欢 迎迎 嗨嗨 嘛嘛 吧吧 呢呢 收收 測测 試试 ' +
  '預预 計计 遞递 交交 繳缴 際际 盡尽 極极 適适 當当 並并 隊队 辭辞 謂谓 紀纪 錄录 驗验 險险 鑒鉴 鑑鉴 ' +
  '築筑 價价 險险 檢检 驗验 築筑 遠远 週周 術术 療疗 產产 鐘钟 貨货 層层 輪轮 確确 聲声 選选 斷断 ' +
  '愛爱 氣气 閱阅 覽览 隨随 寶宝 贊赞 誠诚 謹谨 饋馈 維维 護护 傳传 統统 歷历 曆历 億亿 萬万 個个 ' +
  // questions: 誰來評審 推薦到哪裡 申報門檻是什麼 必須 需要準備什麼 聯絡電話 費用 職責
  '誰谁 來来 薦荐 須须 別别 關关 將将 費费 論论 賽赛 織织 絡络 電电 話话 職职 營营 養养 競竞 爭争 備备 ' +
  '檻槛 議议 讀读 識识 頭头 領领 帳账 賬账 郵邮 載载 錢钱 師师 訊讯 構构 罰罚 違违 衛卫 災灾 ' +
  // words of the measures: 暫行 貫徹 戰略 經濟 堅持 強 運營 圍繞 方針 採取 穩定 信賴 情況 贏得 銜接 基礎 嚴格 執行
  // 崗位 機制 指揮 協調 積極 靈活 綜合 樹立 擴大 影響 補充 骨幹 自願 群眾 選擇 連續 考慮 出臺 牽頭 視 課 夠 蓋章
  // 簽字 剛 衝突 頻率 終身 揭曉 複審 復議 異議 製作
  '暫暂 貫贯 徹彻 戰战 濟济 堅坚 強强 運运 繞绕 針针 採采 穩稳 賴赖 況况 贏赢 銜衔 礎础 嚴严 執执 ' +
  '崗岗 機机 揮挥 調调 積积 靈灵 綜综 樹树 擴扩 響响 補补 幹干 願愿 眾众 衆众 擇择 連连 慮虑 臺台 ' +
  '牽牵 圖图 視视 課课 夠够 蓋盖 簽签 剛刚 衝冲 頻频 終终 曉晓 複复 復复 異异 製制';

const TABLE = new Map<string, string>();
for (const pair of PAIRS.split(' ')) if (pair.length === 2 && pair[0] !== pair[1]) TABLE.set(pair[0], pair[1]);

/** 甚 is a simplified character too (甚至): only 甚麼 is 什么. */
const WORDS: readonly (readonly [string, string])[] = [['甚麼', '什么'], ['甚么', '什么']];

/** The text with the traditional characters of the table simplified; every other character, and the length, kept. */
export function simplified(text: string): string {
  let out = '';
  for (const ch of text) out += TABLE.get(ch) ?? ch;
  for (const [from, to] of WORDS) out = out.replaceAll(from, to);
  return out;
}
