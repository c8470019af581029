// Template check: pick a creative, see its fields rendered for the current
// persona, edit any field and see it re-render live — or the
// TEMPLATE_INVALID message with its line:column. Edits only ever build
// unsigned DRAFT bundles in memory (Engine.fromDraft); nothing is signed.
import { byId, el, status } from "./dom.js";
import { placementFrames } from "./frames.js";

export const FIELD_NAMES = ["headline", "body", "cta", "declineLabel", "image", "imageAlt", "terms"];
const MULTILINE = new Set(["body", "terms"]);

/**
 * A draft holding only `offer` (with `fields` as its creative fields),
 * always eligible and uncapped, so a decide shows it and renders its
 * templates for any persona. Other offers' model entries are dropped.
 */
export function singleOfferDraft(bundle, offer, fields) {
  const copy = structuredClone(offer);
  copy.eligibility = null;
  copy.audiences = { include: [], exclude: [] };
  copy.caps = [];
  copy.schedule = { start: null, end: null };
  copy.placements = [];
  copy.creative.fields = { ...copy.creative.fields, ...fields };
  for (const [k, v] of Object.entries(copy.creative.fields)) if (v === "" && k !== "headline" && k !== "body" && k !== "cta") copy.creative.fields[k] = null;
  const model = structuredClone(bundle.model ?? {});
  if (model.offers) model.offers = model.offers[offer.id] ? { [offer.id]: model.offers[offer.id] } : {};
  if (model.exploration?.priors) {
    model.exploration.priors = model.exploration.priors[offer.id] ? { [offer.id]: model.exploration.priors[offer.id] } : {};
  }
  return { ...bundle, offers: [copy], model };
}

/** `template "offers[x].creative.fields.body" at 2:5: …` → {template, field, line, col}. */
export function templatePosition(message) {
  const m = /template "([^"]+)" at (\d+):(\d+)/.exec(message ?? "");
  if (!m) return null;
  const field = /\.fields\.([A-Za-z]+)$/.exec(m[1]);
  return { template: m[1], field: field ? field[1] : null, line: Number(m[2]), col: Number(m[3]) };
}

/**
 * Wires the template panel. `current()` gives `{oe, bundle, context, now}`
 * (or null); `useDraft(bundle)` previews a whole edited bundle as a draft.
 * Returns `{setBundle(bundle), refresh()}`.
 */
export function templatePanel({ current, useDraft }) {
  const picker = byId("tpl-offer");
  const fieldsBox = byId("tpl-fields");
  const out = byId("tpl-rendered");
  const error = byId("tpl-error");
  const note = byId("tpl-status");
  const frames = placementFrames(byId("tpl-frames"), () => {});
  let offers = [];
  let renders = 0;
  const inputs = new Map();

  for (const name of FIELD_NAMES) {
    const id = `tpl-field-${name}`;
    const input = MULTILINE.has(name) ? el("textarea", { id, rows: 3, spellcheck: "false" }) : el("input", { id, type: "text", spellcheck: "false" });
    input.addEventListener("input", () => refresh());
    inputs.set(name, input);
    fieldsBox.append(el("div", { class: "field" }, el("label", { for: id, text: name }), input));
  }

  function edits() {
    return Object.fromEntries([...inputs].map(([k, input]) => [k, input.value]));
  }

  function selected() {
    return offers.find((o) => o.id === picker.value) ?? null;
  }

  function fill() {
    const offer = selected();
    for (const [k, input] of inputs) {
      input.value = offer?.creative?.fields?.[k] ?? "";
      input.removeAttribute("aria-invalid");
    }
    refresh();
  }

  function refresh() {
    const input = current();
    const offer = selected();
    out.replaceChildren();
    error.hidden = true;
    for (const i of inputs.values()) i.removeAttribute("aria-invalid");
    if (!input || !offer) {
      frames.clear();
      return;
    }
    let engine;
    try {
      engine = input.oe.Engine.fromDraft(JSON.stringify(singleOfferDraft(input.bundle, offer, edits())));
    } catch (e) {
      const where = templatePosition(e.message);
      error.replaceChildren(el("strong", { text: e.code ?? "ERROR" }), ": ",
        where ? el("span", { class: "where", text: `${where.field ?? where.template} line ${where.line}, column ${where.col}` }) : null,
        where ? " — " : null, el("span", { text: e.message }));
      error.hidden = false;
      error.dataset.code = e.code ?? "";
      if (where?.field && inputs.has(where.field)) inputs.get(where.field).setAttribute("aria-invalid", "true");
      frames.hide();
      status(note, "Draft does not compile: nothing rendered.", "error");
      return;
    }
    const { decision } = engine.decide(input.context, null, input.now, { seed: 0 });
    const placement = decision.placements.find((p) => p.offers.length);
    const shown = placement?.offers[0];
    if (!shown) {
      status(note, "The draft compiled but the offer did not show (check its placements).", "warn");
      frames.hide();
      return;
    }
    out.replaceChildren(...FIELD_NAMES.flatMap((k) => [el("dt", { text: k }), el("dd", { "data-field": k, text: shown.fields[k] ?? "" })]));
    renders += 1;
    frames.render({ ...decision, placements: [placement] }, engine.info(), `tpl-${renders}`);
    status(note, `Rendered for the current persona in placement “${placement.id}” (draft, never signed).`, "ok");
  }

  picker.addEventListener("change", fill);
  byId("tpl-reset").addEventListener("click", fill);
  byId("tpl-use").addEventListener("click", () => {
    const input = current();
    const offer = selected();
    if (!input || !offer) return;
    const bundle = structuredClone(input.bundle);
    const target = bundle.offers.find((o) => o.id === offer.id);
    target.creative.fields = { ...target.creative.fields, ...edits() };
    for (const [k, v] of Object.entries(target.creative.fields)) if (v === "" && !["headline", "body", "cta"].includes(k)) target.creative.fields[k] = null;
    useDraft(bundle);
  });

  return {
    setBundle(bundle) {
      offers = bundle?.offers ?? [];
      const keep = picker.value;
      picker.replaceChildren(...offers.map((o) => el("option", { value: o.id, text: `${o.id} (${o.creative?.id ?? "?"})` })));
      if (offers.some((o) => o.id === keep)) picker.value = keep;
      fill();
    },
    refresh,
  };
}
