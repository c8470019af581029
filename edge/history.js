// ShopperHistory: the authoritative history of one shopper of one partner
// (Durable Object named "<partner>:<sha256 of partner + attested shopper ref>").
// Decisions and engagements for the shopper run here strictly one at a time
// (blockConcurrencyWhile: no other request enters while one awaits the
// bundle or storage), so caps hold under concurrent requests and cannot be
// bypassed by clearing the browser.
//
// Caps are reserved when deciding: every offer an edge decision shows is
// counted as an impression at once (a reservation, `reserved` holds
// `<decisionId>:<offerId>`), so ten concurrent decides cannot all show an
// offer capped at two. The impression event of that decision later confirms
// the reservation and is not counted again. (A reservation whose impression
// never comes stays counted: caps err on the side of showing less.)
import { DurableObject } from "cloudflare:workers";
import { measured, runDecision } from "./decide.js";
import { replay, withEngine } from "./engine.js";
import { asResult, HttpError } from "./http.js";

/** Reservations kept per shopper (oldest dropped first): far more than a shopper's open decisions. */
const MAX_RESERVED = 256;

export class ShopperHistory extends DurableObject {
  /**
   * Refuses to serve a partner other than the one this object was made for;
   * claims the object for `partner` when `claim` (only writes claim it: a
   * decision without measurement consent leaves no trace here).
   */
  async #owner(partner, claim = true) {
    const stored = await this.ctx.storage.get("partner");
    if (stored === undefined) {
      if (claim) await this.ctx.storage.put("partner", partner);
    } else if (stored !== partner) {
      throw new HttpError(403, "PARTNER_MISMATCH", "this history belongs to another partner");
    }
  }

  /**
   * Decides with the stored history and stores the history the Engine
   * returns. Answers `{decision}` or `{error: {status, code, message}}`
   * (an HttpError's fields do not survive RPC as a throw).
   */
  async decide(input, key, nowMs) {
    return asResult(() => this.ctx.blockConcurrencyWhile(async () => {
      await this.#owner(input.partner, false);
      const blob = (await this.ctx.storage.get("history")) ?? null;
      const { decision, history } = await runDecision(this.env, input, blob, nowMs);
      // Without measurement consent: history read for caps, never written (docs/PRIVACY.md).
      if (!measured(decision)) return { decision };
      await this.#owner(input.partner);
      const shown = decision.placements.flatMap((p) => p.offers.map((o) => ({ type: "impression", offerId: o.offerId, timeMs: nowMs })));
      const reserved = await withEngine(this.env, input.partner, nowMs, (engine) => replay(engine, history, shown));
      const keys = decision.placements.flatMap((p) => p.offers.map((o) => `${decision.decisionId}:${o.offerId}`));
      const open = [...((await this.ctx.storage.get("reserved")) ?? []), ...keys].slice(-MAX_RESERVED);
      await this.ctx.storage.put({ history: reserved.blob, key, reserved: open });
      return { decision };
    }));
  }

  /**
   * Applies engagements `[{type, offerId, timeMs, decisionId?}]` in time
   * order; an impression that confirms a reservation of this object's own
   * decision is not counted again. Returns the new blob size. Offers the
   * active bundle no longer has are skipped.
   */
  async record(partner, engagements) {
    return asResult(() => this.ctx.blockConcurrencyWhile(() => this.#record(partner, engagements)));
  }

  async #record(partner, engagements) {
    await this.#owner(partner);
    const stored = (await this.ctx.storage.get("history")) ?? null;
    const open = new Set((await this.ctx.storage.get("reserved")) ?? []);
    const fresh = engagements.filter((e) => !(e.type === "impression" && open.delete(`${e.decisionId}:${e.offerId}`)));
    const { blob, applied } = await withEngine(this.env, partner, Date.now(), (engine) => replay(engine, stored, fresh));
    await this.ctx.storage.put(applied ? { history: blob, reserved: [...open] } : { reserved: [...open] });
    return { applied, bytes: blob ? blob.length : 0 };
  }

  /** Erases this shopper's history (DELETE /v1/shoppers: docs/PRIVACY.md); returns whether anything was stored. */
  async forget(partner) {
    return asResult(() => this.ctx.blockConcurrencyWhile(async () => {
      await this.#owner(partner, false);
      const had = (await this.ctx.storage.get("partner")) !== undefined;
      await this.ctx.storage.deleteAll();
      return { erased: had };
    }));
  }

  /** Size and owner of the stored history (tests and operators). */
  async describe() {
    const [partner, history] = await Promise.all([this.ctx.storage.get("partner"), this.ctx.storage.get("history")]);
    return { partner: partner ?? null, bytes: history ? history.length : 0 };
  }
}
