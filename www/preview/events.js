// What the snippet WOULD send: the preview never talks to a collector. Each
// engagement builds the real event with `engine.event(...)` and shows it,
// after a redaction pass (events carry no raw PII by design; the pass is a
// second line of defence for anything the persona typed).
import { byId, el } from "./dom.js";

const PII_KEYS = new Set(["email", "phone", "firstname", "lastname", "zipcode", "dob", "ccbin"]);

/** A deep copy of `value` with PII keys and any of the `raw` strings replaced by "[redacted]". */
export function redact(value, raw = []) {
  const needles = raw.filter((s) => s && s.length > 2).map((s) => s.toLowerCase());
  const walk = (v, key) => {
    if (key !== undefined && PII_KEYS.has(key)) return "[redacted]";
    if (typeof v === "string") {
      const lower = v.toLowerCase();
      return needles.some((n) => lower.includes(n)) ? "[redacted]" : v;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value);
}

/** The "would be sent" log; returns `{add(event), clear()}`. */
export function eventLog() {
  const list = byId("event-log");
  const empty = byId("event-empty");
  return {
    add(event, note = "") {
      empty.hidden = true;
      for (const open of list.querySelectorAll("details[open]")) open.open = false;
      const item = el("li", { "data-type": event.type ?? "", "data-offer": event.offerId ?? "" },
        el("details", { open: true },
          el("summary", { class: "event-head" }, el("strong", { text: event.type ?? "event" }), ` · ${event.offerId ?? ""}${note ? ` · ${note}` : ""}`),
          el("pre", { tabindex: "0", "aria-label": `${event.type} event JSON`, text: JSON.stringify(event, null, 2) })));
      list.prepend(item);
      while (list.children.length > 20) list.lastElementChild.remove();
    },
    clear() {
      list.replaceChildren();
      empty.hidden = false;
    },
  };
}
