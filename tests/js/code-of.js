// What a call to the binding ends in, as a string to compare: "ok", or the
// thrown error's `name/code` ("OfferEdgeError/RECEIPT_EXPIRED"). A plain ES
// module with no imports, so both hosts load this one file: chromium-page.js
// from chromium.test.js's server (/js/code-of.js) and workerd-worker.js
// inside workerd (a module under the repository root).
export function codeOf(fn) {
  try {
    fn();
    return "ok";
  } catch (e) {
    return `${e.name}/${e.code}`;
  }
}
