/**
 * The pages' strings (apps/platform/web): a small common set in shared/i18n.js and one strings.js
 * per page. Every set speaks both languages with the same keys and placeholders, and every key a
 * page names (t('…'), has('…'), data-i18n…, a `prefix.${value}` lookup) is in a set that page loads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Strings = { zh: Record<string, string>; en: Record<string, string> };

const WEB = join(__dirname, 'web');

/** Each page folder and the string files its entry module imports (besides the common set). */
const PAGES: Record<string, string[]> = {
  dashboard: ['dashboard/strings.js', 'shared/device-strings.js'],
  history: ['history/strings.js', 'shared/device-strings.js'],
  parking: ['parking/strings.js'],
  supervision: ['supervision/strings.js'],
  duty: ['duty/strings.js', 'shared/device-strings.js'],
  complaints: ['complaints/strings.js'],
  board: ['board/strings.js'],
  disclosure: ['disclosure/strings.js'],
  'parking-disclosure': ['parking-disclosure/strings.js'],
  vote: ['vote/strings.js'],
  fund: ['fund/strings.js', 'shared/device-strings.js'],
  credit: ['credit/strings.js'],
  'fund-account': ['fund-account/strings.js'],
};

async function load(file: string): Promise<Strings> {
  const path = join(WEB, file);
  const mod = (await import(path)) as { strings?: Strings; commonStrings?: Strings };
  return (mod.commonStrings ?? mod.strings)!;
}

function pageSources(folder: string): string {
  return readdirSync(join(WEB, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(js|html)$/.test(f) && !f.endsWith('strings.js'))
    .map((f) => readFileSync(join(WEB, folder, f), 'utf8'))
    .join('\n');
}

/** Keys named literally, and prefixes completed at run time (`t(\`alarm.type.${x}\`)`, label('pd.setBy', x)). */
function namedKeys(source: string): { keys: Set<string>; prefixes: Set<string> } {
  const keys = new Set<string>();
  const prefixes = new Set<string>();
  for (const m of source.matchAll(/\b(?:t|has)\(\s*['"]([^'"]+)['"]/g)) keys.add(m[1]);
  for (const m of source.matchAll(/data-(?:i18n|i18n-title|subtitle|section)="([^"$]+)"/g)) keys.add(m[1]);
  for (const m of source.matchAll(/data-i18n-attr="([^"]+)"/g)) {
    for (const pair of m[1].split(';')) keys.add(pair.split(':')[1].trim());
  }
  for (const m of source.matchAll(/\b(?:t|has)\(\s*`([\w.]+)\.\$\{/g)) prefixes.add(m[1]);
  for (const m of source.matchAll(/\blabel\(\s*['"]([\w.]+)['"]/g)) prefixes.add(m[1]);
  return { keys, prefixes };
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

const STRING_FILES = ['shared/i18n.js', ...new Set(Object.values(PAGES).flat())];

describe('web page strings', () => {
  it.each(STRING_FILES)('%s has the same keys and placeholders in Chinese and English', async (file) => {
    const { zh, en } = await load(file);
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh)) expect([key, placeholders(en[key])]).toEqual([key, placeholders(zh[key])]);
  });

  it('no key is defined by two string files (a page would get whichever loaded last)', async () => {
    const seen = new Map<string, string>();
    for (const file of STRING_FILES) {
      for (const key of Object.keys((await load(file)).zh)) {
        expect([key, seen.get(key)]).toEqual([key, undefined]);
        seen.set(key, file);
      }
    }
  });

  it.each(['shared/session.js', 'shared/shell.js'])('%s names only common keys', async (file) => {
    const common = (await load('shared/i18n.js')).zh;
    const { keys } = namedKeys(readFileSync(join(WEB, file), 'utf8'));
    expect(keys.size).toBeGreaterThan(0);
    expect([...keys].filter((k) => !(k in common))).toEqual([]);
  });

  it.each(Object.keys(PAGES))('every key the %s page names is in a set it loads', async (page) => {
    const defined = new Set(Object.keys((await load('shared/i18n.js')).zh));
    for (const file of PAGES[page]) for (const key of Object.keys((await load(file)).zh)) defined.add(key);
    const { keys, prefixes } = namedKeys(pageSources(page));
    expect(keys.size).toBeGreaterThan(0);
    expect([...keys].filter((k) => !defined.has(k))).toEqual([]);
    expect([...prefixes].filter((p) => ![...defined].some((k) => k.startsWith(`${p}.`)))).toEqual([]);
  });
});
