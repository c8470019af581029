// A selection: the offers decided for one page view, rendered, with the
// shopper's engagement turned into history (at once, locally) and events
// (queued for the collector), and the host's handlers called. When the
// decision does not let the page measure (its `privacy`, oe-consent.js),
// engagement is neither recorded nor sent: the edge counted the decision's
// impressions itself when it decided.
import { codeOf, messageOf, warn } from "./oe-log.js";
import { fillNames } from "./oe-edge.js";
import { fill, hostText } from "./oe-strings.js";

const TYPES = new Set(["accept", "decline", "close", "impression", "coupon"]);

/**
 * What host handlers see of a decided offer (no receipt internals needed);
 * `needsConfirmationEmail` only where the email can go (`measured`: the
 * accept event carries it).
 */
function publicOffer(o, placement, measured) {
  return {
    offerId: o.offerId,
    creativeId: o.creativeId,
    campaign: o.campaign,
    advertiser: o.advertiser,
    placement,
    rank: o.rank,
    needsConfirmationEmail: o.needsConfirmationEmail && measured,
    action: { ...o.action },
    fields: { ...o.fields },
  };
}

/**
 * What the placement says after an accept (texts `t`, oe-strings.js).
 * `done`: the host's answer to onAction (`{done, message}`), or null when it
 * has none: only a host that confirmed it may make an addToCart say
 * "Added to your order"; otherwise the text promises nothing about the cart.
 */
function acceptedText(offer, unconfirmed, t, done = null) {
  const a = offer.action || {};
  if (a.type === "coupon" && a.code) return fill(t.code ?? "{code}", { code: a.code });
  // A unique coupon's code comes in the answer to its accept (revealCode): until then pending, or why none came.
  if (a.unique) return a.refused ? (a.refused === "COUPON_POOL_EMPTY" && t.codeGone) || t.codeRefused : t.codePending;
  // The host's own words come after a code (which must show) and before ours.
  if (done && done.message) return done.message;
  if (unconfirmed) return t.accepted;
  if (a.type === "addToCart") return done && done.done ? t.added : t.addUnconfirmed;
  return t.onItsWay;
}

const TIMED_OUT = Symbol("timed out");

/** Resolves with `promise`'s value, or `fallback` after `ms`. */
export function within(promise, ms, fallback) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

export class Selection {
  /** A selection with nothing in it (no bundle, no target, or a failure). */
  static empty() {
    return new Selection(null, null, {}, null, false);
  }

  /**
   * `token`: the order's checkout token cell (`{value, settled, promise}`,
   * shape-checked; null for the empty selection); every event carries it.
   * `measured`: whether the decision lets the page keep history and send
   * events (oe-consent.js, `measures`).
   */
  constructor(launcher, decision, request, token, measured) {
    this.launcher = launcher;
    this.decision = decision;
    this.request = request;
    this.token = token;
    this.measured = measured;
    this.handlers = new Map();
    this.entries = new Map(); // offerId → {offer, placement}
    this.views = new Map(); // placement id → view
    this.impressed = new Set();
    this.accepted = new Set();
    this.pending = null; // an accept waiting for the shopper's email
  }

  /**
   * The snippet's texts in the shopper's language (the launcher's; none when
   * no table could load: the placement then says English or "✓", and claims nothing).
   */
  get strings() {
    return this.launcher?.strings ?? {};
  }

  /** The offers shown, as host handlers see them. */
  get offers() {
    return [...this.entries.values()].map((e) => this.public(e));
  }

  /** What the decision's privacy choices removed (the engine's `privacy`), or null (empty, or an engine without it). */
  get privacy() {
    return this.decision?.privacy ?? null;
  }

  public(entry) {
    return publicOffer(entry.offer, entry.placement, this.measured);
  }

  /** Decision id (null when empty). */
  get decisionId() {
    return this.decision ? this.decision.decisionId : null;
  }

  /** Registers `handler(offer)` for `accept` | `decline` | `close` | `impression`; chainable. */
  on(type, handler) {
    if (TYPES.has(type) && typeof handler === "function") {
      if (!this.handlers.has(type)) this.handlers.set(type, []);
      this.handlers.get(type).push(handler);
    } else warn("HANDLER_INVALID", `selection.on(${String(type)}): unknown event or not a function`);
    return this;
  }

  /** Calls the host's handlers for `type` in order; their errors are caught. */
  async emit(type, payload) {
    for (const handler of this.handlers.get(type) ?? []) {
      try {
        await handler(payload);
      } catch (e) {
        warn("HANDLER_ERROR", `a host ${type} handler threw: ${messageOf(e)}`);
      }
    }
  }

