// ShopperHistory: the authoritative history of one shopper of one partner
// (Durable Object named "<partner>:<sha256 of partner+shopperId>"). Decisions
// and engagements for the shopper run here one at a time, so caps hold even
// under concurrent requests and cannot be bypassed by clearing the browser.
import { DurableObject } from "cloudflare:workers";
import { runDecision } from "./decide.js";
import { replay, withEngine } from "./engine.js";
import { asResult, HttpError } from "./http.js";

export class ShopperHistory extends DurableObject {
  /** Refuses to serve a partner other than the one this object was made for. */
  async #owner(partner) {
    const stored = await this.ctx.storage.get("partner");
    if (stored === undefined) {
      await this.ctx.storage.put("partner", partner);
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
    return asResult(async () => {
      await this.#owner(input.partner);
      const blob = (await this.ctx.storage.get("history")) ?? null;
      const { decision, history } = await runDecision(this.env, input, blob, nowMs);
      await this.ctx.storage.put({ history, key });
      return { decision };
    });
  }

  /**
   * Applies engagements `[{type, offerId, timeMs}]` in time order; returns
   * the new blob size. Offers the active bundle no longer has are skipped.
   */
  async record(partner, engagements) {
    return asResult(() => this.#record(partner, engagements));
  }

  async #record(partner, engagements) {
    await this.#owner(partner);
    const stored = (await this.ctx.storage.get("history")) ?? null;
    const { blob, applied } = await withEngine(this.env, partner, Date.now(), (engine) => replay(engine, stored, engagements));
    if (applied) await this.ctx.storage.put("history", blob);
    return { applied, bytes: blob ? blob.length : 0 };
  }

  /** Size and owner of the stored history (tests and operators). */
  async describe() {
    const [partner, history] = await Promise.all([this.ctx.storage.get("partner"), this.ctx.storage.get("history")]);
    return { partner: partner ?? null, bytes: history ? history.length : 0 };
  }
}
