// The chat page: log in, open a sealwire session with a key made in this browser, join rooms,
// send and show messages (as text only), moderate and broadcast by role, and show the security
// panel to admins. No framework; bundled by esbuild when the server starts.
import { stayConnected, type StayConnected } from '../../../src/adapters/ws/client-entry.js';
import { importPublicKey } from '../../../src/keys/keys.js';
import { toHex } from '../../../src/bytes.js';
import type { SessionMessage, ClientSession } from '../../../src/session/index.js';
import {
  ACTION_BROADCAST,
  ACTION_DELETE,
  ACTION_PANEL,
  ACTION_TOKEN,
  SECURITY_ROOM,
  fromBase64Url,
  isAcceptableText,
  messageId,
  type DeleteRequest,
  type LoginResponse,
  type RoomInfo,
} from '../shared/protocol.js';
import { login } from './api.js';
import { byId, el, time } from './dom.js';
import { deviceKey } from './keystore.js';
import { plain } from './words.js';
import { errorCode, notice, refusal } from './notices.js';
import { Renewal } from './renewal.js';
import { EncryptedRooms } from './encrypted.js';
import { parseSnapshot, renderPanel } from './panel.js';

interface State {
  /** Reconnects by itself; `session` is its current session. */
  client: StayConnected;
  session: ClientSession;
  me: LoginResponse;
  myKeyId: string;
  rooms: Map<string, SessionMessage[]>;
  joined: Set<string>;
  current: string;
  /** End-to-end encrypted rooms: this page encrypts and decrypts, the server cannot read. */
  encrypted: EncryptedRooms;
}

let state: State | undefined;
const renewal = new Renewal(() => state);
/** My messages: sending until the server's signed receipt says delivered; failed when lost. */
type Delivery = 'sending' | 'delivered' | 'failed';
const delivery = new WeakMap<SessionMessage, Delivery>();
/** My messages still waiting for a receipt, by seq on my current data stream. */
const pending = new Map<number, SessionMessage>();
/** Messages from before a fresh session: every data stream then restarted at seq 0. */
const archived = new WeakSet<SessionMessage>();
const decoder = new TextDecoder();

function renderMessage(m: SessionMessage): HTMLLIElement {
  const s = state!;
  const text = decoder.decode(m.payload);
  const badges = m.roles.filter((r) => r !== 'user');
  const canDelete = (s.me.roles.includes('moderator') || s.me.roles.includes('admin')) && m.action === 'send';
  const del = canDelete ? el('button', { class: 'delete', type: 'button', title: 'Delete (moderator)' }, '✕') : null;
  del?.addEventListener('click', () => void deleteMessage(m));
  return el(
    'li',
    { class: `msg ${m.action}`, 'data-id': messageId(m.keyId, m.seq), 'data-from': m.identity, title: `key ${m.keyId.slice(0, 16)} · seq ${m.seq}` },
    el('span', { class: 'time' }, time(m.ts)),
    el('span', { class: 'from' }, m.identity),
    ...badges.map((b) => el('span', { class: 'badge' }, b)),
    // textContent, never HTML: `<img onerror=…>` is shown as the characters it is made of.
    el('span', { class: 'text' }, text),
    del,
    markOf(m, text),
    authorMark(m),
  );
}

/** Messages of others whose author's own signature this browser verified (spec/rooms.md §3). */
function authorMark(m: SessionMessage): HTMLElement | null {
  if (m.verified !== 'author') return null;
  const by = state?.session.roomVerification === 'webcrypto' ? ' with WebCrypto' : '';
  return el('span', { class: 'verified', title: `signed by key ${m.keyId.slice(0, 16)}…, verified on this device${by} · offset ${m.offset ?? '?'}` }, '🔏');
}

const MARKS: Record<Delivery, [string, string]> = {
  sending: ['…', 'sending'],
  delivered: ['✓', 'delivered: the server acknowledged it with a signed receipt'],
  failed: ['failed', 'not delivered'],
};

/** The delivery mark of one of my messages; a failed one gets a retry button. */
function markOf(m: SessionMessage, text: string): HTMLElement | null {
  const d = delivery.get(m);
  if (d === undefined) return null;
  const mark = el('span', { class: `mark ${d}`, title: MARKS[d][1] }, MARKS[d][0]);
  if (d !== 'failed') return mark;
  const retry = el('button', { class: 'retry', type: 'button' }, 'Retry');
  retry.addEventListener('click', () => {
    const list = state?.rooms.get(m.room ?? '');
    list?.splice(list.indexOf(m), 1);
    sendText(m.room ?? '', text);
  });
  return el('span', { class: 'mark failed' }, mark, retry);
}

