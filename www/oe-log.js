// Logging of the snippet: each problem is reported once per page view with
// console.warn (never console.error: an offer that cannot show is not an
// error of the host page), and codes are the engine's stable error codes.

const warned = new Set();

/** Logs `code: message` once per code per page view. */
export function warn(code, message) {
  if (warned.has(code)) return;
  warned.add(code);
  console.warn(`offer-edge: ${code}: ${message}`);
}

/** An `Error` carrying a stable `code`, as the engine throws them (`OfferEdgeError`). */
export function codedError(code, message) {
  return Object.assign(new Error(message), { code });
}

/** The stable code of a thrown value (OfferEdgeError.code, else the error's name). */
export const codeOf = (e) => (e && typeof e.code === "string" ? e.code : (e && e.name) || "ERROR");

/** The message of a thrown value. */
export const messageOf = (e) => (e && e.message ? e.message : String(e));
