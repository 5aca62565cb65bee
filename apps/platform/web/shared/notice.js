// The status line under a page's top bar: `<prefix>` and `<prefix>--<tone>` classes style it.
// Good news goes after a few seconds; warnings and errors stay until the next notice.
export function noticeLine(element, prefix) {
  let timer = 0;
  return (text, tone = 'ok') => {
    clearTimeout(timer);
    element.textContent = text;
    element.className = `${prefix} ${prefix}--${tone}`;
    element.hidden = !text;
    if (tone === 'ok') timer = setTimeout(() => (element.hidden = true), 6000);
  };
}