  render(targets, renderPlacement) {
    for (const p of this.decision.placements) {
      const target = targets.get(p.id);
      if (!target || !p.offers.length) continue;
      for (const o of p.offers) this.entries.set(o.offerId, { offer: o, placement: p.id });
      for (const old of target.querySelectorAll(":scope > [data-offer-edge-placement]")) {
        if (old.getAttribute("data-offer-edge-placement") === p.id) old.remove();
      }
      const host = document.createElement("div");
      host.className = "offer-edge-placement";
      host.setAttribute("data-offer-edge-placement", p.id);
      target.append(host);
      const view = renderPlacement(host, p, {
        focus: Boolean(this.request.focus),
        label: this.request.label,
        strings: this.strings,
        onAccept: (id) => this.safely("accept", () => this.accept(id)),
        onDecline: (id) => this.safely("decline", () => this.decline(id)),
        onClose: () => this.safely("close", () => this.closePlacement(p.id)),
        onVisible: (id) => this.safely("impression", () => this.impression(id)),
      });
      // An edge decision rendered the shopper's names as markers: fill them in here.
      if (p.offers.some((o) => o.signedReceipt) && host.shadowRoot) fillNames(host.shadowRoot, this.request.attributes);
      this.views.set(p.id, view);
    }
  }

  /** Runs an interaction; whatever fails is warned about, never thrown into the page. */
  safely(what, fn) {
    Promise.resolve()
      .then(fn)
      .catch((e) => warn(codeOf(e), `${what} failed: ${messageOf(e)}`));
  }

  /** History at once (the page's, see Launcher.record), then the event into the queue; neither unless measured. */
  engage(type, offerId) {
    const entry = this.entries.get(offerId);
    // No events without measurement consent, so no unique coupon code either (docs/EDGE.md).
    if (entry && !this.measured && type === "accept" && entry.offer.action.unique) entry.offer.action = { ...entry.offer.action, refused: "NOT_MEASURED" };
    if (!entry || !this.launcher || !this.measured) return entry ?? null;
    this.launcher.record(type, offerId);
    if (type !== "accept" || !entry.offer.needsConfirmationEmail) this.send(type, entry.offer);
    return entry;
  }

  /**
   * Queues the event: at once when the checkout token is known, else when
   * the host's token promise settles or tokenWaitMs have passed (then
   * without it: an event is never held back for long by a token that may
   * never come).
   */
  send(type, offer, fulfilment) {
    const l = this.launcher;
    const forgotten = l.forgotten;
    const queue = () => {
      // launcher.forget() since: this engagement is forgotten too.
      if (l.forgotten !== forgotten) return;
      try {
        const e = this.event(type, offer, fulfilment);
        l.queue.push(e);
        if (type === "accept" && offer.action?.unique) this.revealCode(offer.offerId, e.id);
      } catch (e) {
        warn(codeOf(e), `event not queued: ${messageOf(e)}`);
      }
    };
    if (this.token.settled) queue();
    else within(this.token.promise, l.o.tokenWaitMs, undefined).then(queue);
  }

  /**
   * A unique coupon (docs/EDGE.md, "Unique coupon codes"): its accept goes
   * at once by fetch, and the collector's answer carries the code only for
   * an attested accept. Shows it (or why there is none) and tells the host:
   * `coupon` event, the offer with `action.code` or `action.refused`.
   */
  async revealCode(offerId, eventId) {
    const c = await this.launcher.queue.answerFor(eventId, 15_000);
    const entry = this.entries.get(offerId);
    if (!entry) return;
    const code = typeof c?.code === "string" ? c.code : null;
    const refused = code ? null : (c?.refused ?? "NO_ANSWER");
    entry.offer.action = { ...entry.offer.action, ...(code ? { code } : { refused }) };
    const offer = this.public(entry);
    this.views.get(entry.placement)?.markAccepted(offerId, acceptedText(offer, false, this.strings));
    this.emit("coupon", offer);
  }

  /** The event, with the order's checkout token (if any). */
  event(type, offer, fulfilment) {
    return this.launcher.event(type, offer, { fulfilment, checkout: this.token.value });
  }

  impression(offerId) {
    if (this.impressed.has(offerId)) return;
    this.impressed.add(offerId);
    const entry = this.engage("impression", offerId);
    if (entry) this.emit("impression", this.public(entry));
  }

