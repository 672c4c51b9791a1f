// The live security panel (admins): a PanelSnapshot the server pushes into the security room over
// the admin's own sealwire session, so it is signed by the server like every other delivery.
import type { PanelSnapshot } from '../shared/protocol.js';
import { renderChart } from './chart.js';
import { byId, el, time } from './dom.js';

const TILES: [keyof PanelSnapshot['attacks'], string][] = [
  ['replay', 'replays'],
  ['forgery', 'forgeries'],
  ['rateLimit', 'rate limits'],
  ['access', 'access denied'],
  ['credential', 'bad credentials'],
  ['origin', 'bad origins'],
  ['size', 'oversized'],
];

export function parseSnapshot(payload: Uint8Array): PanelSnapshot | undefined {
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)) as PanelSnapshot;
    return v !== null && typeof v === 'object' && typeof v.rejected === 'object' && Array.isArray(v.sessions) && Array.isArray(v.history?.time) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function renderPanel(s: PanelSnapshot): void {
  byId('panel').hidden = false;
  byId('panel-time').textContent = `updated ${time(s.time)}`;
  renderChart(s.history);
  byId('panel-attacks').replaceChildren(
    ...TILES.map(([k, label]) => {
      const n = s.attacks[k] ?? 0;
      return el('div', { class: n === 0 ? 'tile zero' : 'tile', 'data-attack': k }, el('b', {}, String(n)), el('span', {}, label));
    }),
  );
  const codes = Object.entries(s.rejected).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  byId('panel-codes').querySelector('tbody')!.replaceChildren(
    ...codes.map(([code, n]) => el('tr', { 'data-code': code }, el('td', {}, code), el('td', { class: 'count' }, String(n)))),
  );
  byId('panel-accepted').textContent = Object.entries(s.accepted)
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
  byId('panel-sessions').querySelector('tbody')!.replaceChildren(
    ...s.sessions.map((x) =>
      el('tr', {}, el('td', {}, x.identity), el('td', {}, x.roles.join(',')), el('td', {}, x.rooms.join(' ')), el('td', { title: `session ${x.session}` }, x.keyId.slice(0, 8))),
    ),
  );
  byId('panel-recent').replaceChildren(
    ...s.recent.slice(0, 15).map((e) => el('li', {}, `${time(e.time)} ${e.type} ${e.code}${e.identity === null ? '' : ` (${e.identity})`}${e.room === null ? '' : ` #${e.room}`}`)),
  );
  // The server relays these rooms' posts without a key to read them: sizes are what it has.
  byId('panel-encrypted').replaceChildren(
    ...(s.encrypted ?? []).map((r) =>
      el('li', { 'data-room': r.room }, `#${r.room}: ${r.sizes.length} latest posts, ciphertext only: ${r.sizes.map((n) => `${n} B`).join(', ')}`),
    ),
  );
}
