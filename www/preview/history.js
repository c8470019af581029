// The simulated shopper history: a list of engagements (impressions,
// declines, accepts, closes per offer, each with a time) that is replayed
// through `engine.replay` into a fresh history blob before every decision,
// so editing any entry shows its effect on caps and suppression at once.
import { byId, el, fromLocalInput, status, toLocalInput, utc } from "./dom.js";

export const TYPES = ["impression", "accept", "decline", "close", "conversion"];

const refusal = (e) => `${e.code ?? "ERROR"}: ${e.message}`;

/**
 * Replays `entries` at their times into a blob (`engine.replay`: oldest
 * first). Entries after `now` are skipped (history cannot hold the future);
 * ones naming an offer this bundle lacks (`engine.offer`) are reported and
 * the others still replayed. Returns `{blob, skipped, refused, failed}`:
 * `failed` says why nothing was replayed (e.g. too many entries), if so.
 */
export function replay(engine, entries, now) {
  const sorted = [...entries].sort((a, b) => a.at - b.at);
  const skipped = sorted.filter((entry) => entry.at > now);
  const refused = [];
  const due = sorted.filter((entry) => {
    if (entry.at > now) return false;
    if (engine.offer(entry.offerId)) return true;
    refused.push({ entry, message: `EVENT_INVALID: offer ${JSON.stringify(entry.offerId)} is not in this bundle` });
    return false;
  });
  try {
    return { blob: engine.replay(null, due), skipped, refused, failed: null };
  } catch (e) {
    return { blob: null, skipped, refused, failed: refusal(e) };
  }
}

/**
 * Wires the history panel. `now()` is the simulated time; `onChange()` runs
 * after every edit. Returns `{entries(), add(type, offerId, at), setOffers(ids), report(result)}`.
 */
export function historyPanel({ now, onChange }) {
  const body = byId("history-rows");
  const empty = byId("history-empty");
  const addType = byId("history-type");
  const addOffer = byId("history-offer");
  const addAt = byId("history-at");
  const offerList = byId("history-offers");
  const note = byId("history-status");
  let list = [];
  let nextId = 1;

  addType.replaceChildren(...TYPES.map((t) => el("option", { value: t, text: t })));

  function render() {
    body.replaceChildren();
    empty.hidden = list.length > 0;
    for (const entry of [...list].sort((a, b) => a.at - b.at)) {
      const remove = el("button", { type: "button", class: "small", "aria-label": `Remove ${entry.type} of ${entry.offerId} at ${utc(entry.at)}`, text: "Remove" });
      remove.addEventListener("click", () => {
        list = list.filter((e) => e.id !== entry.id);
        render();
        onChange();
      });
      body.append(el("tr", { "data-entry": entry.id },
        el("td", { text: utc(entry.at) }),
        el("td", { text: entry.type }),
        el("td", {}, el("code", { text: entry.offerId })),
        el("td", {}, remove)));
    }
  }

  function add(type, offerId, at) {
    list.push({ id: nextId++, type, offerId, at });
    render();
  }

  byId("history-add").addEventListener("click", () => {
    const offerId = addOffer.value.trim();
    const at = fromLocalInput(addAt.value);
    if (!offerId) {
      status(note, "Pick an offer id first.", "error");
      addOffer.focus();
      return;
    }
    add(addType.value, offerId, Number.isFinite(at) ? at : now());
    onChange();
  });
  byId("history-clear").addEventListener("click", () => {
    list = [];
    render();
    onChange();
  });
  render();

  return {
    entries: () => list.map(({ type, offerId, at }) => ({ type, offerId, at })),
    add(type, offerId, at) {
      add(type, offerId, at);
    },
    clear() {
      list = [];
      render();
    },
    /** Offer ids for the add form's suggestions; the add time defaults to the simulated now. */
    setOffers(ids) {
      offerList.replaceChildren(...ids.map((id) => el("option", { value: id })));
    },
    syncNow(ms) {
      addAt.value = toLocalInput(ms);
    },
    /** Shows what the last replay skipped or refused. */
    report({ skipped, refused, failed }) {
      const parts = failed ? [`history not replayed (${failed})`] : [];
      if (skipped.length) parts.push(`${skipped.length} entr${skipped.length === 1 ? "y is" : "ies are"} after the simulated now and not counted`);
      for (const r of refused) parts.push(`${r.entry.type} of ${r.entry.offerId} refused (${r.message})`);
      status(note, parts.join("; "), parts.length ? "warn" : "");
    },
  };
}