function delivered(seqs: readonly number[]): void {
  for (const seq of seqs) {
    const m = pending.get(seq);
    if (m === undefined) continue;
    pending.delete(seq);
    delivery.set(m, 'delivered');
  }
  if (state !== undefined) renderConversation();
}

function isEncryptedRoom(room: string | null): boolean {
  return state?.me.rooms.some((r) => r.name === room && r.e2ee === true) === true;
}

function renderRooms(): void {
  const s = state!;
  byId('rooms').replaceChildren(
    ...s.me.rooms
      .filter((r) => r.kind !== 'admin')
      .map((r: RoomInfo) => {
        // A room this user may not enter is shown as such (locked); a click still asks the server,
        // which decides, and the refusal is said in a sentence.
        const locked = r.mayJoin === false;
        const kind = locked ? '🔒 not invited' : r.e2ee === true ? '🔐 end-to-end' : r.kind === 'private' ? 'private' : '';
        // An encrypted room says, on hover, which devices hold its keys: whom this page encrypts for.
        const holders = s.encrypted.devices(r.name).map((d) => `${d.identity} (device ${d.keyId.slice(0, 8)})`);
        const title = locked ? `${r.description} (you are not invited)` : r.e2ee === true ? `${r.description}. Keys held by: ${holders.join(', ') || 'open it to see'}` : r.description;
        const attrs: Record<string, string> = { type: 'button', 'data-room': r.name, title, class: r.name === s.current ? 'current' : locked ? 'locked' : '' };
        const b = el('button', attrs, `#${r.name}`, el('span', { class: 'kind' }, kind));
        b.addEventListener('click', () => void openRoom(r.name));
        return el('li', {}, b);
      }),
  );
}

function renderConversation(): void {
  const s = state!;
  byId('room-title').textContent = `#${s.current}`;
  const list = byId('messages');
  // Stick to the newest message unless the reader scrolled up to read older ones.
  const stick = list.dataset['room'] !== s.current || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const keep = list.scrollTop;
  list.replaceChildren(...(s.rooms.get(s.current) ?? []).map(renderMessage));
  list.dataset['room'] = s.current;
  list.scrollTop = stick ? list.scrollHeight : keep;
}

function store(m: SessionMessage): void {
  const s = state!;
  if (m.room === null) return;
  let list = s.rooms.get(m.room);
  if (list === undefined) s.rooms.set(m.room, (list = []));
  // A room event is its offset (with its author and time: offsets start again in a new epoch).
  // Otherwise history overlaps live, and a (key, seq) from before a fresh session names another message.
  if (m.offset !== undefined) {
    if (list.some((x) => x.offset === m.offset && x.keyId === m.keyId && x.ts === m.ts)) return;
  } else if (m.seq >= 0 && list.some((x) => x.keyId === m.keyId && x.seq === m.seq && (!archived.has(x) || x.ts === m.ts))) return;
  list.push(m);
  list.sort((a, b) => a.ts - b.ts);
  if (list.length > 200) list.shift();
  if (m.room === s.current) renderConversation();
}

async function openRoom(room: string): Promise<void> {
  const s = state!;
  if (!s.joined.has(room)) {
    try {
      // The room's signed history first (kept across server restarts), every message verified here;
      // an encrypted room from now on: this device cannot read what was sent before its key.
      if (isEncryptedRoom(room)) await s.encrypted.open(s.session, room);
      else await s.session.join(room, { history: true });
    } catch (err) {
      refusal(`#${room}`, err);
      renderRooms(); // the room that refused does not stay highlighted
      return;
    }
    s.joined.add(room);
  }
  s.current = room;
  renderRooms();
  renderConversation();
}

async function deleteMessage(m: SessionMessage): Promise<void> {
  const target: DeleteRequest = { keyId: m.keyId, seq: m.seq };
  try {
    await state!.session.request(ACTION_DELETE, JSON.stringify(target), m.room);
  } catch (err) {
    refusal('delete', err);
  }
}

