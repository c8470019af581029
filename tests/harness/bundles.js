// Test partners made with the real CLI (target/…/offer-edge): a workspace
// folder with its keys, key generation, pinned trust configs, and the
// trimming of a generated demo bundle down to a few always-shown offers.
// scripts/lib/edge.mjs's seedPartner seeds a whole partner in one call; the
// browser and preview suites lay theirs out step by step with these.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../../scripts/lib/edge.mjs";
import { root, scratchDir } from "./util.js";

/**
 * A temporary folder (removed at exit) with a `keys/` folder, and the CLI
 * run in it: `{dir, keys, run(...args) → stdout, keygen(keyid, kind?),
 * trust(partner, keyids, {threshold, out}) → the trust config}` (`trust`
 * pins the public keys of `keyids` from `keys/`, writes `out`, by default
 * `trust.json` in `dir`).
 */
export function cliWorkspace(prefix) {
  const dir = scratchDir(prefix);
  const bin = cli();
  const run = (...args) => execFileSync(bin, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const keys = join(dir, "keys");
  mkdirSync(keys);
  const keygen = (keyid, kind) => run("keygen", "--out-dir", keys, "--keyid", keyid, ...(kind ? ["--kind", kind] : []));
  const trust = (partner, keyids, { threshold, out = join(dir, "trust.json") } = {}) => {
    run("trust", "--partner", partner, ...(threshold ? ["--threshold", String(threshold)] : []),
      ...keyids.flatMap((id) => ["--pub", join(keys, `${id}.pub`)]), "-o", out);
    return JSON.parse(readFileSync(out, "utf8"));
  };
  return { dir, keys, run, keygen, trust };
}

/**
 * Keeps only `offers` of bundle `b` (always eligible, uncapped, no email,
 * all in the confirmation placement, which shows up to 3) and the model
 * entries for them. Returns `b`.
 */
export function keepOffers(b, offers) {
  for (const o of offers) {
    o.eligibility = null;
    o.schedule = { start: null, end: null };
    o.placements = ["confirmation"];
    o.caps = [];
    o.creative.confirmationEmail = null;
  }
  const ids = new Set(offers.map((o) => o.id));
  b.offers = offers;
  b.placements = b.placements.filter((p) => p.id === "confirmation").map((p) => ({ ...p, maxOffers: 3 }));
  b.model.offers = Object.fromEntries(Object.entries(b.model.offers ?? {}).filter(([id]) => ids.has(id)));
  if (b.model.exploration?.priors) {
    b.model.exploration.priors = Object.fromEntries(Object.entries(b.model.exploration.priors).filter(([id]) => ids.has(id)));
  }
  return b;
}

/**
 * Trims a generated demo bundle `b` to its first coupon, link and addToCart
 * offers, of different advertisers (`keepOffers`: all three shown). No offer
 * names an audience: none ships, so there is no page bundle and the edge
 * serves the bundle itself. The coupon needs a confirmation email with
 * `email`'s subject and html (text and a reminder after a day fixed).
 * Returns the three offers, in that order.
 */
export function threeOffers(b, email) {
  const pick = (type) => b.offers.find((o) => o.action.type === type);
  const offers = [pick("coupon"), pick("link"), pick("addToCart")];
  for (const o of offers) o.audiences = { include: [], exclude: [] };
  keepOffers(b, offers);
  b.audiences = [];
  offers[0].creative.confirmationEmail = { required: true, ...email, text: "Your code is {{couponCode}}.", reminderAfter: "1d" };
  return offers;
}
