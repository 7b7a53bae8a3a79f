// Local mode's console: pick who you are, chat with the bot, click its cards. Every message and click goes to the
// bot through /dev/api, which posts it to /lark/events or /lark/cards signed and encrypted as Feishu does.
import { escapeHtml, renderMessage } from '/dev/renderer.js';

const ROLE_NAMES = { admin: '协会管理员', expert: '评审专家', org_contact: '单位联系人' };
const QUICK = ['帮助', '注册', '申报', '进度', '评分', '投诉', '管理'];

const $ = (sel) => document.querySelector(sel);
const list = $('#messages');
const main = $('#main');
const composer = $('#composer');
const composerText = $('#composer-text');

const state = {
  people: [],
  me: localStorage.getItem('console.me') || '',
  chats: [],
  chatId: '',
  version: 0,
  /** message id → version of what is drawn */
  drawn: new Map(),
  /** bumps on every chat switch, so a stale poll stops */
  generation: 0,
  /** when this page last sent a message: the answer's card takes the focus */
  saidAt: 0,
  /** which start of the bot the versions belong to */
  boot: '',
};

/** Chinese text in the message, else the status: the browser's and the server's English never reach the page. */
const HAS_CJK = /[\u4e00-\u9fff]/;

async function api(path, body, signal) {
  let res;
  try {
    res = await fetch(path, body === undefined ? { signal } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    // fetch's own "Failed to fetch": the bot is stopped or restarting
    throw new Error('连不上机器人：它可能已停止或正在重启，请稍后再试。');
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (json.msg && !HAS_CJK.test(json.msg)) console.warn(`${path}: ${json.msg}`);
    // a message the console took back (not stored, or not taken by the bot) carries its id: the page offers it again
    throw Object.assign(new Error(json.msg && HAS_CJK.test(json.msg) ? json.msg : `请求失败（HTTP ${res.status}），详见机器人的日志。`), { takenBack: Boolean(json.messageId) });
  }
  return json;
}

/** What the browser would say in its own language, said in Chinese, naming the field. */
function chineseValidity(el) {
  const v = el.validity;
  if (!v || v.valid || v.customError) return;
  const name = el.labels?.[0]?.textContent?.trim() || el.getAttribute('aria-label') || el.placeholder || '';
  const field = name ? `「${name.replace(/[*＊]\s*$/, '')}」` : '这一项';
  let text = `${field}填写有误`;
  if (v.valueMissing) text = el.tagName === 'SELECT' ? `请选择${field}` : el.type === 'checkbox' ? `请勾选${field}` : `请填写${field}`;
  else if (v.tooLong) text = `${field}最多 ${el.maxLength} 个字`;
  else if (v.tooShort) text = `${field}至少 ${el.minLength} 个字`;
  else if (v.patternMismatch || v.typeMismatch || v.badInput) text = `${field}的格式不对`;
  else if (v.rangeUnderflow) text = `${field}不能小于 ${el.min}`;
  else if (v.rangeOverflow) text = `${field}不能大于 ${el.max}`;
  else if (v.stepMismatch) text = `${field}的数值不合要求`;
  el.setCustomValidity(text);
}
/** Every field's validationMessage in Chinese from the moment it is drawn, not only once the browser complains. */
function chineseFields(root) {
  for (const el of root.querySelectorAll?.('input, select, textarea') ?? []) {
    el.setCustomValidity('');
    chineseValidity(el);
  }
}
const rechecked = (ev) => {
  if (!ev.target.setCustomValidity) return;
  ev.target.setCustomValidity('');
  chineseValidity(ev.target);
};
document.addEventListener('input', rechecked, true);
document.addEventListener('change', rechecked, true);
// a form reset empties fields without an input event
document.addEventListener('reset', (ev) => setTimeout(() => chineseFields(ev.target)), true);
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) chineseFields(n);
}).observe(document.body, { childList: true, subtree: true });
chineseFields(document.body);

function toast(type, content) {
  const el = document.createElement('div');
  el.className = `toast toast-${type || 'info'}`;
  el.textContent = content;
  $('#toasts').append(el);
  // an error often asks for something to be done again (a message to send again): it stays long enough to be read
  setTimeout(() => el.remove(), type === 'error' ? 10000 : 4000);
}

const nameOf = (openId) => state.people.find((p) => p.openId === openId)?.name || openId;
const renderContext = (e) => ({ people: state.people, idPrefix: e.id, fileHref: e.fileHref, imageHref: e.imageHref });

// ---------------------------------------------------------------------------
// people and chats
// ---------------------------------------------------------------------------