function onMessage(m: SessionMessage): void {
  const s = state!;
  if (m.action === 'send' && !isEncryptedRoom(m.room)) store(m);
  else if (m.action === ACTION_DELETE && m.room !== null) {
    let target: DeleteRequest;
    try {
      target = JSON.parse(decoder.decode(m.payload)) as DeleteRequest;
    } catch {
      return;
    }
    const list = s.rooms.get(m.room) ?? [];
    const i = list.findIndex((x) => x.keyId === target.keyId && x.seq === target.seq);
    if (i !== -1) {
      list.splice(i, 1);
      notice(`${m.identity} deleted a message in #${m.room}`);
      if (m.room === s.current) renderConversation();
    }
  } else if (m.action === ACTION_BROADCAST) {
    for (const room of s.joined) if (room !== SECURITY_ROOM) store({ ...m, room: room });
  } else if (m.action === ACTION_TOKEN && m.room === null && m.identity === 'server') {
    void renewal.renewWith(decoder.decode(m.payload));
  } else if (m.action === ACTION_PANEL && m.room === SECURITY_ROOM && m.identity === 'server') {
    const snapshot = parseSnapshot(m.payload);
    if (snapshot !== undefined) renderPanel(snapshot);
  }
}

function send(): void {
  const input = byId<HTMLInputElement>('composer-input');
  const text = input.value;
  if (!isAcceptableText(text)) {
    notice('message refused: empty, too long or with control characters');
    return;
  }
  sendText(state!.current, text);
  input.value = '';
}

/** Sends and shows my message: sending, then delivered; failed (with a retry) when it cannot go. */
function sendText(room: string, text: string): void {
  const s = state!;
  const m: SessionMessage = { identity: s.me.identity, roles: s.me.roles, keyId: s.myKeyId, room, action: 'send', seq: -1, ts: Date.now(), payload: new TextEncoder().encode(text) };
  delivery.set(m, 'sending');
  store(m);
  // Signed by this device as the author (its WebCrypto key): every member verifies who wrote it.
  (isEncryptedRoom(room) ? s.encrypted.send(room, text) : s.session.post(room, text)).then(
    (seq) => {
      (m as { seq: number }).seq = seq;
      pending.set(seq, m);
    },
    () => {
      delivery.set(m, 'failed'); // nothing silently disappears
      if (m.room === s.current) renderConversation();
    },
  );
  return;
}

/** Several nodes: which one this page's session is on (the page moves when its node dies). */
function nodeOf(url: string): string {
  const n = state?.me.cluster?.nodes.find((x) => x.wsUrl === url);
  return n === undefined ? '' : ` · on node ${n.name}`;
}

function connection(text: string): void {
  byId('connection').textContent = text;
}

function watch(session: ClientSession): void {
  session.on('message', onMessage);
  session.on('delivered', delivered);
  session.on('refused', (r) => refusal('refused by the server', { code: r.code }));
  session.on('room', (n) => {
    if (n.type === 'refused') refusal(`a message in #${n.room ?? '?'}`, { code: n.code });
    else if (n.type === 'position' && n.status === 'recovered') notice(`#${n.room}: recovered ${n.count} message${n.count === 1 ? '' : 's'}`);
    else if (n.type === 'position' && n.status === 'lost') notice(`#${n.room}: history lost: some messages are missing`);
  });
}

/** A new session after a lost connection: resumed (rooms kept), or fresh (rooms joined again). */
async function adopt(session: ClientSession, resumed: boolean): Promise<void> {
  const s = state;
  if (s === undefined) return;
  const before = s.session;
  s.session = session;
  watch(session);
  if (!resumed) {
    for (const room of s.joined) {
      if (isEncryptedRoom(room)) continue; // moved below, with its keys
      // From where the last session stood: the server resends what was missed (it keeps its rooms
      // across a restart), or says history was lost and resends what it holds.
      const from = before.position(room);
      await session.join(room, from === undefined ? { history: true } : { from }).catch((err: unknown) => refusal(`#${room}`, err));
    }
  }
  await s.encrypted.adopt(session).catch((err: unknown) => refusal('encrypted rooms', err));
  connection(`${resumed ? 'reconnected' : 'reconnected (new session)'}${nodeOf(s.client.url)}`);
}

