// The shopper's locale: the snippet's own words (the region's name, the
// close button's label, the email form, the texts after an accept) and the
// money in templates.
//
// Texts: one small module per language (www/strings/<lang>.js; en.js is the
// reference and every other table's fallback), built as content-hashed files
// next to the snippet (scripts/build-www) and imported as the launcher
// starts — in parallel with the decision, so no page pays for languages it
// does not show, and the snippet itself carries no table. Which language:
// `createLauncher({ locale })`, else the page's `<html lang>`, else
// `navigator.language`; the table of its language subtag ("de-AT" → de),
// else English. `createLauncher({ strings })` overrides any text. Texts reach
// the page as text (textContent, aria-label), never as HTML.

/* global __OE_STRINGS_URLS__ */
/** Languages with a table (www/strings/<lang>.js). */
const LANGUAGES = /^(en|de|es|fr|it|nl|pt)$/;
/** Longest override or host message shown, in characters. */
const MAX_TEXT = 200;

/**
 * The BCP 47 locale to use: `given`, else the page's `<html lang>`, else
 * the browser's; canonicalized (an invalid tag falls to the next one, then "en").
 */
export function pageLocale(given) {
  for (const tag of [given, globalThis.document?.documentElement.lang, globalThis.navigator?.language]) {
    try {
      if (tag) return Intl.getCanonicalLocales(tag)[0];
    } catch {
      // not a language tag: try the next
    }
  }
  return "en";
}

/** Language → its table's hashed file next to the built snippet (scripts/build-www); null unbuilt. */
const BUILT = typeof __OE_STRINGS_URLS__ === "object" ? __OE_STRINGS_URLS__ : null;
/** The texts table of `lang`: the built snippet's hashed file, else the source module. */
const table = (lang) => import(new URL(BUILT ? BUILT[lang] : `./strings/${lang}.js`, import.meta.url).href).then((m) => m.default);

/**
 * The texts for `locale` (canonical: its language subtag is lower-case),
 * with the host's `strings` over them (known keys with string values,
 * bounded; anything else ignored). Resolves to null when no table loads
 * (warned); never rejects.
 */
export async function loadStrings(locale, strings, warn) {
  const lang = locale.split("-")[0];
  let texts = null;
  try {
    texts = await table(LANGUAGES.test(lang) ? lang : "en");
  } catch (e) {
    warn("STRINGS_UNAVAILABLE", `the ${lang} texts did not load: ${e}`);
    texts = lang === "en" ? null : await table("en").catch(() => null);
  }
  if (!texts) return null;
  const own = {};
  for (const k in texts) if (typeof strings?.[k] === "string") own[k] = strings[k].slice(0, MAX_TEXT);
  return Object.freeze({ ...texts, ...own });
}

/** `text` with `{name}` replaced by `values[name]` (plain text in, plain text out). */
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, name) => values[name] ?? m);

/** A host's message (onAction): a non-empty string, bounded; else null. */
export const hostText = (value) => (typeof value === "string" && value.trim() ? value.trim().slice(0, MAX_TEXT) : null);

/**
 * The shopper's money: `amount` (a non-negative number or numeric string)
 * in `currency` (ISO 4217) for `locale` (Intl), at most 64 characters; null
 * when either is unusable (the core then shows its own fallback).
 */
export function formatMoney(amount, currency, locale) {
  const n = amount === "" || amount === null ? NaN : Number(amount);
  try {
    if (Number.isFinite(n) && n >= 0 && /^[A-Z]{3}$/i.test(currency)) {
      return new Intl.NumberFormat(locale, { style: "currency", currency }).format(n).slice(0, 64);
    }
  } catch {
    // not a currency Intl knows
  }
  return null;
}
