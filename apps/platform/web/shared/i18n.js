// The strings every page uses (sign-in, language switch, loading), and the dictionary the pages add
// their own strings to: each page imports its web/<page>/strings.js first, which calls addStrings.
// Chinese first, English second.
// Usage: t('key', { n: 3 }) ; setLang('en') ; onLangChange(fn) ; applyStatic(root)
// Elements with data-i18n="key" get their textContent replaced, data-i18n-attr="attr:key;attr2:key2"
// sets attributes (placeholder, aria-label, title).

const STORAGE_KEY = 'spp.lang';

/** The strings every page uses; a page's own come from its strings.js through addStrings. */
export const commonStrings = {
  zh: {
    'app.brand': '智慧物业',
    'lang.switch': '切换语言',
    'lang.zh': '中文',
    'lang.en': 'EN',
    'login.title': '登录',
    'login.subtitle': '物业设备监控平台',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.submitting': '正在登录…',
    'login.failed': '登录失败',
    'login.expired': '登录已过期，请重新登录',
    'login.network': '无法连接服务器',
    'login.throttled': '登录失败次数过多，请 {s} 秒后再试',
    'login.busy': '服务器繁忙，请稍后再试',
    'login.signedOutElsewhere': '已在其他窗口退出登录',
    'logout': '退出登录',
    'user.signedInAs': '当前用户',
    'community.label': '小区',
    'community.none.title': '暂无可查看的小区',
    'community.none.body': '当前账号没有可查看的小区。请管理员创建小区或分配权限。',
    'loading': '正在加载…',
    'loadError': '加载失败：{msg}',
    'pd.setBy.owners_assembly': '业主大会确定',
    'pd.setBy.owners_negotiation': '业主与物业协商确定',
    'pd.setBy.government_guidance': '政府指导价',
    'pd.setBy.government_set': '政府定价',
  },
  en: {
    'app.brand': 'Smart Property',
    'lang.switch': 'Switch language',
    'lang.zh': '中文',
    'lang.en': 'EN',
    'login.title': 'Sign in',
    'login.subtitle': 'Property equipment monitoring',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.submitting': 'Signing in…',
    'login.failed': 'Sign-in failed',
    'login.expired': 'Your session has expired. Please sign in again.',
    'login.network': 'Cannot reach the server',
    'login.throttled': 'Too many failed sign-ins. Try again in {s} s.',
    'login.busy': 'The server is busy. Try again in a moment.',
    'login.signedOutElsewhere': 'You signed out in another window.',
    'logout': 'Sign out',
    'user.signedInAs': 'Signed in as',
    'community.label': 'Community',
    'community.none.title': 'No communities to show',
    'community.none.body': 'This account cannot see any community yet. Ask an administrator to create one or grant access.',
    'loading': 'Loading…',
    'loadError': 'Could not load: {msg}',
    'pd.setBy.owners_assembly': "Owners' assembly",
    'pd.setBy.owners_negotiation': 'Negotiated by owners and property company',
    'pd.setBy.government_guidance': 'Government guidance price',
    'pd.setBy.government_set': 'Government-set price',
  },
};

const dict = { zh: { ...commonStrings.zh }, en: { ...commonStrings.en } };

export const LANGS = ['zh', 'en'];

/**
 * Adds a page's own strings ({ zh: {...}, en: {...} }, e.g. from web/<page>/strings.js) to the
 * dictionary. Call it before the page first renders; a key given twice keeps the later text.
 */
export function addStrings(strings) {
  for (const code of LANGS) Object.assign(dict[code], strings[code] ?? {});
}

function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && dict[saved]) return saved;
  } catch {
    /* storage may be unavailable */
  }
  return 'zh';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() {
  return lang;
}

export function t(key, params) {
  let s = dict[lang][key];
  if (s === undefined) s = dict.zh[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

/** true when the key exists (used for optional labels such as unknown enum values) */
export function has(key) {
  return dict[lang][key] !== undefined || dict.zh[key] !== undefined;
}

export function setLang(next) {
  if (!dict[next] || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  applyStatic(document);
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Translate every element carrying data-i18n / data-i18n-attr under root, and <html lang>. */
export function applyStatic(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  const title = document.querySelector('title[data-i18n-title]');
  if (title) title.textContent = t(title.dataset.i18nTitle);
}