async function loadPeople() {
  state.people = (await api('/dev/api/people')).people;
  const select = $('#person');
  select.innerHTML = state.people
    .map((p) => {
      const roles = p.roles.map((r) => ROLE_NAMES[r] || r).join('、');
      return `<option value="${escapeHtml(p.openId)}">${escapeHtml(p.name || p.openId)}${roles ? `（${escapeHtml(roles)}）` : ''}</option>`;
    })
    .join('');
  if (!state.people.some((p) => p.openId === state.me)) state.me = state.people[0]?.openId || '';
  select.value = state.me;
}

/** The chat a person being switched to lands in, until their chats are loaded: what is sent meanwhile goes there. */
let switching = null;

async function choosePerson(openId) {
  state.me = openId;
  localStorage.setItem('console.me', openId);
  const landed = (async () => {
    state.chats = (await api(`/dev/api/chats?openId=${encodeURIComponent(openId)}`)).chats;
    const keep = state.chats.find((c) => c.chatId === state.chatId && c.kind === 'group');
    drawChatTabs();
    chooseChat(keep ? keep.chatId : state.chats[0].chatId);
    return state.chatId;
  })();
  switching = landed;
  try {
    await landed;
  } finally {
    if (switching === landed) switching = null;
  }
}

function drawChatTabs() {
  $('#chats').innerHTML = state.chats
    .map((c) => `<button type="button" role="tab" data-chat="${escapeHtml(c.chatId)}" aria-selected="${c.chatId === state.chatId}">${escapeHtml(c.title)}</button>`)
    .join('');
}

function chooseChat(chatId) {
  state.chatId = chatId;
  state.version = 0;
  state.drawn.clear();
  state.generation++;
  state.pollAbort?.abort();
  state.pollAbort = new AbortController();
  list.innerHTML = '<li class="empty">还没有消息。发送“帮助”开始。</li>';
  for (const b of document.querySelectorAll('#chats button')) b.setAttribute('aria-selected', String(b.dataset.chat === chatId));
  const chat = state.chats.find((c) => c.chatId === chatId);
  $('#composer .mention').hidden = chat?.kind !== 'group';
  // a file goes to the bot in the chat with it, as Feishu's 导入 asks
  $('#composer .attach').hidden = chat?.kind === 'group';
  void poll(state.generation);
}

// ---------------------------------------------------------------------------
// messages
// ---------------------------------------------------------------------------

