// The owner's maintenance-fund account page (专项维修资金分户账): each of my homes with its
// balance, this year's statement (the server's year) and every movement. Read over REST when the page opens,
// then kept live: each posting to one of my units (fund.account.movement over socket.io) updates its balance and movements.
// Sign-in: ../shared/session.js. Chinese first, English through shared/i18n.js.
import './strings.js';
import { onLangChange, t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { yuan } from '../shared/public-page.js';
import { closeSocket, openSocket, startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
const notify = noticeLine($('notice'), 'fa-notice');
let accounts = [];
let socket = null;

const signed = (fen) => (fen > 0 ? `+${yuan(fen)}` : yuan(fen));

function statementTable(s) {
  const rows = [
    ['opening', s.openingFen],
    ['imported', s.importedFen],
    ['deposits', s.depositsFen],
    ['shares', -s.sharesTakenFen],
    ['interest', s.interestFen],
    ['transfers', s.transfersInFen],
    ['closing', s.closingFen],
  ].filter(([key, fen]) => fen !== 0 || key === 'opening' || key === 'closing');
  return `<table class="fa-table"><tbody>${rows.map(([key, fen]) => `<tr><td>${esc(t(`fa.st.${key}`))}</td><td>${esc(yuan(fen))}</td></tr>`).join('')}</tbody></table>`;
}

function movementList(movements) {
  if (movements.length === 0) return `<p class="fa-muted">${esc(t('fa.noMovements'))}</p>`;
  return `<ul class="fa-moves">${[...movements]
    .reverse()
    .map(
      (m) => `<li class="fa-move"><span><span class="fa-kind">${esc(t(`fa.kind.${m.kind}`))}</span><br /><span class="fa-muted">${esc(m.bookedOn)}</span></span>
        <span class="fa-amount ${m.amountFen < 0 ? 'fa-amount--out' : ''}">${esc(signed(m.amountFen))}</span></li>`,
    )
    .join('')}</ul>`;
}

function render() {
  if (accounts.length === 0) {
    $('accounts').innerHTML = `<section class="fa-card"><p><strong>${esc(t('fa.none'))}</strong></p><p class="fa-muted">${esc(t('fa.noneBody'))}</p></section>`;
    return;
  }
  $('accounts').innerHTML = accounts
    .map(
      (a) => `<section class="fa-card" data-unit="${esc(a.unitId)}">
        <h2>${esc(t('fa.unit', { building: a.building, number: a.number, area: a.floorArea }))}</h2>
        <p class="fa-muted">${esc(t('fa.balance'))}</p>
        <p class="fa-balance">¥ ${esc(yuan(a.balanceFen))}</p>
        <h3>${esc(t('fa.statement', { year: a.statement.year }))}</h3>
        ${statementTable(a.statement.statement)}
        <h3>${esc(t('fa.movements'))}</h3>
        ${movementList(a.movements)}
      </section>`,
    )
    .join('');
}

async function load() {
  const mine = await request('GET', '/fund-accounts/mine');
  accounts = await Promise.all(
    mine.map(async (u) => {
      const id = encodeURIComponent(u.unitId);
      const [detail, statement] = await Promise.all([request('GET', `/fund-accounts/units/${id}`), request('GET', `/fund-accounts/units/${id}/statement`)]);
      return { ...detail, statement };
    }),
  );
  render();
}

/** A movement pushed live: the unit's balance and movements at once, its statement read again. */
function onMovement(e) {
  const account = accounts.find((a) => a.unitId === e.unitId);
  if (!account) return void load().catch(() => {}); // a unit newly mine
  if (account.movements.some((m) => m.entryId === e.entryId)) return;
  account.balanceFen = e.balanceFen;
  account.movements = [...account.movements, { entryId: e.entryId, kind: e.kind, bookedOn: e.bookedOn, amountFen: e.amountFen, memo: e.memo }];
  render();
  notify(t('fa.live', { kind: t(`fa.kind.${e.kind}`), amount: signed(e.amountFen) }));
  request('GET', `/fund-accounts/units/${encodeURIComponent(e.unitId)}/statement`)
    .then((statement) => {
      account.statement = statement;
      render();
    })
    .catch(() => {});
}

function connect() {
  if (typeof window.io !== 'function') return;
  socket = openSocket();
  socket.on('fund.account.movement', onMovement);
  // Movements missed while disconnected: read everything again on a reconnect.
  let first = true;
  socket.on('connect', () => {
    $('accounts').dataset.live = 'on';
    if (!first) load().catch(() => {});
    first = false;
  });
  socket.on('disconnect', () => ($('accounts').dataset.live = 'off'));
}

onLangChange(render);

startSession({
  onLogin: () => {
    connect();
    return load().catch((err) => notify(t('loadError', { msg: err.message }), 'alarm'));
  },
  onLogout: () => {
    closeSocket(socket);
    socket = null;
    notify('');
  },
});
