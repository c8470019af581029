// What each engine error code means for someone checking a bundle, plus a
// computed detail where the bundle itself says more (e.g. how long ago it
// expired). Codes are the stable `OfferEdgeError.code` values (src/error.rs).
import { humanDuration, utc } from "./dom.js";

/** Code → what it means and what to do about it. */
export const CODE_MEANINGS = {
  BUNDLE_TOO_LARGE: "The file is larger than the trust config's maxBundleBytes: it was refused before parsing.",
  ENVELOPE_MALFORMED: "This is not a valid signed file: neither {\"manifest\":<envelope>,\"bundle\":<bundle>} (format v2, nothing outside the two values) nor a DSSE envelope (format v1), or its envelope lacks payloadType, payload or 1–16 signatures.",
  UNKNOWN_KEY: "None of the signatures is by a key pinned in the trust config: wrong trust config, or signed with another key.",
  SIGNATURE_INVALID: "A pinned key's signature does not match the bytes: the bundle was altered after signing (or corrupted in transit).",
  THRESHOLD_NOT_MET: "Fewer distinct pinned keys signed than the trust config's threshold requires.",
  DIGEST_MISMATCH: "The bundle bytes are not the ones the signed manifest describes (length, SHA-256, partner, version or dates differ): the bundle was altered after signing (or corrupted in transit).",
  PAYLOAD_MALFORMED: "The signatures are fine but the signed payload is not a bundle document (or, in format v2, not a bundle manifest).",
  PARTNER_MISMATCH: "The bundle is for another partner than the one the trust config pins.",
  BUNDLE_EXPIRED: "The bundle is past its expiresAt (or older than the trust config's maxAgeSeconds): hosts refuse it.",
  VERSION_ROLLBACK: "The version is below the last one accepted: hosts refuse to go back to an older bundle.",
  SCHEMA_INVALID: "The bundle document breaks the schema (missing or malformed field, bad id, dangling reference, bad URL).",
  CREATIVE_NOT_APPROVED: "A creative is not approved: signed bundles may only carry approved creatives.",
  LIMIT_EXCEEDED: "A named limit is exceeded (offers, rule depth, template size, nesting…).",
  TRUST_INVALID: "The trust config is not valid JSON of the form {partner, keys: {keyid: base64}, threshold}.",
  KEYSET_INVALID: "The key rotation document is not valid or not signed by both the current and the new keys.",
  RULE_INVALID: "An eligibility rule does not compile (unknown operator, wrong arity, bad variable).",
  TEMPLATE_INVALID: "A template does not compile; the message gives the template and line:column.",
  AUDIENCE_INVALID: "An audience filter is malformed.",
  CONTEXT_INVALID: "The persona (checkout context) is not valid: a value has the wrong type or form.",
  EVENT_INVALID: "The engagement is not valid (unknown offer or event type).",
  KEY_INVALID: "A key is malformed or weak (refused small-order or non-canonical key).",
  PAGE_BUNDLE_MISMATCH: "This page bundle is not the page edition of the bundle it is checked against (a full bundle, or another version, partner or dates).",
  PLACEMENT_UNKNOWN: "The bundle has no such placement.",
  NO_BUNDLE: "No bundle is active yet: load one first.",
  FETCH_FAILED: "The bundle could not be fetched (network error or HTTP error status).",
  NOT_JSON: "The file is not JSON.",
  DRAFT_NOT_SIGNED: "This is an unsigned draft bundle, not a signed envelope: it cannot be verified. You may preview it as a draft.",
};

/** A sentence about `code` for `bundle` (the parsed payload, when readable) at `now`. */
export function codeDetail(code, { bundle, trust, now } = {}) {
  if (code === "BUNDLE_EXPIRED" && bundle) {
    const expires = Date.parse(bundle.expiresAt);
    if (Number.isFinite(expires) && expires <= now) {
      return `expired ${humanDuration(now - expires)} ago (expiresAt ${utc(expires)})`;
    }
    const issued = Date.parse(bundle.issuedAt);
    const maxAge = trust && Number(trust.maxAgeSeconds);
    if (Number.isFinite(issued) && maxAge > 0) {
      return `issued ${humanDuration(now - issued)} ago, more than maxAgeSeconds (${humanDuration(maxAge * 1000)}) allows`;
    }
  }
  if (code === "PARTNER_MISMATCH" && bundle && trust) {
    return `the bundle is for "${bundle.partner}", the trust config pins "${trust.partner}"`;
  }
  if (code === "THRESHOLD_NOT_MET" && trust) {
    return `the trust config needs ${trust.threshold} distinct signer(s)`;
  }
  return "";
}
