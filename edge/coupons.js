// Unique coupon codes (docs/EDGE.md, "Unique coupon codes"). A coupon offer
// whose bundle names a code SOURCE (`action.codes`) shows no code in the
// bundle or any Decision; the collector issues one code per attested accept
// and returns it only in the answer to that accept (POST /v1/events
// `coupons`), and the confirmation email prints it.
//   derived: prefix + Crockford base32 of HMAC-SHA256(coupon key of the
//            partner, "offer-edge/coupon/v1\n" partner "\n" offer "\n" decision),
//            cut to `length` characters: unforgeable without the edge's
//            secret, the same for the same accept.
//   pool:    one code of a list the partner uploads, claimed atomically:
//     POST /v1/coupons/:partner/:pool   text/plain, one code per line (partner API secret)
//     GET  /v1/coupons/:partner/:pool   {pool, total, claimed, remaining, waiting}
//   GET /v1/coupons/:partner?code=…     who a code was issued to (redemption check)
// Who gets a code: an accept that is billable AND attested (a verified
// checkout token of its partner), once per (partner, order, offer) like the
// billable accept itself; a resent accept reads the same code back. Every
// other accept of such an offer gets a refusal code, never a code.
import { partnerOr404 } from "./config.js";
import { ensureSchema } from "./schema.js";
import { HttpError, json, mediaType, readBody } from "./http.js";
import { isPartnerBackend, partnerKey } from "./keys.js";
import { withEngine } from "./engine.js";
import { fromUtf8, hmac } from "./util.js";

/** Upload body at most (≈ 10,000 codes of 48 characters). */
export const MAX_UPLOAD_BYTES = 512 * 1024;
/** Codes one upload may carry. */
export const MAX_UPLOAD_CODES = 10_000;
/** A pool code: what the core's `check_issued_coupon_code` accepts (no escaping needed anywhere). */
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Codes per INSERT (bound as one JSON array: one parameter). */
const INSERT_CHUNK = 1_000;
/** Crockford's base32: no I, L, O, U (nothing a shopper misreads). */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Key id of the coupon key: a new one would change every derived code. */
const COUPON_KID = "v1";

/** The refusals the answer's `coupons` entries carry instead of a code. */
export const REFUSED = {
  attestation: "ATTESTATION_REQUIRED",
  empty: "COUPON_POOL_EMPTY",
};

const auth = (env, request, partner) => {
  if (!isPartnerBackend(env, request, partner)) {
    throw new HttpError(401, "COUPON_AUTH_REQUIRED", "coupon pools take the partner's API secret as a bearer token", { "www-authenticate": "Bearer" });
  }
};

/** Crockford base32 of `bytes`, most significant bit first, the first `n` characters. */
export function base32(bytes, n) {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < n) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** The derived code of (partner, offer, decision) for source `{prefix, length}`. */
export async function derivedCode(env, partnerId, offerId, decisionId, source) {
  const key = partnerKey(env, partnerId, COUPON_KID, "coupon");
  const mac = await hmac(key, `offer-edge/coupon/v1\n${partnerId}\n${offerId}\n${decisionId}`);
  return `${source.prefix ?? ""}${base32(mac, source.length)}`;
}

const claimKey = (b) => `${b.binding}\n${b.v.event.offerId}`;

/** The code already issued to accept `b`, or undefined (null: waiting for the pool). */
async function issued(db, b) {
  const row = await db.prepare("SELECT code FROM coupon_claims WHERE partner = ? AND binding = ? AND offer_id = ?")
    .bind(b.partner, b.binding, b.v.event.offerId).first();
  return row ? row.code : undefined;
}

/**
 * One code of `pool` for accept `b`, atomically: the first unclaimed row
 * is marked in the same statement that picks it, and an accept that
 * already holds one (a resend, a racing duplicate) holds no second.
 * Returns the code or null (pool empty).
 */
