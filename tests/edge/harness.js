// Shared harness of the edge suites: worker.js in real workerd (miniflare)
// with the bindings of wrangler.toml, test partners seeded with the CLI
// (real keys, real signed bundles), and builders for events and receipts.
// What the edge, browser and preview suites share is in tests/harness/.
import { randomUUID, randomBytes } from "node:crypto";
import * as oe from "../../pkg/node.js";
import { edgeOptions, fulfilmentSecretName, seedPartner, uploadBundle } from "../../scripts/lib/edge.mjs";
import { startWorkerd } from "../../scripts/lib/workerd.mjs";
import { keepOffers, threeOffers } from "../harness/bundles.js";
import { d1Rows } from "../harness/edge.js";
import { scratchDir } from "../harness/util.js";

export { oe, uploadBundle, keepOffers };
export { answer, poll } from "../harness/util.js";

/** The test edge's master secret (public knowledge, tests only). */
export const RECEIPT_KEY = new Uint8Array(32).fill(7);
/** The partner backends' API secrets (server-to-server calls). */
export const API_SECRETS = { acme: "acme-backend-secret-0123456789", globex: "globex-backend-secret-0123456789" };
/** The operators' token for GET /v1/status. */
export const ADMIN_TOKEN = "operator-token-0123456789abcdef";
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** The receipt key id the test partners sign under (PARTNERS default). */
export const RECEIPT_KID = "r1";
/** Partner `partner`'s receipt MAC key under `kid`, derived as the edge derives it. */
export const receiptKeyOf = (partner, kid = RECEIPT_KID) => oe.deriveReceiptKey(RECEIPT_KEY, partner, `receipt/${kid}`);
export const ORIGINS = { acme: "https://shop.acme.test", globex: "https://globex.test" };
export const BASE = "http://edge.test";

/**
 * A small deterministic bundle: three always-eligible offers of different
 * advertisers in one placement showing all three; the coupon offer is
 * capped at 1 impression a day and sends a confirmation email with its code.
 */
export function testBundle(b) {
  // No page bundle: GET /v1/bundles serves this bundle itself (confidential.test.js has both).
  const [coupon] = threeOffers(b, { subject: "{{advertiser}}: your code", html: "<p>Your code is <b>{{couponCode}}</b>.</p>" });
  coupon.caps = [{ scope: "offer", max: 1, window: "day" }];
  return b;
}

let seeded;
/** acme and globex: keys, trust, signed test bundles (seeded once per process). */
export function seed() {
  if (!seeded) {
    const dir = scratchDir("offer-edge-seed-");
    seeded = {
      dir,
      acme: seedPartner(dir, "acme", { transform: testBundle, seed: 3 }),
      globex: seedPartner(dir, "globex", { transform: testBundle, seed: 4 }),
    };
  }
  return seeded;
}

/** The PARTNERS config for the seeded partners. */
export function partnersConfig(s = seed(), extra = {}) {
  return {
    acme: { trust: s.acme.trust, origins: [ORIGINS.acme], checkoutKeys: s.acme.checkoutKeys, ...extra.acme },
    globex: { trust: s.globex.trust, origins: [ORIGINS.globex], checkoutKeys: s.globex.checkoutKeys, ...extra.globex },
  };
}

/**
 * Starts the edge (in memory unless `persistRoot`), disposed after the test.
 * Returns helpers: `fetch(path, init)`, `post(path, body, headers)`,
 * `sql(query, ...binds)` → rows.
 */
