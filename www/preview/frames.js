// Each placement is rendered by the snippet's own component (placement.js)
// inside a same-origin iframe (preview-frame.html) of the target width, so
// the component's media queries see a real 390 px or 1024 px viewport. The
// page and its frames talk by postMessage only (same origin checked).
import { el } from "./dom.js";

export const WIDTHS = [
  { name: "mobile", width: 390 },
  { name: "desktop", width: 1024 },
];

const FRAME_URL = new URL("../preview-frame.html", import.meta.url).href;

/** One iframe at a nominal width, scaled down to fit its box. */
class Frame {
  constructor(placementId, { name, width }, onAction) {
    this.placementId = placementId;
    this.width = width;
    this.height = 120;
    this.pending = null;
    this.ready = false;
    this.onAction = onAction;
    this.iframe = el("iframe", { src: FRAME_URL, title: `Placement ${placementId} at ${name} width (${width} px)`,
      width, height: this.height, "data-width": name, "data-placement": placementId });
    this.box = el("div", { class: "frame-box" }, this.iframe);
    this.caption = el("figcaption", { text: `${name} · ${width} px` });
    this.label = name;
    this.figure = el("figure", { class: `frame frame-${name}` }, this.caption, this.box);
    new ResizeObserver(() => this.fit()).observe(this.box);
  }

  /** Scales the iframe to the box width (never up) and sizes the box to match. */
  fit() {
    const available = this.box.clientWidth;
    if (!available) return;
    const scale = Math.min(1, available / this.width);
    this.iframe.style.transform = scale < 1 ? `scale(${scale})` : "";
    this.iframe.height = String(this.height);
    this.box.style.height = `${Math.ceil(this.height * scale)}px`;
    this.caption.textContent = `${this.label} · ${this.width} px${scale < 1 ? ` (shown at ${Math.round(scale * 100)}%)` : ""}`;
  }

  post(message) {
    this.iframe.contentWindow.postMessage(message, location.origin);
  }

  render(placement, token) {
    this.iframe.dataset.decision = "";
    const message = { type: "render", placement, token };
    if (this.ready) this.post(message);
    else this.pending = message;
  }

  receive(data) {
    if (data.type === "ready") {
      this.ready = true;
      if (this.pending) this.post(this.pending);
      this.pending = null;
    } else if (data.type === "height") {
      this.height = Math.max(40, Math.ceil(data.height));
      this.fit();
    } else if (data.type === "rendered") {
      this.iframe.dataset.decision = data.token;
    } else if (data.type === "action") {
      this.onAction({ placementId: this.placementId, action: data.action, offerId: data.offerId });
    }
  }
}

/**
 * The results' placement area: one block per placement with a frame per
 * width. `onAction({placementId, action, offerId})` gets accept / decline /
 * close from any frame. Returns `{render(decision), clear()}`.
 */
export function placementFrames(container, onAction) {
  const blocks = new Map(); // placement id → {section, frames, summary}

  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || !event.data || typeof event.data.type !== "string") return;
    for (const block of blocks.values()) {
      for (const frame of block.frames) {
        if (frame.iframe.contentWindow === event.source) frame.receive(event.data);
      }
    }
  });

  function block(id) {
    if (!blocks.has(id)) {
      const frames = WIDTHS.map((w) => new Frame(id, w, onAction));
      const heading = el("h3", { text: `Placement “${id}”` });
      const summary = el("p", { class: "placement-summary" });
      const section = el("section", { class: "placement-block", "data-placement": id, "aria-label": `Placement ${id}` },
        heading, summary, el("div", { class: "frames" }, frames.map((f) => f.figure)));
      container.append(section);
      blocks.set(id, { section, frames, summary });
    }
    return blocks.get(id);
  }

  return {
    /** Renders every placement of `decision`; each frame reports `token` once it shows it. */
    render(decision, info, token) {
      const ids = new Set(decision.placements.map((p) => p.id));
      for (const [id, b] of blocks) {
        if (!ids.has(id)) {
          b.section.remove();
          blocks.delete(id);
        }
      }
      for (const placement of decision.placements) {
        const b = block(placement.id);
        const max = info?.placements?.find((p) => p.id === placement.id)?.maxOffers;
        b.summary.textContent = placement.offers.length
          ? `Shown (${placement.offers.length}${max ? ` of max ${max}` : ""}): ${placement.offers.map((o) => o.offerId).join(", ")}`
          : "No offer would show in this placement for this shopper.";
        b.section.dataset.shown = placement.offers.map((o) => o.offerId).join(" ");
        for (const frame of b.frames) frame.render(placement, token);
      }
      container.hidden = false;
    },
    clear() {
      for (const b of blocks.values()) b.section.remove();
      blocks.clear();
      container.hidden = true;
    },
    /** Hides the frames but keeps them (a frame removed while it loads aborts its requests). */
    hide() {
      container.hidden = true;
    },
  };
}
