// The parts of a page every page shares, built here when the page's entry module first imports
// this one (through session.js or public-page.js), before the page's own code looks them up:
// - <header data-shell="topbar">, data-section naming its string: the app top bar. Its own children (page
//   items) stay between the brand (logo, product name or the child marked data-brand, the page's
//   section) and the right side (language switch; with data-account also #user-name and #logout).
// - <span data-shell="lang"></span>: the language switch on its own (public pages, print sheets).
import { getLang, onLangChange, setLang } from './i18n.js';

/** The language switch, Chinese first; its buttons are wired by watchLanguage(). */
export const langSwitch = () => `<div class="lang" role="group" data-i18n-attr="aria-label:lang.switch">
  <button type="button" class="lang__btn" data-lang="zh">中文</button>
  <button type="button" class="lang__btn" data-lang="en">EN</button>
</div>`;

function fromHtml(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
}

function buildTopbar(header) {
  const name = header.querySelector(':scope > [data-brand]') ?? fromHtml('<span class="topbar__name" data-i18n="app.brand">智慧物业</span>');
  const brand = fromHtml(`<div class="topbar__brand"><span class="logo" aria-hidden="true"></span><span class="topbar__sep" aria-hidden="true">/</span>
    <span class="topbar__section"></span></div>`).firstElementChild;
  brand.querySelector('.logo').after(name);
  brand.querySelector('.topbar__section').dataset.i18n = header.dataset.section;
  header.prepend(brand);
  const right = fromHtml(`<div class="topbar__right">${langSwitch()}</div>`).firstElementChild;
  if ('account' in header.dataset) {
    right.append(fromHtml(`<span id="user-name" class="topbar__user" data-i18n-attr="title:user.signedInAs"></span>
      <button id="logout" type="button" class="btn btn--ghost" data-i18n="logout">退出登录</button>`));
  }
  header.append(right);
}

for (const header of document.querySelectorAll('[data-shell="topbar"]')) buildTopbar(header);
for (const slot of document.querySelectorAll('[data-shell="lang"]')) slot.replaceWith(fromHtml(langSwitch()));

function markLang() {
  for (const b of document.querySelectorAll('.lang__btn')) {
    const active = b.dataset.lang === getLang();
    b.classList.toggle('is-active', active);
    b.setAttribute('aria-pressed', String(active));
  }
}

/** Wires every language button on the page (call after all of them exist) and marks the one in use. */
export function watchLanguage() {
  for (const b of document.querySelectorAll('.lang__btn')) b.addEventListener('click', () => setLang(b.dataset.lang));
  onLangChange(markLang);
  markLang();
}