export async function startEdge(t, { partners, vars = {}, rateLimit = 100_000, persistRoot, upload = true, extra = {} } = {}) {
  const s = seed();
  const { mf } = await startWorkerd({
    ...edgeOptions({
      persistRoot,
      rateLimit,
      assets: false,
      partners: partners ?? partnersConfig(s),
      vars: {
        RECEIPT_KEY: Buffer.from(RECEIPT_KEY).toString("base64"),
        [fulfilmentSecretName("acme")]: s.acme.fulfilmentKey,
        [fulfilmentSecretName("globex")]: s.globex.fulfilmentKey,
        ADMIN_TOKEN,
        API_SECRET_ACME: API_SECRETS.acme,
        API_SECRET_GLOBEX: API_SECRETS.globex,
        ...vars,
      },
    }),
    ...extra,
  });
  let disposed;
  const dispose = () => (disposed ??= mf.dispose());
  t.after(dispose);
  if (upload) {
    await uploadBundle(mf, "acme", s.acme.signed, s.acme.page, s.acme.form);
    await uploadBundle(mf, "globex", s.globex.signed, s.globex.page, s.globex.form);
  }
  const db = await mf.getD1Database("DB");
  const edge = {
    mf,
    db,
    /** Stops this workerd (idempotent; also done after the test). */
    dispose,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, BASE), init),
    post: (path, body, headers = {}) => mf.dispatchFetch(new URL(path, BASE), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    }),
    sql: (query, ...binds) => d1Rows(db, query, ...binds),
  };
  return edge;
}

/** A receipt as the edge would make it for `partner`'s `offerId`. */
export function receipt(partner, offerId, overrides = {}) {
  const now = Date.now();
  return {
    decisionId: randomBytes(16).toString("hex"),
    partner,
    placement: "confirmation",
    offerId,
    creativeId: `cr-${offerId}`,
    bundleSha256: "ab".repeat(32),
    issuedAt: new Date(now - 1000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    ...overrides,
  };
}

/**
 * An event for `rcpt`: signed with the partner's derived receipt key (kid
 * `r1`) unless `signed: false` (a page's plain receipt) or another `key`.
 */
export function event(type, rcpt, { signed = true, key, ...overrides } = {}) {
  const signedRcpt = { ...rcpt, kid: rcpt.kid ?? RECEIPT_KID };
  return {
    id: randomUUID(),
    type,
    partner: rcpt.partner,
    receipt: signed ? oe.signReceipt(signedRcpt, key ?? receiptKeyOf(rcpt.partner, signedRcpt.kid)) : rcpt,
    placement: rcpt.placement,
    offerId: rcpt.offerId,
    creativeId: rcpt.creativeId,
    campaign: "camp",
    advertiser: "adv",
    time: new Date().toISOString(),
    propensity: 0.5,
    ...overrides,
  };
}

const hostEngines = {};
/** A host-side Engine of `partner`'s test bundle, as the browser snippet holds one (to seal emails, or decide locally). */
export function hostEngine(partner) {
  if (!hostEngines[partner]) {
    const s = seed();
    hostEngines[partner] = new oe.Engine(s[partner].trust);
    hostEngines[partner].load(s[partner].signed, Date.now());
  }
  return hostEngines[partner];
}

/** The advertisers of acme's three test offers (coupon, link, addToCart), in the order a decision shows them. */
export function acmeAdvertisers() {
  const context = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
  return hostEngine("acme").decide(context, null, Date.now(), {}).decision.placements[0].offers.map((o) => o.advertiser);
}

/** base64url (no padding) of UTF-8 text. */
export const b64url = (text) => Buffer.from(text, "utf8").toString("base64url");

/**
 * A checkout token of `partner` for `order` and `email`, minted with the
 * CLI as the partner's backend would (options: sub, ttl, now).
 */
export function checkoutToken(partner, { order = `ORD-${randomBytes(4).toString("hex")}`, email = "ada.lovelace@example.com", ...rest } = {}) {
  return seed()[partner].checkoutToken({ order, email, ...rest });
}

/** Headers of a call from `partner`'s backend (its API secret). */
export const backend = (partner) => ({ authorization: `Bearer ${API_SECRETS[partner]}` });

/** An event for a shown offer, as a host reports it with the edge's signed receipt. */
export function engagement(type, offer, extra = {}) {
  return {
    id: randomUUID(),
    type,
    partner: offer.receipt.partner,
    receipt: offer.signedReceipt,
    placement: offer.receipt.placement,
    offerId: offer.offerId,
    creativeId: offer.creativeId,
    campaign: offer.campaign,
    advertiser: offer.advertiser,
    time: new Date().toISOString(),
    propensity: offer.propensity,
    ...extra,
  };
}
