// The placement component: one decided placement rendered into a Shadow DOM,
// with its controls wired. Used by the checkout snippet (offer-edge.js) and
// reusable by the preview page:
//
//   import { renderPlacement } from "./placement.js";
//   const view = renderPlacement(hostElement, decision.placements[0], {
//     onAccept(offerId) {}, onDecline(offerId) {}, onClose() {}, onVisible(offerId) {},
//   });
//
// Safety: the markup is `placement.html` from the engine, produced by our own
// template engine with contextual auto-escaping (docs/TEMPLATES.md): every
// value is escaped for where it lands, URL attributes are scheme-checked, and
// templates with scripts, `on*` handlers, `style` or raw output do not compile.
// That is the one HTML sink, behind the one Trusted Types policy `offer-edge`.
// Everything else the component adds is built with DOM APIs and textContent.

import { trustedHTML } from "./oe-trusted.js";

/* global __OE_STYLESHEET_URL__, __OE_STYLESHEET_TEXT__ */
// Content-hashed next to the built snippet (scripts/build-www), else next to this file.
const STYLESHEET = new URL(typeof __OE_STYLESHEET_URL__ === "string" ? __OE_STYLESHEET_URL__ : "./offer-edge.css", import.meta.url).href;
// The built snippet carries offer-edge.css itself (1.3 KB gzip): a constructed
// stylesheet shared by every placement applies at once — no request, no
// load event to wait for before the offers can show.
let sheet;
function builtInSheet() {
  if (sheet === undefined) {
    sheet = null;
    try {
      if (typeof __OE_STYLESHEET_TEXT__ === "string" && typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in Document.prototype) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(__OE_STYLESHEET_TEXT__);
      }
    } catch {
      sheet = null; // fall back to the stylesheet link
    }
  }
  return sheet;
}

const cleanups = new WeakMap();
function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Renders `placement` ({id, html, offers}) into `host`'s (open) shadow root,
 * replacing what was there. `handlers` (all optional):
 * - `onAccept(offerId)`, `onDecline(offerId)`, `onClose()`: the controls
 *   (buttons with `data-action="accept|decline|close"` and `data-offer-id`);
 *   Escape inside the placement is Close.
 * - `onVisible(offerId)`: an offer became ≥ 50 % visible (once per offer).
 * - `focus`: move focus into the placement once it is shown.
 * - `label`: the region's accessible name; `stylesheet`: CSS URL.
 * - `strings`: the snippet's texts in the shopper's language (oe-strings.js):
 *   the region's name, the close buttons' label, the email form's texts
 *   (English when absent).
 * Returns a view: `{root, region, announce(text), markAccepted(offerId, text),
 * askEmail(offerId, {onSubmit, onCancel}), removeOffer(offerId), remove(),
 * offerIds()}`.
 */
