// The snippet's one Trusted Types policy, `offer-edge` (a page under
// `require-trusted-types-for 'script'` allows it by name: docs/BROWSER.md).
// It admits exactly two things: the engine's rendered placement HTML (our
// template engine's contextually escaped output: docs/TEMPLATES.md) and the
// URL of the snippet's own engine worker. Plain strings where Trusted Types
// is unsupported.

let policy;
/** URLs `trustedScriptURL` admits: the engine worker's, registered by oe-page.js. */
const scriptURLs = new Set();

function get() {
  if (policy === undefined) {
    policy = null;
    if (globalThis.trustedTypes && typeof globalThis.trustedTypes.createPolicy === "function") {
      policy = globalThis.trustedTypes.createPolicy("offer-edge", {
        createHTML: (s) => s,
        createScriptURL: (url) => {
          if (!scriptURLs.has(url)) throw new TypeError(`offer-edge: not the snippet's worker: ${url}`);
          return url;
        },
      });
    }
  }
  return policy;
}

/** Engine output for the placement's one HTML sink. */
export function trustedHTML(html) {
  const p = get();
  return p ? p.createHTML(html) : html;
}

/** The engine worker's URL (registered first with `allowScriptURL`). */
export function trustedScriptURL(url) {
  const p = get();
  return p ? p.createScriptURL(url) : url;
}

/** Registers the one script URL the policy will admit. */
export function allowScriptURL(url) {
  scriptURLs.add(url);
}
