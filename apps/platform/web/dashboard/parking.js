// Live parking panel of the dashboard: per community the occupied / total common slots and shared
// (bookable private) slots, vehicles inside, fire free-flow, and plates waiting for a person
// ('parking.gate.pending', e.g. an unreadable plate) with an "open" button (POST /parking/gates/:id/open).
// Initial state from GET /parking/occupancy, then the 'parking.occupancy' socket event.
import { t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { closeSocket, openCommunitySocket } from '../shared/session.js';
import { esc, absTime } from './render/common.js';

export class ParkingPanel {
  constructor(root) {
    this.root = root;
    this.communityId = null;
    this.socket = null;
    this.occupancy = null;
    this.sharedTotal = 0;
    this.pending = new Map();
    this.errors = new Map();
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-open]');
      if (b) this.open(b.dataset.open, b);
    });
  }

  async show(communityId) {
    this.stop();
    this.communityId = communityId;
    this.occupancy = null;
    this.pending.clear();
    this.errors.clear();
    this.render();
    this.connect(communityId);
    const q = `communityId=${encodeURIComponent(communityId)}`;
    const [occ, slots] = await Promise.allSettled([request('GET', `/parking/occupancy?${q}`), request('GET', `/parking/slots?${q}`)]);
    if (this.communityId !== communityId) return;
    // a live event may have arrived meanwhile: keep the newer one
    if (occ.status === 'fulfilled' && (!this.occupancy || occ.value.ts >= this.occupancy.ts)) this.occupancy = occ.value;
    if (slots.status === 'fulfilled') this.sharedTotal = slots.value.filter((s) => s.ownership === 'private' && s.shareable && !s.fireLane).length;
    this.render();
  }

  connect(communityId) {
    const socket = openCommunitySocket(communityId);
    if (!socket) return;
    this.socket = socket;
    socket.on('parking.occupancy', (e) => {
      if (!e || e.communityId !== this.communityId) return;
      if (this.occupancy && e.ts < this.occupancy.ts) return;
      this.occupancy = e;
      this.render();
    });
    socket.on('parking.gate.pending', (e) => {
      if (!e || e.communityId !== this.communityId) return;
      this.pending.set(e.pendingId, e);
      this.render();
    });
  }

  stop() {
    closeSocket(this.socket);
    this.socket = null;
  }

  async open(pendingId, button) {
    const p = this.pending.get(pendingId);
    if (!p) return;
    button.disabled = true;
    const input = this.root.querySelector(`[data-plate-for="${CSS.escape(pendingId)}"]`);
    const plate = input ? input.value.trim() : '';
    try {
      await request('POST', `/parking/gates/${encodeURIComponent(p.deviceId)}/open`, { body: { lane: p.lane, pendingId, ...(plate ? { plate } : {}) } });
      this.pending.delete(pendingId);
      this.errors.delete(pendingId);
    } catch (err) {
      // already resolved elsewhere: drop it; otherwise show why
      if (err.status === 404) this.pending.delete(pendingId);
      else this.errors.set(pendingId, err.message);
    }
    this.render();
  }

  render() {
    const o = this.occupancy;
    const commonTotal = o ? o.commonSlots : 0;
    const commonUsed = o ? Math.max(0, o.commonSlots - o.freeCommonSlots) : 0;
    const sharedUsed = o ? (o.byKind && o.byKind.booking) || 0 : 0;
    const meter = (id, label, used, total) => {
      const pct = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0;
      const tone = total > 0 && used >= total ? 'full' : pct >= 80 ? 'high' : 'ok';
      return `<div class="pk-occ__meter pk-occ__meter--${tone}" data-occ="${id}">
        <div class="pk-occ__label">${esc(label)}</div>
        <div class="pk-occ__value"><span data-occ-used>${o ? used : '–'}</span> / <span data-occ-total>${o ? total : '–'}</span></div>
        <div class="pk-occ__bar"><span data-pct="${pct}"></span></div>
      </div>`;
    };
    const pending = [...this.pending.values()].sort((a, b) => b.ts - a.ts);
    this.root.innerHTML = `
      <div class="pk-occ__head">
        <h2>${esc(t('parking.occ.title'))}</h2>
        ${o && o.fireFreeFlow ? `<span class="badge badge--alarm">${esc(t('parking.occ.fire'))}</span>` : ''}
      </div>
      <div class="pk-occ__meters">
        ${meter('common', t('parking.occ.common'), commonUsed, commonTotal)}
        ${meter('shared', t('parking.occ.shared'), sharedUsed, this.sharedTotal)}
        <div class="pk-occ__meter" data-occ="inside"><div class="pk-occ__label">${esc(t('parking.occ.inside'))}</div><div class="pk-occ__value"><span data-occ-used>${o ? o.inside : '–'}</span></div></div>
      </div>
      <div class="pk-occ__pending">
        <h3>${esc(t('parking.occ.pending'))} <span class="pk-occ__n">${pending.length}</span></h3>
        ${
          pending.length === 0
            ? `<p class="pk-occ__none">${esc(t('parking.occ.noPending'))}</p>`
            : `<ul class="pk-occ__list">${pending
                .map(
                  (p) => `<li class="pk-occ__item" data-pending-id="${esc(p.pendingId)}">
                    <span class="pk-occ__plate">${esc(p.rawPlate || p.plate || '—')}</span>
                    <span class="pk-occ__why">${esc(p.reason === 'unreadable_plate' ? t('parking.occ.unreadable') : p.reason)}</span>
                    <span class="pk-occ__where">${esc(p.deviceId)} · ${esc(p.lane)} · ${esc(t(p.direction === 'out' ? 'parking.occ.out' : 'parking.occ.in'))}</span>
                    <time>${esc(absTime(p.ts))}</time>
                    <input class="pk-occ__input" data-plate-for="${esc(p.pendingId)}" maxlength="16" placeholder="${esc(t('parking.occ.platePrompt'))}" aria-label="${esc(t('parking.occ.platePrompt'))}" />
                    <button type="button" class="btn btn--primary" data-open="${esc(p.pendingId)}">${esc(t('parking.occ.open'))}</button>
                    ${this.errors.has(p.pendingId) ? `<span class="pk-occ__err" role="alert">${esc(this.errors.get(p.pendingId))}</span>` : ''}
                  </li>`,
                )
                .join('')}</ul>`
        }
      </div>`;
    // Set through the DOM: the page's Content-Security-Policy refuses inline style attributes.
    for (const bar of this.root.querySelectorAll('[data-pct]')) bar.style.width = `${bar.dataset.pct}%`;
  }
}
