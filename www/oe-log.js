// Logging of the snippet: each problem is reported once per page view with
// console.warn (never console.error: an offer that cannot show is not an
// error of the host page), and codes are the engine's stable error codes.
//
// The host hears of every problem, not only the first of each code, through
// `onError` (createLauncher's, and selectPlacements' for its own selection):
// a frozen plain object `{code, level, message, …}`, `level` "error" when a
// placement stays empty because of it, "warning" when the snippet went on
// (an attribute left out, an edge fallback). The callback runs in a task of
// its own, never awaited: a callback that throws, rejects or is slow cannot
// break or delay the snippet.

const warned = new Set();
/** The launchers' `onError` callbacks: every problem of the page view. */
const listeners = new Set();

/** Calls host callback `onError` with `detail` later, alone: its throw or rejection is logged, never raised. */
function report(onError, detail) {
  if (typeof onError === "function") {
    setTimeout(() => Promise.resolve(detail).then(onError).catch(() => log("ON_ERROR_FAILED", "the host onError callback threw")));
  }
}

function log(code, message) {
  if (warned.has(code)) return;
  warned.add(code);
  console.warn(`offer-edge: ${code}: ${message}`);
}

function problem(level, code, message, extra, onError) {
  const detail = Object.freeze({ code, level, message, ...extra });
  log(code, message);
  for (const listener of listeners) report(listener, detail);
  report(onError, detail);
}

/**
 * Logs `code: message` once per code per page view; every launcher's
 * `onError` (and `onError`, a selection's own) hears `{code, level:
 * "warning", message, ...extra}` each time.
 */
export const warn = (code, message, extra, onError) => problem("warning", code, message, extra, onError);

/** As `warn`, for a problem that leaves a placement empty: `level: "error"`. */
export const fail = (code, message, extra, onError) => problem("error", code, message, extra, onError);

/** Sends every later problem of the page view to `onError` (a launcher's). */
export function listen(onError) {
  if (typeof onError === "function") listeners.add(onError);
}

/** An `Error` carrying a stable `code`, as the engine throws them (`OfferEdgeError`). */
export function codedError(code, message) {
  return Object.assign(new Error(message), { code });
}

/** The stable code of a thrown value (OfferEdgeError.code, else the error's name). */
export const codeOf = (e) => (e && typeof e.code === "string" ? e.code : (e && e.name) || "ERROR");

/** The message of a thrown value. */
export const messageOf = (e) => (e && e.message ? e.message : String(e));
