// The <head> every page shares, written from the page's one <script src="../shared/head.js"> tag:
// viewport (every page fits a phone), icon, the common stylesheet, then the page's own stylesheets
// (data-css, space-separated, relative to the page), its colour scheme (data-theme), the socket.io
// client where the page is live (data-socket), and last the page's entry module (data-main).
// A classic script, so it runs while <head> is parsed; blocking="render" keeps the page from
// showing unstyled, as a <link> written in the page would. The entry module is added once the body
// is parsed, after the socket.io client in order (both async=false).
(() => {
  const script = document.currentScript;
  const add = (tag, attrs) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (tag === 'script') node.async = false;
    document.head.append(node);
  };
  const { css = '', main, socket, theme } = script.dataset;
  add('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' });
  if (theme) add('meta', { name: 'color-scheme', content: theme });
  add('link', { rel: 'icon', href: 'data:,' });
  for (const href of [new URL('base.css', script.src).href, ...css.split(/\s+/).filter(Boolean)]) add('link', { rel: 'stylesheet', href, blocking: 'render' });
  if (socket !== undefined) add('script', { src: '/socket.io/socket.io.js' });
  document.addEventListener('DOMContentLoaded', () => add('script', { type: 'module', src: main }));
})();