async function poll(generation) {
  let wait = false;
  while (generation === state.generation) {
    try {
      const q = `chatId=${encodeURIComponent(state.chatId)}&after=${state.version}${wait ? '&wait=25000' : ''}`;
      const res = await api(`/dev/api/messages?${q}`, undefined, state.pollAbort.signal);
      if (generation !== state.generation) return;
      if (state.boot && res.boot !== state.boot) {
        // the bot restarted: its versions start again from nought
        state.boot = res.boot;
        chooseChat(state.chatId);
        return;
      }
      state.boot = res.boot;
      apply(res);
      wait = true;
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function apply(res) {
  const nearBottom = main.scrollHeight - main.scrollTop - main.clientHeight < 80;
  let focusTarget = null;
  for (const e of res.entries) {
    if ((state.drawn.get(e.id) ?? -1) >= e.v) continue;
    const fresh = !state.drawn.has(e.id);
    state.drawn.set(e.id, e.v);
    const li = entryElement(e);
    const old = list.querySelector(`li[data-id="${CSS.escape(e.id)}"]`);
    if (old) old.replaceWith(li);
    else list.append(li);
    if (fresh && e.from === 'bot' && Date.now() - state.saidAt < 15000 && document.activeElement === composerText && !composerText.value) {
      if (li.querySelector('input, select, textarea, button')) focusTarget = li.querySelector('.bubble');
    }
  }
  // keep the server's order (messages restored from the outbox come first)
  for (const id of res.order) {
    const li = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (li) list.append(li);
  }
  list.querySelector('.empty')?.remove();
  if (!list.children.length) list.innerHTML = '<li class="empty">还没有消息。发送“帮助”开始。</li>';
  state.version = Math.max(state.version, res.version);
  if (focusTarget) {
    focusTarget.focus({ preventScroll: true });
    focusTarget.scrollIntoView({ block: 'start' });
  } else if (nearBottom) main.scrollTop = main.scrollHeight;
}

function entryElement(e) {
  const li = document.createElement('li');
  li.className = `msg from-${e.from}`;
  li.dataset.id = e.id;
  const who = e.from === 'bot' ? '助手' : nameOf(e.openId);
  const time = new Date(e.at).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' });
  // a file the person sent shows its name (the bytes are the bot's to read)
  const said = e.msgType === 'file' ? `文件：${e.content?.file_name ?? ''}` : (e.content?.text ?? '');
  const body = e.from === 'user' ? `<div class="text">${escapeHtml(said)}</div>` : renderMessage(e.msgType, e.content, renderContext(e));
  li.innerHTML = `<div class="meta">${escapeHtml(who)}${e.at ? ` · ${time}` : ''}</div><div class="bubble" tabindex="-1">${body}</div>`;
  return li;
}

// ---------------------------------------------------------------------------
// card interactions
// ---------------------------------------------------------------------------

function confirmFirst(button) {
  const title = button.dataset.confirmTitle;
  if (!title) return Promise.resolve(true);
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = button.dataset.confirmText || '';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** The form's values as Feishu sends them: strings, option values, arrays, open_ids, booleans; a picker's date or time is given the chooser's offset by the console server (asFeishuPickerValues). */
function formValue(form) {
  const out = {};
  for (const el of form.querySelectorAll('[data-field]')) {
    const name = el.dataset.field;
    if (!name) continue;
    switch (el.dataset.kind) {
      case 'multi':
      case 'multiperson':
        out[name] = [...el.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
        break;
      case 'checker':
        out[name] = el.checked;
        break;
      case 'select':
      case 'person':
      case 'date':
      case 'time':
      case 'datetime':
        if (el.value) out[name] = el.value;
        break;
      default:
        out[name] = el.value;
    }
  }
  return out;
}

/** Feishu refuses to submit with a required field empty; so does the console, saying which. */
function validForm(form) {
  for (const group of form.querySelectorAll('fieldset[data-required][data-kind^="multi"]')) {
    if (!group.querySelector('input:checked')) {
      toast('error', `请选择：${group.querySelector('legend')?.textContent ?? ''}`);
      group.querySelector('input')?.focus();
      return false;
    }
  }
  return form.reportValidity();
}

async function act(trigger, extra) {
  const li = trigger.closest('li[data-id]');
  const card = trigger.closest('.card');
  if (!li || trigger.disabled || card?.getAttribute('aria-busy') === 'true') return;
  if (!(await confirmFirst(trigger))) return;
  const value = JSON.parse(trigger.dataset.action || '{}');
  card?.setAttribute('aria-busy', 'true');
  try {
    const res = await api('/dev/api/click', {
      openId: state.me,
      chatId: state.chatId,
      messageId: li.dataset.id,
      value,
      tag: trigger.tagName === 'BUTTON' ? 'button' : 'interactive_container',
      ...(trigger.dataset.name ? { name: trigger.dataset.name } : {}),
      ...extra,
    });
    if (res.error) toast('error', HAS_CJK.test(res.error) ? res.error : '机器人没有接受这次点击，详见机器人的日志。');
    if (res.toast) toast(res.toast.type, res.toast.content);
    if (res.card) {
      const entry = { id: li.dataset.id, from: 'bot', msgType: 'interactive', content: res.card, at: Date.now() };
      const fresh = entryElement(entry);
      li.querySelector('.bubble').replaceWith(fresh.querySelector('.bubble'));
      state.drawn.set(li.dataset.id, res.version);
      li.querySelector('.bubble').focus({ preventScroll: true });
    }
  } catch (err) {
    toast('error', err.message);
  } finally {
    card?.removeAttribute('aria-busy');
  }
}

list.addEventListener('click', (ev) => {
  const trigger = ev.target.closest('[data-action]');
  if (!trigger || trigger.type === 'submit' || trigger.type === 'reset') return;
  ev.preventDefault();
  void act(trigger);
});

list.addEventListener('keydown', (ev) => {
  const container = ev.target.closest?.('.container[data-action]');
  if (container && (ev.key === 'Enter' || ev.key === ' ') && ev.target === container) {
    ev.preventDefault();
    void act(container);
    return;
  }
  // Enter in a one-line field submits with the form's primary button (Ctrl+Enter in a multi-line one)
  const form = ev.target.closest?.('form.card-form');
  if (!form || ev.key !== 'Enter' || ev.isComposing) return;
  const tag = ev.target.tagName;
  const oneLine = tag === 'INPUT' && ev.target.type !== 'checkbox';
  if (!(oneLine || (tag === 'TEXTAREA' && (ev.ctrlKey || ev.metaKey)))) return;
  ev.preventDefault();
  const primary = form.querySelector('button[data-submit][data-primary]') || form.querySelector('button[data-submit]');
  if (primary) form.requestSubmit(primary);
});

list.addEventListener('submit', (ev) => {
  const form = ev.target.closest('form.card-form');
  if (!form) return;
  ev.preventDefault();
  const submitter = ev.submitter?.dataset?.submit ? ev.submitter : form.querySelector('button[data-submit][data-primary]') || form.querySelector('button[data-submit]');
  if (!submitter || !validForm(form)) return;
  void act(submitter, { formValue: formValue(form) });
});

// ---------------------------------------------------------------------------
// composer, people, chats
// ---------------------------------------------------------------------------

/** The messages sent from this page, one after another: each leaves once the one before is answered, as typed. */
let sending = Promise.resolve();
function inTurn(send) {
  const run = sending.then(send);
  sending = run.catch(() => undefined);
  return run;
}

function say(text) {
  if (!text.trim() || !state.me) return Promise.resolve();
  // who speaks where is taken when it is typed, not when its turn comes; typed while switching to a person, where is
  // that person's chat once loaded, not the last person's still on the tabs
  const where = switching ?? Promise.resolve(state.chatId);
  const message = { openId: state.me, text, mentionBot: $('#mention').checked };
  state.saidAt = Date.now();
  return inTurn(async () => {
    try {
      const res = await api('/dev/api/say', { ...message, chatId: await where });
      if (res.status !== 200) toast('error', `机器人回调返回 HTTP ${res.status}`);
    } catch (err) {
      toast('error', err.message);
      // taken out of the chat: back in the box to send again, unless something else is being typed there
      if (err.takenBack && !composerText.value) composerText.value = text;
    }
  });
}

composer.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = composerText.value;
  composerText.value = '';
  await say(text);
});

/** The server reads at most 1 MB of body: a file of up to 700 KB, sent as base64 (src/local/console.ts). */
const FILE_MAX_BYTES = 700 * 1024;

$('#attach').addEventListener('change', async (ev) => {
  const input = ev.currentTarget;
  const file = input.files?.[0];
  input.value = '';
  if (!file || !state.me) return;
  if (file.size > FILE_MAX_BYTES) {
    toast('error', `文件 ${file.name} 超过 700 KB，控制台发送不了：请停止机器人后运行 npm run import -- 文件路径`);
    return;
  }
  state.saidAt = Date.now();
  // who sends it where is taken when it is picked, and so is its turn: a message typed while the file is read goes after it
  const to = { openId: state.me, fileName: file.name };
  const where = switching ?? Promise.resolve(state.chatId);
  const read = file.arrayBuffer().then(
    (buffer) => {
      const bytes = new Uint8Array(buffer);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    },
    () => {
      throw new Error(`文件 ${file.name} 未能读取，没有发送：请重新选择这个文件`);
    },
  );
  await inTurn(async () => {
    try {
      const res = await api('/dev/api/send-file', { ...to, chatId: await where, base64: await read });
      if (res.status !== 200) toast('error', `机器人回调返回 HTTP ${res.status}`);
    } catch (err) {
      toast('error', err.message);
    }
  });
});

$('.quick').innerHTML = QUICK.map((q) => `<button type="button" data-say="${escapeHtml(q)}">${escapeHtml(q)}</button>`).join('');
$('.quick').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-say]');
  if (b) void say(b.dataset.say);
});

$('#person').addEventListener('change', (ev) => void choosePerson(ev.target.value));
$('#chats').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-chat]');
  if (b) chooseChat(b.dataset.chat);
});

$('#add-person-toggle').addEventListener('click', (ev) => {
  const form = $('#add-person');
  form.hidden = !form.hidden;
  ev.currentTarget.setAttribute('aria-expanded', String(!form.hidden));
  if (!form.hidden) $('#new-name').focus();
});
$('#add-person').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const roles = [...form.querySelectorAll('input[name=role]:checked')].map((b) => b.value);
  try {
    const { person } = await api('/dev/api/people', { name: $('#new-name').value, roles });
    form.reset();
    form.hidden = true;
    await loadPeople();
    $('#person').value = person.openId;
    await choosePerson(person.openId);
    toast('success', `已添加 ${person.name}`);
  } catch (err) {
    toast('error', err.message);
  }
});

// "/" anywhere outside a field jumps to the message box
document.addEventListener('keydown', (ev) => {
  if (ev.key === '/' && !ev.target.closest('input, textarea, select, [contenteditable]')) {
    ev.preventDefault();
    composerText.focus();
  }
});

await loadPeople();
if (state.me) await choosePerson(state.me);