async function claimFromPool(db, b, pool, nowMs) {
  const key = claimKey(b);
  const held = () => db.prepare("SELECT code FROM coupon_pool WHERE partner = ? AND pool = ? AND claim_key = ?").bind(b.partner, pool, key).first();
  const mine = await held();
  if (mine) return mine.code;
  try {
    const row = await db.prepare(`UPDATE coupon_pool SET claimed_ms = ?, claim_key = ?, decision_id = ?
      WHERE rowid = (SELECT rowid FROM coupon_pool WHERE partner = ? AND pool = ? AND claimed_ms IS NULL LIMIT 1)
      RETURNING code`).bind(nowMs, key, b.v.receipt.decisionId, b.partner, pool).first();
    if (row) return row.code;
  } catch (e) {
    // The unique claim index: a racing duplicate of this accept claimed first.
    if (!/UNIQUE/i.test(String(e?.message))) throw e;
  }
  return (await held())?.code ?? null;
}

/** Issues (or reads back) the code of billable accept `b` of an offer with code source `source`. */
async function issue(env, b, source, nowMs) {
  const db = env.DB;
  const before = await issued(db, b);
  if (before) return { code: before };
  const e = b.v.event;
  const code = source.source === "derived"
    ? await derivedCode(env, b.partner, e.offerId, b.v.receipt.decisionId, source)
    : await claimFromPool(db, b, source.pool, nowMs);
  // First writer wins; a waiting (null) claim takes the code its resend got.
  await db.prepare(`INSERT INTO coupon_claims (partner, binding, offer_id, decision_id, order_ref, source, pool, code, created_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (partner, binding, offer_id) DO UPDATE SET code = excluded.code WHERE coupon_claims.code IS NULL`)
    .bind(b.partner, b.binding, e.offerId, b.v.receipt.decisionId, b.order, source.source, source.pool ?? null, code, nowMs).run();
  const after = await issued(db, b);
  return after ? { code: after } : { refused: REFUSED.empty };
}

/** The code sources of the unique-coupon offers among `offerIds` of one partner (offer id → source). */
async function sourcesOf(env, partnerId, offerIds, nowMs) {
  return withEngine(env, partnerId, nowMs, (engine) => {
    const out = new Map();
    for (const id of offerIds) {
      const codes = engine.offer(id)?.codes;
      if (codes) out.set(id, codes);
    }
    return out;
  });
}

/**
 * The `coupons` of an events answer: for every accept of a unique-coupon
 * offer in the batch, `{index, id, offerId, code}` when it is billable and
 * attested (issued now, or read back for a resend), else `{index, id,
 * offerId, refused}`. `billable` holds every billable event (fresh and
 * duplicate), `unverified` the events stored as unverified; rejected
 * events get nothing (their rejection says why).
 */
export async function issueCoupons(env, billable, unverified, nowMs) {
  const accepts = [...billable, ...unverified].filter((x) => x.v.event.type === "accept");
  if (!accepts.length) return [];
  const byPartner = new Map();
  for (const x of accepts) byPartner.set(x.partner, [...(byPartner.get(x.partner) ?? []), x.v.event.offerId]);
  const sources = new Map();
  for (const [partner, ids] of byPartner) {
    try {
      sources.set(partner, await sourcesOf(env, partner, new Set(ids), nowMs));
    } catch (e) {
      // Unverified events are stored without the bundle; without it no code is issued.
      if (billable.some((b) => b.partner === partner)) throw e;
      sources.set(partner, new Map());
    }
  }
  const out = [];
  await ensureSchema(env);
  for (const x of accepts) {
    const e = x.v.event;
    const source = sources.get(x.partner).get(e.offerId);
    if (!source) continue;
    const entry = { index: x.index, id: e.id, offerId: e.offerId };
    // Billable without a checkout token (an edge decision of a partner that does not require attestation) is not enough.
    const attested = billable.includes(x) && x.claims;
    out.push({ ...entry, ...(attested ? await issue(env, x, source, nowMs) : { refused: REFUSED.attestation }) });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The code issued to the attested accept of (partner, order, offer), or null: what its confirmation email prints. */
export async function issuedCodeFor(env, partnerId, order, offerId) {
  if (typeof order !== "string" || typeof offerId !== "string") return null;
  await ensureSchema(env);
  const row = await env.DB.prepare("SELECT code FROM coupon_claims WHERE partner = ? AND binding = ? AND offer_id = ?")
    .bind(partnerId, `order:${order}`, offerId).first();
  return row?.code ?? null;
}

/** The codes of an upload: one per line, blank lines skipped, each checked; 400 names the first bad line. */
function parseCodes(text) {
  const codes = new Set();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i].replace(/\r$/, "").trim();
    if (!code) continue;
    if (!CODE.test(code)) throw new HttpError(400, "COUPON_CODES_INVALID", `line ${i + 1}: a code is 1..=64 characters of A-Z, a-z, 0-9, - and _`);
    codes.add(code);
    if (codes.size > MAX_UPLOAD_CODES) throw new HttpError(413, "COUPON_CODES_TOO_MANY", `at most ${MAX_UPLOAD_CODES} codes per upload`);
  }
  if (!codes.size) throw new HttpError(400, "COUPON_CODES_INVALID", "the body holds no code");
  return [...codes];
}