  async accept(offerId) {
    if (this.accepted.has(offerId)) return;
    this.accepted.add(offerId);
    const entry = this.engage("accept", offerId);
    if (!entry) return;
    const view = this.views.get(entry.placement);
    const offer = this.public(entry);
    const t = this.strings;
    // The host's onAction runs alongside the accept handlers; its answer says what the placement may claim.
    const acting = this.act(offer);
    if (!offer.needsConfirmationEmail) {
      // An offer whose confirmation cannot go (not measured): no promise of one.
      const unconfirmed = entry.offer.needsConfirmationEmail;
      view.markAccepted(offerId, acting && offer.action.type === "addToCart" && !unconfirmed ? t.addPending : acceptedText(offer, unconfirmed, t));
      const hasHandler = (this.handlers.get("accept") ?? []).length > 0;
      await this.emit("accept", offer);
      const done = acting ? await acting : null;
      // this.public(entry): a unique coupon's code may have come meanwhile (revealCode).
      if (acting) view.markAccepted(offerId, acceptedText(this.public(entry), unconfirmed, t, done));
      if (!hasHandler && !(done && done.done) && offer.action.type === "link" && offer.action.url) {
        window.open(offer.action.url, "_blank", "noopener,noreferrer");
      }
      return;
    }
    // Two-step PII: only now may the email be asked for. The host's handler
    // may give it (setAttributes); otherwise the placement asks the shopper.
    this.pending = { entry, view };
    await this.emit("accept", offer);
    if (this.pending && this.pending.entry === entry) {
      view.askEmail(offerId, {
        onSubmit: async (email) => ((await this.setAttributes({ email }))
          ? { ok: true }
          : { ok: false, error: t.emailInvalid }),
        onCancel: () => this.finishPending(t.acceptedNoEmail),
      });
    }
  }

  /**
   * Two-step PII: `{email}` after an accept of an offer that needs a
   * confirmation email. Sealed in WASM to the partner's fulfilment key and
   * sent with the accept; otherwise not used. Resolves true when sent.
   */
  async setAttributes(attributes) {
    try {
      const email = attributes && attributes.email;
      if (typeof email !== "string") return false;
      const pending = this.pending;
      if (!pending) {
        warn("EMAIL_NOT_REQUESTED", "an email is only used after the shopper accepts an offer that needs a confirmation; it was not used");
        return false;
      }
      const fulfilment = await this.launcher.seal(email, pending.entry.offer.receipt);
      if (this.pending !== pending) return false; // cancelled or sent meanwhile
      this.pending = null;
      this.send("accept", pending.entry.offer, fulfilment);
      pending.view.markAccepted(pending.entry.offer.offerId, this.strings.emailSent);
      return true;
    } catch (e) {
      warn(codeOf(e), `email not used: ${messageOf(e)}`);
      return false;
    }
  }

  /** An accept still waiting for an email is sent without one (cancel, page unload). */
  finishPending(text = this.strings.accepted) {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.send("accept", pending.entry.offer);
    pending.view.markAccepted(pending.entry.offer.offerId, text);
  }

  /**
   * The host's `onAction({type, sku, url, offer})` for an accepted offer:
   * resolves to `{done, message}` (`message`: its text, bounded, or null),
   * or null when the host has none. A host that throws, rejects or takes
   * longer than `actionTimeoutMs` counts as not done, reported with
   * ACTION_FAILED / ACTION_TIMEOUT; never rejects.
   */
  act(offer) {
    const o = this.launcher?.o;
    if (!o || typeof o.onAction !== "function") return null;
    const a = offer.action;
    const call = Promise.resolve().then(() => o.onAction(Object.freeze({ type: a.type, sku: a.sku ?? null, url: a.url ?? null, offer })));
    const failed = (code, why) => {
      warn(code, `onAction ${why} (${a.type} of ${offer.offerId})`);
      return { done: false, message: null };
    };
    return within(call, o.actionTimeoutMs, TIMED_OUT).then(
      (r) => (r === TIMED_OUT ? failed("ACTION_TIMEOUT", `gave no answer in ${o.actionTimeoutMs} ms`) : { done: r?.done === true, message: hostText(r?.message) }),
      (e) => failed("ACTION_FAILED", `threw: ${messageOf(e)}`),
    );
  }

  decline(offerId) {
    const entry = this.engage("decline", offerId);
    if (!entry) return;
    this.views.get(entry.placement).removeOffer(offerId);
    this.emit("decline", this.public(entry));
  }

  closePlacement(placementId) {
    const view = this.views.get(placementId);
    if (!view) return;
    for (const id of view.offerIds()) {
      if (!this.accepted.has(id)) this.engage("close", id);
    }
    view.remove();
    this.views.delete(placementId);
    this.emit("close", { placement: placementId });
  }

  /** Removes the rendered placements (no events): e.g. before selecting again. */
  destroy() {
    try {
      for (const view of this.views.values()) view.remove();
      this.views.clear();
      if (this.launcher) this.launcher.selections.delete(this);
    } catch {
      // never into the host page
    }
  }
}
