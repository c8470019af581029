// Consent signals (issue 17; docs/BROWSER.md, "Consent and forgetting"):
// what the snippet tells the engine about the shopper's choices, the same
// object in the page (`decide` options) and at the edge (the decide body).
// The effects are the engine's alone — every Decision says what it removed
// (`privacy`); this module gathers the signals and reads that answer, and
// never works out an effect itself:
// - Global Privacy Control: `navigator.globalPrivacyControl === true` is
//   `gpc: true`, whatever the page's config says (nothing turns it off);
// - the partner's explicit `consent: {personalization, measurement}` and its
//   `usPrivacy` / `gpp` strings (createLauncher, overridden per
//   selectPlacements call);
// - an IAB CMP in the page, asked only for what the partner did not state:
//   `__uspapi("getUSPData", 1)` (its `uspString`) and `__gpp("ping")` (its
//   `gppString`), each within `cmpWaitMs`. No CMP, or one that does not
//   answer in time: not stated.

/** The explicit consent members a partner may state. */
const CHOICES = ["personalization", "measurement"];

/**
 * What the partner stated in `o` (launcher or selectPlacements options):
 * `{personalization?, measurement?, usPrivacy?, gpp?}`. A statement that is
 * not readable (consent not an object of booleans, a signal string that is
 * not a string) is no consent: warned once as CONSENT_INVALID and stated as
 * `{personalization: false, measurement: false}`.
 */
export function statedConsent({ consent, usPrivacy, gpp }, warn) {
  const strings = {};
  let readable = consent == null || (typeof consent === "object"
    && Object.entries(consent).every(([k, v]) => CHOICES.includes(k) && (v === undefined || typeof v === "boolean")));
  for (const [k, v] of [["usPrivacy", usPrivacy], ["gpp", gpp]]) {
    if (typeof v === "string") strings[k] = v;
    else if (v != null) readable = false;
  }
  if (readable) return { ...consent, ...strings };
  warn("CONSENT_INVALID", "consent takes booleans, usPrivacy and gpp strings; treated as no consent");
  return { ...strings, personalization: false, measurement: false };
}

/**
 * Asks a CMP's API (`call(callback)`) for one value (`pick(data)`); resolves
 * undefined when it fails or answers nothing, and after `ms` (warned once as
 * CMP_TIMEOUT: the decision goes ahead without that signal).
 */
function askCmp(call, pick, ms, warn) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      warn("CMP_TIMEOUT", `the CMP did not answer within ${ms} ms`);
      resolve();
    }, ms);
    try {
      call((data, ok) => {
        clearTimeout(timer);
        const value = ok === false || !data ? undefined : pick(data);
        resolve(typeof value === "string" && value ? value : undefined);
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * The consent object for one decision: `{gpc?, usPrivacy?, gpp?,
 * personalization?, measurement?}` with only what is stated (the
 * browser's GPC, then `stated`, then the page's CMP), or null when nothing
 * is. Never rejects; waits at most `ms` for a CMP (`warn(code, message)`).
 */
export async function consentNow(stated, ms, warn) {
  const w = globalThis;
  const [usPrivacy, gpp] = await Promise.all([
    stated.usPrivacy ?? (typeof w.__uspapi === "function"
      ? askCmp((cb) => w.__uspapi("getUSPData", 1, cb), (d) => d.uspString, ms, warn) : undefined),
    stated.gpp ?? (typeof w.__gpp === "function" ? askCmp((cb) => w.__gpp("ping", cb), (d) => d.gppString, ms, warn) : undefined),
  ]);
  const out = {};
  if (w.navigator && w.navigator.globalPrivacyControl === true) out.gpc = true;
  if (usPrivacy) out.usPrivacy = usPrivacy;
  if (gpp) out.gpp = gpp;
  for (const k of CHOICES) if (stated[k] !== undefined) out[k] = stated[k];
  return Object.keys(out).length ? out : null;
}

/**
 * Whether the page may measure after `decision` — keep history, queue
 * engagement events: its `privacy.measurement` (the engine's answer). A
 * decision with no `privacy` at all answers nothing, so it allows that only
 * when no consent signal was sent (`consent` null).
 */
export function measures(decision, consent) {
  return decision.privacy ? decision.privacy.measurement !== false : !consent;
}