export function renderPlacement(host, placement, handlers = {}) {
  const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
  const t = handlers.strings ?? {};
  if (cleanups.has(root)) cleanups.get(root)();
  root.replaceChildren();

  const adopted = handlers.stylesheet ? null : builtInSheet();
  const link = adopted ? null : el("link", { rel: "stylesheet", href: handlers.stylesheet ?? STYLESHEET });
  const region = el("div", {
    class: "oe-root",
    role: "region",
    "aria-label": handlers.label ?? t.region ?? "Offers selected for you",
    tabindex: "-1",
    "data-placement": placement.id,
  });
  region.hidden = true; // until the stylesheet applies (no flash of unstyled offers)
  const content = el("div", { class: "oe-content" });
  content.innerHTML = trustedHTML(placement.html);
  // The close control's name in the shopper's language (a layout's glyph, e.g. ×, says nothing).
  if (t.close) for (const close of content.querySelectorAll('[data-action="close"]')) close.setAttribute("aria-label", t.close);
  const live = el("div", { class: "oe-live", role: "status", "aria-live": "polite" });
  region.append(content, live);
  if (adopted) root.adoptedStyleSheets = [adopted];
  root.append(...(link ? [link] : []), region);

  for (const img of content.querySelectorAll("img")) {
    img.addEventListener("error", () => img.remove(), { once: true });
  }

  const show = () => {
    if (!region.isConnected) return;
    region.hidden = false;
    if (handlers.focus) region.focus();
  };
  if (link) {
    link.addEventListener("load", show, { once: true });
    link.addEventListener("error", show, { once: true });
  } else {
    region.hidden = false; // styled at once
    if (handlers.focus) queueMicrotask(show);
  }

  const call = (name, ...args) => {
    try {
      const f = handlers[name];
      if (typeof f === "function") f(...args);
    } catch (e) {
      console.warn(`offer-edge: placement handler ${name} threw`, e);
    }
  };

  const onClick = (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-action]") : null;
    if (!button || !content.contains(button)) return;
    const action = button.getAttribute("data-action");
    const offerId = button.getAttribute("data-offer-id");
    if (action === "accept" && offerId) call("onAccept", offerId);
    else if (action === "decline" && offerId) call("onDecline", offerId);
    else if (action === "close") call("onClose");
  };
  const onKey = (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      call("onClose");
    }
  };
  region.addEventListener("click", onClick);
  region.addEventListener("keydown", onKey);

  // Impressions: an offer counts as seen when ≥ 50 % of it is on screen.
  const seen = new Set();
  const offerElement = (id) => [...content.querySelectorAll("[data-offer-id]:not([data-action])")]
    .find((n) => n.getAttribute("data-offer-id") === id);
  let observer = null;
  if (typeof IntersectionObserver === "function") {
    observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting || entry.intersectionRatio < 0.5) continue;
        const ids = entry.target === region ? placement.offers.map((o) => o.offerId) : [entry.target.getAttribute("data-offer-id")];
        observer.unobserve(entry.target);
        for (const id of ids) {
          if (id && !seen.has(id)) {
            seen.add(id);
            call("onVisible", id);
          }
        }
      }
    }, { threshold: [0.5] });
    const targets = placement.offers.map((o) => offerElement(o.offerId)).filter(Boolean);
    // A custom layout without per-offer wrappers: the whole region counts.
    for (const t of targets.length === placement.offers.length ? targets : [region]) observer.observe(t);
  }

  const cleanup = () => {
    if (observer) observer.disconnect();
    region.removeEventListener("click", onClick);
    region.removeEventListener("keydown", onKey);
  };
  cleanups.set(root, cleanup);

  const view = {
    root,
    region,
    /** Says `text` to screen readers (polite live region). */
    announce(text) {
      live.textContent = text;
    },
    /**
     * Replaces the offer's buttons with a confirmation line (or updates the
     * line already there), said to screen readers. Focus that was on the
     * removed controls moves to the line, not to the page's start.
     */
    markAccepted(offerId, text = "✓") {
      const offer = offerElement(offerId);
      const had = root.activeElement && offer && offer.contains(root.activeElement);
      let note = offer && offer.querySelector(".oe-accepted");
      if (note) note.textContent = text;
      else {
        note = el("p", { class: "oe-accepted", tabindex: "-1" }, text);
        const actions = offer && offer.querySelector(".oe-email, .oe-actions");
        if (actions) actions.replaceWith(note);
        else if (offer) {
          for (const b of offer.querySelectorAll("[data-action]")) b.remove();
          offer.append(note);
        }
      }
      if (had && note.isConnected) note.focus();
      view.announce(text);
    },
    /**
     * Asks for the shopper's email inside the offer (two-step PII: called
     * only after an accept). `onSubmit(email)` resolves to `{ok, error?}`.
     */
    askEmail(offerId, { onSubmit, onCancel, prompt = t.emailPrompt ?? "Where should we send your confirmation?" }) {
      const offer = offerElement(offerId) ?? content;
      const form = el("form", { class: "oe-email", novalidate: "" });
      const id = `oe-email-${offerId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      const label = el("label", { for: id }, prompt);
      // The error line describes the field, so a screen reader says it with the field too.
      const input = el("input", { id, type: "email", name: "email", autocomplete: "email", required: "", inputmode: "email", "aria-describedby": `${id}-error` });
      const error = el("p", { id: `${id}-error`, class: "oe-error", role: "alert" });
      const send = el("button", { type: "submit", class: "oe-accept" }, t.send ?? "Send");
      const cancel = el("button", { type: "button", class: "oe-decline" }, t.cancel ?? "Cancel");
      const row = el("div", { class: "oe-email-actions" });
      row.append(send, cancel);
      form.append(label, input, error, row);
      const actions = offer.querySelector(".oe-actions");
      if (actions) actions.replaceWith(form);
      else offer.append(form);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        send.disabled = true;
        let result;
        try {
          result = await onSubmit(input.value);
        } catch {
          result = { ok: false };
        }
        send.disabled = false;
        if (!(result && result.ok)) {
          error.textContent = (result && result.error) || t.emailInvalid || "Please check the email address.";
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
      cancel.addEventListener("click", () => {
        form.remove();
        if (onCancel) onCancel();
      });
      input.focus();
      return form;
    },
    /** Removes one offer; the whole placement when it was the last. Focus inside it goes to the region. */
    removeOffer(offerId) {
      const offer = offerElement(offerId);
      const had = root.activeElement && offer && offer.contains(root.activeElement);
      if (offer) offer.remove();
      if (!content.querySelector("[data-offer-id]")) view.remove();
      else if (had) region.focus();
    },
    /** Removes the placement (and its shadow content). */
    remove() {
      cleanup();
      root.replaceChildren();
      host.hidden = true;
    },
    /** Ids of the offers still displayed. */
    offerIds() {
      return [...new Set([...content.querySelectorAll("[data-offer-id]")].map((n) => n.getAttribute("data-offer-id")))];
    },
  };
  host.hidden = false;
  return view;
}