function showLoggedIn(loggedIn: boolean): void {
  byId('login').hidden = loggedIn;
  byId('chat').hidden = !loggedIn;
  byId('logout').hidden = !loggedIn;
  if (!loggedIn) byId('panel').hidden = true;
}

async function start(username: string, password: string): Promise<void> {
  const { key, source, created, e2eeSeed } = await deviceKey(username);
  const me = await login(username, password, key.publicKey);
  const serverKeyBytes = fromBase64Url(me.serverKey);
  if (serverKeyBytes === undefined) throw new Error('bad server key in the login response');
  // Reconnects after a lost connection (a server restart keeps its keys, so the token and the
  // pinned server key stay good): the conversation stays on screen, nothing to type again.
  const client = await stayConnected(me.cluster?.nodes.map((n) => n.wsUrl) ?? me.wsUrl, { key, serverKey: importPublicKey(serverKeyBytes), credential: me.token, origin: location.origin }, { minDelayMs: 200, maxDelayMs: 5000 });
  const session = client.current!;
  const encrypted = new EncryptedRooms(e2eeSeed, {
    message: ({ offset, ...m }) => store({ ...m, ...(offset === undefined ? {} : { offset }), roles: [], action: 'send', verified: 'author' }),
    refused: (room, code) => refusal(`a message in #${room}`, { code }),
    devices: () => renderRooms(),
  });
  state = { client, session, me, myKeyId: toHex(key.kid), rooms: new Map(), joined: new Set(), current: 'lobby', encrypted };
  watch(session);
  client.on('reconnecting', () => connection('reconnecting…'));
  client.on('fresh', ({ unacknowledged }) => {
    for (const list of state?.rooms.values() ?? []) for (const m of list) archived.add(m);
    // Their stream is gone with the server's state: what no receipt covered is failed, to retry.
    for (const m of pending.values()) delivery.set(m, 'failed');
    pending.clear();
    if (state !== undefined) renderConversation();
    notice(`the session could not be resumed (the server restarted, or this page moved to another node): messages sent meanwhile may be missing${unacknowledged > 0 ? ` (${unacknowledged} of yours)` : ''}`);
  });
  client.on('session', ({ session: next, resumed }) => void adopt(next, resumed));
  connection(nodeOf(client.url).slice(3));
  client.on('failed', ({ code }) => {
    if (state?.client !== client) return;
    state = undefined;
    showLoggedIn(false);
    connection('');
    byId('status').textContent = 'not connected';
    byId('login-error').textContent = plain(code ?? 'ERR_UNAUTHENTICATED').sentence;
  });
  showLoggedIn(true);
  byId('status').replaceChildren(
    `${me.identity} (${me.roles.join(', ')}) · key ${toHex(key.kid).slice(0, 8)} from ${source}${created ? ', new' : ''} · token until `,
    el('span', { id: 'token-until' }, time(me.expiresAt)),
  );
  renewal.schedule(me.expiresAt);
  byId('broadcast-box').hidden = !me.roles.includes('admin');
  await openRoom('lobby');
  if (me.roles.includes('admin')) {
    await session.join(SECURITY_ROOM).then(
      () => state?.joined.add(SECURITY_ROOM),
      (err: unknown) => refusal('security panel', err),
    );
  }
}

function init(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const user = byId<HTMLInputElement>('username').value.trim();
    const password = byId<HTMLInputElement>('password');
    byId('login-error').textContent = '';
    byId<HTMLButtonElement>('login-button').disabled = true;
    start(user, password.value)
      .catch((err: unknown) => {
        byId('login-error').textContent = plain(errorCode(err)).sentence;
      })
      .finally(() => {
        password.value = '';
        byId<HTMLButtonElement>('login-button').disabled = false;
      });
  });
  byId<HTMLFormElement>('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  byId<HTMLFormElement>('broadcast-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('broadcast-input');
    state?.session.request(ACTION_BROADCAST, input.value, null).then(
      () => (input.value = ''),
      (err: unknown) => refusal('broadcast', err),
    );
  });
  // Logging out is not an error: the page says nothing but that it is logged out.
  byId('logout').addEventListener('click', () => {
    const s = state;
    state = undefined;
    renewal.stop();
    s?.client.close();
    showLoggedIn(false);
    connection('');
    byId('status').textContent = 'not connected';
    byId('login-error').textContent = '';
  });
}

init();
