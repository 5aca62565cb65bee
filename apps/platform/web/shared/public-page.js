// The shell of the public pages (disclosure board, fund disclosure, parking disclosure): no login,
// ?community=<id>[&lang=en], a print button, language buttons, and a render on every language change.
import { applyStatic, has, onLangChange, setLang, t } from './i18n.js';
import { watchLanguage } from './shell.js';

export const params = new URLSearchParams(location.search);
export const communityId = params.get('community');

/** Wires the page's print and language buttons; render() runs now and after every language change. */
export function startPublicPage({ printButtonId, render }) {
  if (params.get('lang')) setLang(params.get('lang'));
  document.getElementById(printButtonId).addEventListener('click', () => window.print());
  watchLanguage();
  onLangChange(render);
  render();
}

/** Translates the page's static text; the first step of every render. */
export function showLanguage() {
  applyStatic(document);
}

/** An element with attributes (absent when null) and children (text is never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** Integer fen → "12.34" without floating point. */
export function yuan(fen) {
  const n = BigInt(fen ?? 0);
  const sign = n < 0n ? '-' : '';
  const a = n < 0n ? -n : n;
  return `${sign}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

/** The translation of `prefix.value` when there is one, else the value itself (an unknown code). */
export const label = (prefix, value) => (has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value);
