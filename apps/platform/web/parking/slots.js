// "My slots": each slot the user owns with its share windows (weekly, one-off dates), forms to add
// a weekly window (days + from/to, may cross midnight) or a one-off date, removing a window
// (the whole set is published again: POST /parking/slots/:id/windows) and withdrawing (POST …/withdraw).
import { t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { esc, spanLabel, daysLabel, dayName, WEEK, windowOf, crossesMidnight, today, when } from './util.js';

/** Weekly windows with the same times shown as one line: "工作日 08:00–18:00". */
function groupWeekly(weekly) {
  const groups = new Map();
  for (const w of weekly) {
    const key = `${w.startMinute}-${w.endMinute}`;
    if (!groups.has(key)) groups.set(key, { key, startMinute: w.startMinute, endMinute: w.endMinute, days: [] });
    groups.get(key).days.push(w.weekday);
  }
  return [...groups.values()].sort((a, b) => a.startMinute - b.startMinute);
}

const plain = (w) => ({ startMinute: w.startMinute, endMinute: w.endMinute });

export class SlotsPanel {
  constructor(root, { notify, onChange }) {
    this.root = root;
    this.notify = notify;
    this.onChange = onChange || (() => {});
    this.slots = [];
    this.loaded = false;
    this.error = '';
    this.confirmWithdraw = null;
    root.addEventListener('submit', (e) => this.onSubmit(e));
    root.addEventListener('click', (e) => this.onClick(e));
    root.addEventListener('input', (e) => {
      const form = e.target.closest('form[data-form="weekly"], form[data-form="date"]');
      if (form) this.updateHint(form);
    });
  }

  async load() {
    try {
      this.slots = await request('GET', '/parking/slots/mine');
      this.error = '';
    } catch (err) {
      this.error = err.message;
    }
    this.loaded = true;
    this.render();
    return this.slots;
  }

  windowsOf(slot) {
    const w = slot.windows || {};
    return { weekly: (w.weekly || []).map((x) => ({ weekday: x.weekday, ...plain(x) })), dates: (w.dates || []).map((x) => ({ date: x.date, ...plain(x) })), exceptions: (w.exceptions || []).map((x) => ({ date: x.date, ...plain(x) })) };
  }

  async publish(slot, windows, button, message) {
    if (button) button.disabled = true;
    try {
      const updated = await request('POST', `/parking/slots/${encodeURIComponent(slot.id)}/windows`, { body: windows });
      Object.assign(slot, updated);
      this.notify(message, 'ok');
      this.onChange();
    } catch (err) {
      this.notify(err.message, 'alarm');
    } finally {
      if (button) button.disabled = false;
    }
    this.render();
  }

  onSubmit(e) {
    const form = e.target.closest('form[data-form]');
    if (!form) return;
    e.preventDefault();
    const slot = this.slots.find((s) => s.id === form.dataset.slot);
    if (!slot) return;
    const windows = this.windowsOf(slot);
    const span = windowOf(form.elements.from.value, form.elements.to.value);
    if (!span) return this.notify(t('parking.err.time'), 'warn');
    if (form.dataset.form === 'weekly') {
      const days = [...form.querySelectorAll('input[name="day"]:checked')].map((i) => Number(i.value));
      if (!days.length) return this.notify(t('parking.err.days'), 'warn');
      for (const weekday of days) {
        if (!windows.weekly.some((w) => w.weekday === weekday && w.startMinute === span.startMinute && w.endMinute === span.endMinute)) windows.weekly.push({ weekday, ...span });
      }
    } else {
      const date = form.elements.date.value;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return this.notify(t('parking.err.date'), 'warn');
      windows.dates.push({ date, ...span });
    }
    this.publish(slot, windows, form.querySelector('button[type="submit"]'), t('parking.windows.saved'));
  }

  onClick(e) {
    const el = e.target.closest('[data-action]');
    if (!el) return;
    const slot = this.slots.find((s) => s.id === el.dataset.slot);
    if (!slot) return;
    const windows = this.windowsOf(slot);
    const action = el.dataset.action;
    if (action === 'remove-weekly') {
      const [start, end] = el.dataset.key.split('-').map(Number);
      windows.weekly = windows.weekly.filter((w) => !(w.startMinute === start && w.endMinute === end));
      this.publish(slot, windows, el, t('parking.windows.removed'));
    } else if (action === 'remove-date') {
      windows.dates.splice(Number(el.dataset.index), 1);
      this.publish(slot, windows, el, t('parking.windows.removed'));
    } else if (action === 'withdraw') {
      if (this.confirmWithdraw !== slot.id) {
        this.confirmWithdraw = slot.id;
        this.render();
        return;
      }
      this.confirmWithdraw = null;
      this.withdraw(slot, el);
    } else if (action === 'withdraw-cancel') {
      this.confirmWithdraw = null;
      this.render();
    }
  }

  async withdraw(slot, button) {
    button.disabled = true;
    try {
      const res = await request('POST', `/parking/slots/${encodeURIComponent(slot.id)}/withdraw`, { body: {} });
      const n = (res.cancelledBookings || []).length;
      this.notify(n ? t('parking.withdrawn.cancelled', { n }) : t('parking.withdrawn'), 'ok');
      await this.load();
      this.onChange();
    } catch (err) {
      button.disabled = false;
      this.notify(err.message, 'alarm');
    }
  }

  updateHint(form) {
    const hint = form.querySelector('.pk-hint');
    const span = windowOf(form.elements.from.value, form.elements.to.value);
    if (hint) hint.textContent = span && crossesMidnight(span) ? t('parking.window.crosses') : '';
  }

  render() {
    if (!this.loaded) {
      this.root.innerHTML = `<p class="pk-empty">${esc(t('loading'))}</p>`;
      return;
    }
    if (this.error) {
      this.root.innerHTML = `<p class="pk-empty pk-empty--error">${esc(t('loadError', { msg: this.error }))}</p>`;
      return;
    }
    if (!this.slots.length) {
      this.root.innerHTML = `<div class="pk-empty"><h2>${esc(t('parking.slots.none'))}</h2><p>${esc(t('parking.slots.noneBody'))}</p></div>`;
      return;
    }
    this.root.innerHTML = this.slots.map((s) => this.card(s)).join('');
    for (const form of this.root.querySelectorAll('form[data-form]')) this.updateHint(form);
  }

  card(s) {
    const w = s.windows || { weekly: [], dates: [], exceptions: [] };
    const withdrawn = s.withdrawnFrom && new Date(s.withdrawnFrom).getTime() <= Date.now() + 60_000;
    const shared = !s.fireLane && !withdrawn && (w.weekly.length || w.dates.length);
    const state = s.fireLane
      ? `<span class="badge badge--alarm">${esc(t('parking.slot.fireLane'))}</span>`
      : withdrawn
        ? `<span class="badge badge--muted">${esc(t('parking.slot.withdrawn'))}</span>`
        : shared
          ? `<span class="badge badge--ok">${esc(t('parking.slot.shared'))}</span>`
          : `<span class="badge badge--neutral">${esc(t('parking.slot.notShared'))}</span>`;
    const groups = groupWeekly(w.weekly);
    const rows = [
      ...groups.map(
        (g) => `<li class="pk-win" data-window="weekly">
          <span class="pk-win__when">${esc(daysLabel(g.days))}</span>
          <span class="pk-win__span">${esc(spanLabel(g))}</span>
          <button type="button" class="btn btn--ghost btn--sm" data-action="remove-weekly" data-slot="${esc(s.id)}" data-key="${esc(g.key)}">${esc(t('parking.remove'))}</button>
        </li>`,
      ),
      ...w.dates.map(
        (d, i) => `<li class="pk-win" data-window="date">
          <span class="pk-win__when">${esc(d.date)}</span>
          <span class="pk-win__span">${esc(spanLabel(d))}</span>
          <button type="button" class="btn btn--ghost btn--sm" data-action="remove-date" data-slot="${esc(s.id)}" data-index="${i}">${esc(t('parking.remove'))}</button>
        </li>`,
      ),
    ];
    const exceptions = w.exceptions.length
      ? `<p class="pk-muted">${esc(t('parking.exceptions'))}: ${w.exceptions.map((x) => esc(`${x.date} ${spanLabel(x)}`)).join('; ')}</p>`
      : '';
    const forms = s.fireLane
      ? `<p class="pk-muted">${esc(t('parking.slot.fireLaneBody'))}</p>`
      : `
      <form class="pk-form" data-form="weekly" data-slot="${esc(s.id)}">
        <h4>${esc(t('parking.addWeekly'))}</h4>
        <fieldset class="pk-days"><legend class="sr-only">${esc(t('parking.days'))}</legend>
          ${WEEK.map((d) => `<label class="pk-day"><input type="checkbox" name="day" value="${d}" /><span>${esc(dayName(d))}</span></label>`).join('')}
        </fieldset>
        <div class="pk-row">
          <label class="pk-field"><span>${esc(t('parking.from'))}</span><input type="time" name="from" value="08:00" required /></label>
          <label class="pk-field"><span>${esc(t('parking.to'))}</span><input type="time" name="to" value="18:00" required /></label>
          <button type="submit" class="btn btn--primary">${esc(t('parking.add'))}</button>
        </div>
        <p class="pk-hint" aria-live="polite"></p>
      </form>
      <form class="pk-form" data-form="date" data-slot="${esc(s.id)}">
        <h4>${esc(t('parking.addDate'))}</h4>
        <div class="pk-row">
          <label class="pk-field"><span>${esc(t('parking.date'))}</span><input type="date" name="date" value="${esc(today())}" min="${esc(today())}" required /></label>
          <label class="pk-field"><span>${esc(t('parking.from'))}</span><input type="time" name="from" value="09:00" required /></label>
          <label class="pk-field"><span>${esc(t('parking.to'))}</span><input type="time" name="to" value="17:00" required /></label>
          <button type="submit" class="btn btn--primary">${esc(t('parking.add'))}</button>
        </div>
        <p class="pk-hint" aria-live="polite"></p>
      </form>`;
    const confirming = this.confirmWithdraw === s.id;
    const withdraw =
      !s.fireLane && (w.weekly.length || w.dates.length) && !withdrawn
        ? `<div class="pk-withdraw">
            ${confirming ? `<span class="pk-warn">${esc(t('parking.withdraw.confirm'))}</span>` : ''}
            <button type="button" class="btn ${confirming ? 'btn--danger' : 'btn--ghost'}" data-action="withdraw" data-slot="${esc(s.id)}">${esc(t(confirming ? 'parking.withdraw.yes' : 'parking.withdraw'))}</button>
            ${confirming ? `<button type="button" class="btn btn--ghost" data-action="withdraw-cancel" data-slot="${esc(s.id)}">${esc(t('parking.cancelAction'))}</button>` : ''}
          </div>`
        : '';
    return `<article class="pk-card" data-slot-id="${esc(s.id)}" data-slot-code="${esc(s.code)}">
      <header class="pk-card__head">
        <div><h3 class="pk-card__title">${esc(s.code)}</h3><p class="pk-muted">${esc(s.location)}</p></div>
        ${state}
      </header>
      ${withdrawn ? `<p class="pk-muted">${esc(t('parking.slot.withdrawnSince', { at: when(s.withdrawnFrom) }))}</p>` : ''}
      <h4>${esc(t('parking.windows'))}</h4>
      ${rows.length ? `<ul class="pk-wins">${rows.join('')}</ul>` : `<p class="pk-muted">${esc(t('parking.windows.none'))}</p>`}
      ${exceptions}
      ${withdraw}
      ${forms}
    </article>`;
  }
}