async function poolCounts(db, partnerId, pool) {
  const counts = await db.prepare(`SELECT COUNT(*) AS total, COUNT(claimed_ms) AS claimed FROM coupon_pool WHERE partner = ? AND pool = ?`)
    .bind(partnerId, pool).first();
  const waiting = await db.prepare("SELECT COUNT(*) AS n FROM coupon_claims WHERE partner = ? AND pool = ? AND code IS NULL")
    .bind(partnerId, pool).first();
  return { pool, total: counts.total, claimed: counts.claimed, remaining: counts.total - counts.claimed, waiting: waiting.n };
}

/** POST|GET /v1/coupons/:partner/:pool. */
export async function handlePool(request, env, partnerId, pool) {
  const partner = partnerOr404(env, partnerId);
  auth(env, request, partner);
  if (!ID.test(pool)) throw new HttpError(400, "COUPON_POOL_INVALID", "a pool id is 1..=128 characters of A-Z, a-z, 0-9, ., _ and -");
  await ensureSchema(env);
  const db = env.DB;
  if (request.method === "GET") return json(await poolCounts(db, partner.id, pool), 200, { "cache-control": "no-store" });
  if (mediaType(request) !== "text/plain") throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "upload codes as text/plain, one per line");
  const codes = parseCodes(fromUtf8(await readBody(request, MAX_UPLOAD_BYTES)));
  const nowMs = Date.now();
  let added = 0;
  // Idempotent: a code already in the pool (claimed or not) is left as it is.
  for (let i = 0; i < codes.length; i += INSERT_CHUNK) {
    const chunk = JSON.stringify(codes.slice(i, i + INSERT_CHUNK));
    const r = await db.prepare(`INSERT OR IGNORE INTO coupon_pool (partner, pool, code, uploaded_ms)
      SELECT ?, ?, value, ? FROM json_each(?)`).bind(partner.id, pool, nowMs, chunk).run();
    added += r.meta.changes;
  }
  return json({ ...(await poolCounts(db, partner.id, pool)), received: codes.length, added, duplicate: codes.length - added }, 200, { "cache-control": "no-store" });
}

/** GET /v1/coupons/:partner?code=…: the redemption check (which offer, decision and order a code was issued to). */
export async function handleCodeLookup(request, env, partnerId, url) {
  const partner = partnerOr404(env, partnerId);
  auth(env, request, partner);
  const code = url.searchParams.get("code") ?? "";
  if (!CODE.test(code)) throw new HttpError(400, "COUPON_CODE_INVALID", "code must be 1..=64 characters of A-Z, a-z, 0-9, - and _");
  await ensureSchema(env);
  const row = await env.DB.prepare(`SELECT offer_id, decision_id, order_ref, source, pool, created_ms FROM coupon_claims
    WHERE partner = ? AND code = ?`).bind(partner.id, code).first();
  if (!row) throw new HttpError(404, "COUPON_UNKNOWN", "no code like this was issued for this partner (or it was erased)");
  return json({ code, offerId: row.offer_id, decisionId: row.decision_id, orderRef: row.order_ref, source: row.source,
    pool: row.pool, issuedAt: new Date(row.created_ms).toISOString() }, 200, { "cache-control": "no-store" });
}
