// Live alarm panel: active alarms of the chosen community (GET /alarms, then socket.io
// alarm.raised / alarm.updated / alarm.cleared), an acknowledge button per alarm, and a short
// Web Audio beep for severity-1 alarms (fire, trapped passengers) — no sound file is loaded.
import { t, has } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { closeSocket, openCommunitySocket } from '../shared/session.js';
import { esc, absTime } from './render/common.js';

const typeLabel = (type) => (has(`alarm.type.${type}`) ? t(`alarm.type.${type}`) : type);

/** Two short 880 Hz beeps. Browsers only allow sound after a user gesture; failures are ignored. */
let audioCtx = null;
export function beep() {
  try {
    audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
    const now = audioCtx.currentTime;
    for (const start of [0, 0.3]) {
      const osc = audioCtx.createOscillator();
      const gain = audioCtx.createGain();
      osc.type = 'square';
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.2, now + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.2);
      osc.connect(gain).connect(audioCtx.destination);
      osc.start(now + start);
      osc.stop(now + start + 0.22);
    }
  } catch {
    /* no audio */
  }
}

export class AlarmPanel {
  constructor(root) {
    this.root = root;
    this.alarms = new Map();
    this.communityId = null;
    this.socket = null;
    this.sound = true;
    root.addEventListener('click', (e) => {
      const ack = e.target.closest('[data-ack]');
      if (ack) this.acknowledge(ack.dataset.ack, ack);
      if (e.target.closest('[data-sound]')) {
        this.sound = !this.sound;
        if (this.sound) beep();
        this.render();
      }
    });
  }

  async show(communityId) {
    this.stop();
    this.communityId = communityId;
    this.alarms.clear();
    this.render();
    try {
      const list = await request('GET', `/alarms?communityId=${encodeURIComponent(communityId)}&state=active&limit=200`);
      if (this.communityId !== communityId) return;
      for (const a of list) this.alarms.set(a.alarmId, a);
    } catch {
      /* the page's own error handling covers the API being down */
    }
    this.connect(communityId);
    this.render();
  }

  connect(communityId) {
    const socket = openCommunitySocket(communityId);
    if (!socket) return;
    this.socket = socket;
    const upsert = (e, raised) => {
      if (e.communityId !== this.communityId) return;
      const prev = this.alarms.get(e.alarmId);
      this.alarms.set(e.alarmId, { ...(prev || {}), ...e });
      if (raised && e.severity === 1 && this.sound) beep();
      this.render();
    };
    socket.on('alarm.raised', (e) => upsert(e, true));
    socket.on('alarm.updated', (e) => upsert(e, false));
    socket.on('alarm.cleared', (e) => {
      if (this.alarms.delete(e.alarmId)) this.render();
    });
  }

  stop() {
    closeSocket(this.socket);
    this.socket = null;
  }

  async acknowledge(alarmId, button) {
    button.disabled = true;
    try {
      const a = await request('POST', `/alarms/${encodeURIComponent(alarmId)}/acknowledge`, { body: {} });
      this.alarms.set(alarmId, { ...this.alarms.get(alarmId), ...a });
    } catch (err) {
      button.disabled = false;
      button.title = err.message || '';
    }
    this.render();
  }

  render() {
    const list = [...this.alarms.values()]
      .filter((a) => a.state === 'active')
      .sort((a, b) => Number(a.acknowledged) - Number(b.acknowledged) || a.severity - b.severity || b.ts - a.ts);
    const critical = list.some((a) => a.severity === 1 && !a.acknowledged);
    this.root.classList.toggle('is-critical', critical);
    this.root.innerHTML = `
      <div class="alarm-panel__head">
        <h2>${esc(t('alarm.panel'))} <span class="alarm-panel__n">${list.length}</span></h2>
        <button type="button" class="btn btn--ghost" data-sound aria-pressed="${this.sound}">${esc(t(this.sound ? 'alarm.sound.on' : 'alarm.sound.off'))}</button>
      </div>
      ${
        list.length === 0
          ? `<p class="alarm-panel__none">${esc(t('alarm.none'))}</p>`
          : `<ul class="alarm-list">${list
              .map(
                (a) => `<li class="alarm alarm--sev${a.severity}${a.acknowledged ? ' is-acked' : ''}">
                  <span class="alarm__sev">${esc(t(`alarm.sev.${a.severity}`))}</span>
                  <span class="alarm__type">${esc(typeLabel(a.type))}</span>
                  <span class="alarm__dev">${esc(a.deviceId)}</span>
                  <span class="alarm__count">${a.count > 1 ? esc(t('alarm.count', { n: a.count })) : ''}</span>
                  <time class="alarm__time">${esc(absTime(a.ts))}</time>
                  ${
                    a.acknowledged
                      ? `<span class="alarm__acked">${esc(t('alarm.acked'))}</span>`
                      : `<button type="button" class="btn btn--primary alarm__ack" data-ack="${esc(a.alarmId)}">${esc(t('alarm.ack'))}</button>`
                  }
                </li>`,
              )
              .join('')}</ul>`
      }`;
  }
}
