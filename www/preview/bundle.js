// Loading a bundle for the preview: the bytes (from the edge, a URL or a
// file), what they are (signed file or unsigned draft: the engine's
// `inspectBundleFile`), and the engine's verdict. Verification is the
// engine's alone; the bundle inside is read to describe it (offers,
// templates) after — or to explain why — the engine accepted or refused it.

/** An error with a stable `code` that is not the engine's (fetching, reading). */
export class PreviewError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "PreviewError";
    this.code = code;
  }
}

/** GET `url` → bytes; PreviewError FETCH_FAILED on network error or a non-2xx status. */
export async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  } catch (e) {
    throw new PreviewError("FETCH_FAILED", `GET ${url} failed: ${e.message}`);
  }
  if (!response.ok) {
    let detail = "";
    try {
      const body = await response.json();
      if (body && body.error) detail = `: ${body.error.code ?? ""} ${body.error.message ?? ""}`.trimEnd();
    } catch {
      // Not a JSON error body: the status says enough.
    }
    throw new PreviewError("FETCH_FAILED", `GET ${url} answered HTTP ${response.status}${detail}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The bytes of a File/Blob. */
export async function fileBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * What the bytes are, from the engine's `inspectBundleFile` (nothing
 * verified): `{kind: "signed", bundle, keyIds}` (bundle: the document inside,
 * or null), `{kind: "draft", bundle}` for an unsigned bundle document,
 * `{kind: "notJson"}`, or `{kind: "unknown"}` (a broken signed file too: the
 * engine's load names its fault).
 */
export function inspectBytes(oe, bytes) {
  let file;
  try {
    file = oe.inspectBundleFile(bytes);
  } catch {
    return { kind: "unknown", bundle: null };
  }
  const bundle = file.bundle && typeof file.bundle === "object" && !Array.isArray(file.bundle) ? file.bundle : null;
  if (file.format !== "draft") return { kind: "signed", bundle, keyIds: file.keyIds };
  if (file.bundle === null) return { kind: "notJson" };
  if (bundle && Array.isArray(bundle.offers) && typeof bundle.partner === "string") return { kind: "draft", bundle };
  return { kind: "unknown", bundle: null };
}

/** Parses trust config text; PreviewError-like TRUST_INVALID when it is not a JSON object. */
export function parseTrust(text) {
  let trust;
  try {
    trust = JSON.parse(text);
  } catch (e) {
    throw new PreviewError("TRUST_INVALID", `the trust config is not JSON: ${e.message}`);
  }
  if (!trust || typeof trust !== "object" || Array.isArray(trust)) {
    throw new PreviewError("TRUST_INVALID", "the trust config must be a JSON object {partner, keys, threshold}");
  }
  return trust;
}

/** The code and message of anything thrown by the engine or this module. */
export function failure(e) {
  if (e && typeof e.code === "string") return { code: e.code, message: e.message };
  return { code: "UNEXPECTED", message: String(e && e.message ? e.message : e) };
}

/**
 * Verifies `bytes` against `trust` at `now` with a fresh engine (no rollback
 * state: each load in the preview stands alone). Returns
 * `{ok: true, engine, info, bundle, signatures}` or
 * `{ok: false, code, message, bundle, kind}`; never throws.
 */
export function verifySigned(oe, trustText, bytes, now) {
  const seen = inspectBytes(oe, bytes);
  let trust = null;
  try {
    trust = parseTrust(trustText);
    if (seen.kind === "notJson") throw new PreviewError("NOT_JSON", "the bundle file is not JSON");
    if (seen.kind === "draft") {
      throw new PreviewError("DRAFT_NOT_SIGNED", `an unsigned bundle document for partner "${seen.bundle.partner}" (no envelope, no signatures)`);
    }
    const engine = new oe.Engine(trust);
    engine.load(bytes, now);
    const signatures = seen.keyIds;
    return { ok: true, engine, info: engine.info(), bundle: seen.bundle, signatures, trust };
  } catch (e) {
    return { ok: false, ...failure(e), bundle: seen.bundle ?? null, kind: seen.kind, trust };
  }
}

/** An engine over an unsigned draft document (object or text); `{ok, engine, info, bundle}` or `{ok: false, code, message}`. */
export function loadDraft(oe, bundle) {
  try {
    const engine = oe.Engine.fromDraft(typeof bundle === "string" ? bundle : JSON.stringify(bundle));
    return { ok: true, engine, info: engine.info(), bundle: typeof bundle === "string" ? JSON.parse(bundle) : bundle };
  } catch (e) {
    return { ok: false, ...failure(e), bundle: null };
  }
}
