// Builds the device grid: one section per kind, one tile per device. Tiles are keyed by device id
// and updated in place; a tile's inner HTML is only rewritten when its rendered markup changed.
import { t } from '../../shared/i18n.js';
import { esc, timeAgo, absTime, badge } from './common.js';
import * as elevator from './elevator.js';
import * as fire from './fire.js';
import * as gate from './gate.js';

export const KINDS = ['elevator', 'fire', 'gate'];
const RENDERERS = { elevator, fire, gate };

export function problemsOf(device) {
  const r = RENDERERS[device.kind];
  return r && device.state ? r.problems(device) : [];
}

function sortDevices(list) {
  return list.sort(
    (a, b) =>
      String(a.location || '').localeCompare(String(b.location || ''), 'zh-CN', { numeric: true }) ||
      String(a.name).localeCompare(String(b.name), 'zh-CN', { numeric: true }) ||
      String(a.deviceId).localeCompare(String(b.deviceId)),
  );
}

export class DeviceGrid {
  constructor(root) {
    this.root = root;
    this.tiles = new Map(); // deviceId -> { el, html, cls }
    this.sections = new Map(); // kind -> { el, grid, count }
  }

  /** Rebuild the structure (sections, tile order) from the full device list. */
  rebuild(devices) {
    // Same devices in the same groups (e.g. a snapshot reload after reconnect): update in place so
    // tiles are not recreated (no flicker, animations keep running).
    const key = KINDS.map((k) => sortDevices(devices.filter((d) => d.kind === k)).map((d) => d.deviceId).join('\u0001')).join('\u0002');
    if (key === this.structureKey && this.tiles.size) {
      this.updateAll(devices);
      return;
    }
    this.structureKey = key;
    this.root.textContent = '';
    this.tiles.clear();
    this.sections.clear();
    for (const kind of KINDS) {
      const list = sortDevices(devices.filter((d) => d.kind === kind));
      if (!list.length) continue;
      const section = document.createElement('section');
      section.className = `kind kind--${kind}`;
      section.dataset.kind = kind;
      section.setAttribute('aria-labelledby', `kind-title-${kind}`);
      section.innerHTML = `
        <header class="kind__head">
          <h2 class="kind__title" id="kind-title-${kind}"></h2>
          <span class="kind__count"></span>
        </header>
        <div class="kind__grid" role="list"></div>`;
      const grid = section.querySelector('.kind__grid');
      for (const d of list) {
        const el = document.createElement('article');
        el.dataset.deviceId = d.deviceId;
        el.dataset.kind = d.kind;
        el.setAttribute('role', 'listitem');
        grid.appendChild(el);
        this.tiles.set(d.deviceId, { el, html: '', cls: '' });
      }
      this.sections.set(kind, { el: section, title: section.querySelector('.kind__title'), count: section.querySelector('.kind__count') });
      this.root.appendChild(section);
    }
    this.updateAll(devices);
  }

  updateAll(devices) {
    for (const d of devices) this.updateTile(d);
    this.updateSectionHeads(devices);
  }

  updateSectionHeads(devices) {
    for (const [kind, s] of this.sections) {
      const list = devices.filter((d) => d.kind === kind);
      const offline = list.filter((d) => !d.online).length;
      const alarms = list.filter((d) => d.online && problemsOf(d).length).length;
      s.title.textContent = t(`kind.${kind}`);
      s.count.innerHTML =
        `<span>${list.length}</span>` +
        (offline ? ` <span class="kind__off">${esc(t('count.offline'))} ${offline}</span>` : '') +
        (alarms ? ` <span class="kind__alarm">${esc(t('count.alarm'))} ${alarms}</span>` : '');
    }
  }

  updateTile(d) {
    const entry = this.tiles.get(d.deviceId);
    if (!entry) return false;
    const r = RENDERERS[d.kind];
    const problems = problemsOf(d);
    const worst = problems.some((p) => p.tone === 'alarm') ? 'alarm' : problems.length ? 'warn' : '';
    const moving = d.kind === 'elevator' && elevator.isMoving(d);
    const cls = [
      'tile',
      `tile--${d.kind}`,
      d.online ? 'is-online' : 'is-offline',
      d.online && worst ? `is-${worst}` : '',
      moving ? 'is-moving' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const sub = d.kind === 'fire' ? fire.subtitle(d) : '';
    const meta = [sub, d.location].filter(Boolean).join(' · ');
    const status = d.online ? badge(t('status.online'), 'ok', 'data-field="status"') : badge(t('status.offline'), 'offline', 'data-field="status"');
    const problemBadges = problems.length && d.kind !== 'fire'
      ? `<div class="tile__problems">${problems.map((p) => badge(p.text, p.tone)).join('')}</div>`
      : '';
    const html = `
      <header class="tile__head">
        <div class="tile__title">
          <h3 class="tile__name" title="${esc(d.name)}">${esc(d.name)}</h3>
          ${meta ? `<div class="tile__meta" title="${esc(meta)}">${esc(meta)}</div>` : ''}
        </div>
        ${status}
      </header>
      <div class="tile__body">${r ? r.renderBody(d) : ''}</div>
      ${problemBadges}
      <footer class="tile__foot">
        <span class="tile__id">${esc(d.deviceId)}</span>
        <a class="tile__history" href="../history/?device=${encodeURIComponent(d.deviceId)}">${esc(t('history.link'))}</a>
        <time class="ago" data-ts="${d.ts ?? ''}" title="${esc(absTime(d.ts))}">${esc(timeAgo(d.ts))}</time>
      </footer>`;
    if (entry.cls !== cls) {
      entry.el.className = cls;
      entry.cls = cls;
    }
    if (entry.html !== html) {
      entry.el.innerHTML = html;
      entry.html = html;
      entry.el.setAttribute(
        'aria-label',
        `${t(`kind.${d.kind}`)} ${d.name}, ${d.online ? t('status.online') : t('status.offline')}`,
      );
    }
    return true;
  }

  /** Refresh the "3 秒前" labels without touching anything else. */
  tickAgo(now = Date.now()) {
    for (const el of this.root.querySelectorAll('time.ago')) {
      const ts = el.dataset.ts ? Number(el.dataset.ts) : null;
      const text = timeAgo(ts, now);
      if (el.textContent !== text) el.textContent = text;
    }
  }
}
