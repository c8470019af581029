// The placement preview page (preview.html): load and verify a bundle, edit
// a persona, history and time, and see what the shopper would see and why.
// Everything is decided in this page by the WebAssembly engine; the preview
// sends no events and signs nothing.
import * as oe from "./pkg/browser.js";
import { byId, debounce, el, fromLocalInput, relative, status, toLocalInput, utc } from "./preview/dom.js";
import { CODE_MEANINGS, codeDetail } from "./preview/codes.js";
import { fetchBytes, fileBytes, loadDraft, verifySigned } from "./preview/bundle.js";
import { personaPanel } from "./preview/persona.js";
import { historyPanel, replay } from "./preview/history.js";
import { placementFrames } from "./preview/frames.js";
import { explanationTable } from "./preview/table.js";
import { simulationPanel } from "./preview/simulate.js";
import { templatePanel } from "./preview/template.js";
import { eventLog, redact } from "./preview/events.js";

const params = new URLSearchParams(location.search);
const verifyBox = byId("verify");
const banner = byId("draft-banner");
const resultsStatus = byId("results-status");
const nowInput = byId("now-input");
const seedInput = byId("seed");
const trustArea = byId("trust-json");

/** The active bundle: {engine, info, bundle, draft, source} or null (nothing renders). */
let active = null;
let lastDecision = null;
let lastNow = 0;
let decisions = 0;
const impressed = new Set(); // `${render}|${offerId}`: impressions already recorded per render

const simulatedNow = () => {
  const ms = fromLocalInput(nowInput.value);
  return Number.isFinite(ms) ? ms : Date.now();
};

const persona = personaPanel({ hash: (kind, value) => oe.hashIdentifier(kind, value), onChange: () => schedule() });
const history = historyPanel({ now: simulatedNow, onChange: () => schedule() });
const frames = placementFrames(byId("placements"), (action) => engage(action));
const table = explanationTable();
const events = eventLog();
const simulation = simulationPanel(() => active && { engine: active.engine, context: persona.context(), blob: replay(active.engine, history.entries(), simulatedNow()).blob, now: simulatedNow() });
const templates = templatePanel({
  current: () => active && { oe, bundle: active.bundle, context: persona.context(), now: simulatedNow() },
  useDraft: (bundle) => activateDraft(bundle, "the template check's edit"),
});
// A re-decision waits 60 ms for more edits; `data-pending` says one is due, so
// a reader (or a test) can tell "decided for the current inputs" from "about to re-decide".
const decideSoon = debounce(() => {
  delete document.body.dataset.pending;
  decide();
}, 60);
const schedule = () => {
  document.body.dataset.pending = "true";
  decideSoon();
};

// ---- Verification display -------------------------------------------------

function dl(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
}

/**
 * What the bundle's edition means for pages (docs/BUNDLES.md): a page bundle
 * names the offers only the edge decides, each with the confidential
 * audience that makes it so; a full bundle with confidential audiences is
 * the edge's, and pages get its page bundle.
 */
function editionFacts(info) {
  if (info.edition === "page") {
    const list = info.edgeOnly.length
      ? el("ul", { class: "edge-only", "data-field": "edge-only" }, info.edgeOnly.map((e) =>
        el("li", { "data-offer": e.offerId, "data-audience": e.audience },
          el("code", { text: e.offerId }), " ",
          el("span", { class: "badge-edge", text: "Edge only" }),
          `: audience ${e.audience} is confidential, so its list is not in this bundle; the edge decides this offer`)))
      : "none";
    return [
      ["Edition", `page bundle: confidential audiences withheld (${info.confidentialAudiences.join(", ") || "none"})`],
      ["Edge-only offers", list],
    ];
  }
  if (info.confidentialAudiences.length) {
    return [["Edition", el("span", { "data-field": "edition", text:
      `full bundle (the edge's): confidential audiences ${info.confidentialAudiences.join(", ")} apply here; pages get its page bundle, where offers naming them are edge-only` })]];
  }
  return [];
}

function showVerified(result, now, source) {
  const { info } = result;
  const expires = Date.parse(info.expiresAt);
  verifyBox.dataset.state = "verified";
  verifyBox.replaceChildren(
    el("p", { class: "badge ok" }, el("strong", { text: "Verified" }), ` — ${source}, checked at ${utc(now)}`),
    dl([
      ["Partner", info.partner],
      ["Version", String(info.version)],
      ["Issued", `${utc(info.issuedAt)} (${relative(Date.parse(info.issuedAt), now)})`],
      ["Expires", `${utc(info.expiresAt)} (${relative(expires, now)})`],
      ["Signed by", el("span", { "data-field": "signers", text: info.signers.join(", ") })],
      ["Signatures present", result.signatures.join(", ")],
      ["Threshold", String(result.trust.threshold)],
      ["Bundle SHA-256", el("code", { text: info.bundleSha256 })],
      ["Contents", `${info.offers} offers, ${info.creatives} creatives, ${info.audiences} audiences, placements ${info.placements.map((p) => `${p.id} (max ${p.maxOffers})`).join(", ")}`],
      ...editionFacts(info),
    ]),
  );
}

function showDraft(info, why) {
  verifyBox.dataset.state = "draft";
  verifyBox.replaceChildren(
    el("p", { class: "badge warn" }, el("strong", { text: "Draft — not verified" }), ` — ${why}`),
    dl([
      ["Partner", info.partner],
      ["Version", String(info.version)],
      ["Expires", utc(info.expiresAt)],
      ["Signed by", "nobody (unsigned draft)"],
      ["Contents", `${info.offers} offers, ${info.creatives} creatives, ${info.audiences} audiences`],
      ...editionFacts(info),
    ]),
  );
}

function showRefused(result, now, source, draftBytes) {
  const detail = codeDetail(result.code, { bundle: result.bundle, trust: result.trust, now });
  const meaning = CODE_MEANINGS[result.code] ?? "An error the preview has no explanation for.";
  verifyBox.dataset.state = "refused";
  verifyBox.dataset.code = result.code;
  const parts = [
    el("p", { class: "badge error" }, el("strong", { text: "Refused" }), ` — ${source}, checked at ${utc(now)}. Nothing is previewed.`),
    el("p", { class: "code-line" }, el("code", { class: "error-code", text: result.code }), detail ? `: ${detail}` : ""),
    el("p", { class: "meaning", text: meaning }),
    el("p", { class: "muted" }, "Engine message: ", el("span", { class: "engine-message", text: result.message })),
  ];
  if (result.bundle) {
    parts.push(el("p", { class: "muted", text: `The payload claims: partner ${result.bundle.partner}, version ${result.bundle.version}, expires ${utc(result.bundle.expiresAt)} — unverified.` }));
  }
  if (draftBytes) {
    const button = el("button", { type: "button", id: "preview-draft", text: "Preview it as an unsigned draft" });
    button.addEventListener("click", () => activateDraft(draftBytes, source));
    parts.push(button);
  }
  verifyBox.replaceChildren(...parts);
}

// ---- Activating bundles ---------------------------------------------------

function setActive(next) {
  active = next;
  lastDecision = null;
  impressed.clear();
  banner.hidden = !(next && next.draft);
  document.body.dataset.bundle = next ? (next.draft ? "draft" : "verified") : "none";
  if (!next) {
    frames.clear();
    table.clear();
    simulation.clear();
    templates.setBundle(null);
    status(resultsStatus, "Nothing to preview.", "");
    return;
  }
  const ids = (next.bundle?.offers ?? []).map((o) => o.id);
  history.setOffers(ids);
  simulation.clear();
  templates.setBundle(next.bundle);
  decide();
}

/** Verifies signed bytes against the trust config and activates them, or shows why not. */
function loadSigned(bytes, source) {
  const now = simulatedNow();
  const result = verifySigned(oe, trustArea.value, bytes, now);
  delete verifyBox.dataset.code;
  if (result.ok) {
    showVerified(result, now, source);
    setActive({ engine: result.engine, info: result.info, bundle: result.bundle, draft: false, source });
  } else {
    showRefused(result, now, source, result.kind === "draft" ? result.bundle : null);
    setActive(null);
  }
}

function activateDraft(bundle, source) {
  const result = loadDraft(oe, bundle);
  delete verifyBox.dataset.code;
  if (result.ok) {
    showDraft(result.info, source);
    setActive({ engine: result.engine, info: result.info, bundle: result.bundle, draft: true, source });
  } else {
    showRefused({ ...result, trust: null }, simulatedNow(), `draft from ${source}`, null);
    setActive(null);
  }
}

async function loadFrom(what, bytesPromise) {
  status(byId("engine-status"), `Loading ${what}…`);
  try {
    const bytes = await bytesPromise;
    loadSigned(bytes, what);
  } catch (e) {
    showRefused({ code: e.code ?? "FETCH_FAILED", message: e.message, bundle: null }, simulatedNow(), what, null);
    setActive(null);
  }
  status(byId("engine-status"), `Engine ${oe.version()} ready.`, "ok");
}

byId("load-edge").addEventListener("click", () => {
  const partner = byId("edge-partner").value.trim();
  if (!partner) {
    byId("edge-partner").focus();
    return;
  }
  loadFrom(`the edge (/v1/bundles/${partner})`, fetchBytes(`/v1/bundles/${encodeURIComponent(partner)}`));
});
byId("load-url").addEventListener("click", () => {
  const url = byId("bundle-url").value.trim();
  if (url) loadFrom(url, fetchBytes(new URL(url, location.href).href));
});
byId("bundle-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) loadFrom(`file ${file.name}`, fileBytes(file));
});

// Drag and drop anywhere on the page (the file input is the keyboard path).
const zone = byId("drop-zone");
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  zone.dataset.over = "true";
});
document.addEventListener("dragleave", () => delete zone.dataset.over);
document.addEventListener("drop", (event) => {
  event.preventDefault();
  delete zone.dataset.over;
  const file = event.dataTransfer?.files?.[0];
  if (!file) return;
  if (/trust/i.test(file.name)) {
    file.text().then((text) => setTrust(text, `file ${file.name}`));
    return;
  }
  loadFrom(`file ${file.name}`, fileBytes(file));
});

// ---- Trust config ---------------------------------------------------------

function setTrust(text, from) {
  trustArea.value = text;
  status(byId("trust-status"), `Trust config from ${from}.`, "ok");
}

byId("trust-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (file) setTrust(await file.text(), `file ${file.name}`);
});

/** The demo page config (/demo-config.json, written by the demo seeding) as a trust config, or null. */
async function demoTrust() {
  try {
    const response = await fetch(params.get("config") ?? "/demo-config.json", { cache: "no-store" });
    if (!response.ok) return null;
    const config = await response.json();
    if (!config?.partnerId || !config?.trustedKeys?.keys) return null;
    return { partner: config.partnerId, trust: { partner: config.partnerId, keys: config.trustedKeys.keys, threshold: config.trustedKeys.threshold ?? 1 } };
  } catch {
    return null;
  }
}

byId("trust-demo").addEventListener("click", async () => {
  const demo = await demoTrust();
  if (!demo) {
    status(byId("trust-status"), "The edge serves no demo config (/demo-config.json): paste a trust config or load its file.", "error");
    return;
  }
  setTrust(JSON.stringify(demo.trust, null, 2), "the edge's demo config");
  byId("edge-partner").value = demo.partner;
});

// ---- Time and seed --------------------------------------------------------

function showNow() {
  byId("now-utc").textContent = `= ${utc(simulatedNow())}`;
  history.syncNow(simulatedNow());
}
nowInput.addEventListener("input", () => {
  showNow();
  schedule();
});
byId("now-reset").addEventListener("click", () => {
  nowInput.value = toLocalInput(Date.now());
  showNow();
  schedule();
});
seedInput.addEventListener("input", () => schedule());
byId("reroll").addEventListener("click", () => {
  seedInput.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
  decide();
});

// ---- Deciding -------------------------------------------------------------

function decide() {
  if (!active) return;
  const now = simulatedNow();
  const context = persona.context();
  const seed = Number(seedInput.value);
  const replayed = replay(active.engine, history.entries(), now);
  history.report(replayed);
  let result;
  try {
    result = active.engine.decide(context, replayed.blob, now, { explain: true, seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : 0 });
  } catch (e) {
    status(resultsStatus, `${e.code ?? "ERROR"}: ${e.message} — ${CODE_MEANINGS[e.code] ?? ""}`, "error");
    frames.hide();
    table.clear();
    return;
  }
  const { decision } = result;
  lastDecision = decision;
  lastNow = now;
  decisions += 1;
  // A render token, not the decision id: a fixed seed gives the same id again.
  document.body.dataset.decision = String(decisions);
  const advertisers = new Map((active.bundle?.offers ?? []).map((o) => [o.id, o.advertiser]));
  frames.render(decision, active.info, String(decisions));
  table.render(decision.explanations, advertisers, now);
  const shown = decision.placements.reduce((n, p) => n + p.offers.length, 0);
  const warnings = (decision.warnings ?? []).map((w) => `${w.code}: ${w.message}`).join("; ");
  status(resultsStatus, `Decision ${decision.decisionId.slice(0, 12)}… at ${utc(now)}, seed ${seedInput.value}: ${shown} offer(s) shown${active.draft ? " (DRAFT bundle — not verified)" : ""}.${warnings ? ` Warnings: ${warnings}` : ""}`, active.draft ? "warn" : "ok");
  templates.refresh();
}

// ---- Simulated engagement -------------------------------------------------

function wouldSend(type, offer, note) {
  try {
    let options;
    if (type === "accept" && offer.needsConfirmationEmail) {
      const email = byId("p-email").value.trim();
      if (email) {
        options = { fulfilment: active.engine.sealForFulfilment(email, offer.receipt) };
        note = "email sealed to the partner's fulfilment key (ciphertext only)";
      } else note = "needs the shopper's email: the snippet would ask for it";
    }
    const event = active.engine.event(type, offer, lastNow, options);
    events.add(redact(event, persona.rawIdentifiers()), note);
  } catch (e) {
    events.add({ type, offerId: offer.offerId, error: `${e.code}: ${e.message}` });
  }
}

function recordImpressions(placement) {
  for (const offer of placement.offers) {
    const key = `${decisions}|${offer.offerId}`;
    if (impressed.has(key)) continue;
    impressed.add(key);
    history.add("impression", offer.offerId, lastNow);
    wouldSend("impression", offer);
  }
}

/** A click in a previewed placement: impressions first (it was seen), then the engagement; then decide again. */
function engage({ placementId, action, offerId }) {
  if (!active || !lastDecision) return;
  const placement = lastDecision.placements.find((p) => p.id === placementId);
  if (!placement) return;
  recordImpressions(placement);
  const targets = action === "close" ? placement.offers : placement.offers.filter((o) => o.offerId === offerId);
  for (const offer of targets) {
    history.add(action, offer.offerId, lastNow);
    wouldSend(action, offer);
  }
  status(byId("history-status"), `${action} of ${targets.map((o) => o.offerId).join(", ")} recorded at ${utc(lastNow)}.`, "ok");
  decide();
}

byId("record-impressions").addEventListener("click", () => {
  if (!active || !lastDecision) return;
  for (const placement of lastDecision.placements) recordImpressions(placement);
  decide();
});

// ---- Start ------------------------------------------------------------------

async function start() {
  // ?now=<RFC 3339> fixes the simulated time (shareable, reproducible previews); ?seed=<n> the exploration seed.
  const fixedNow = Date.parse(params.get("now") ?? "");
  nowInput.value = toLocalInput(Number.isFinite(fixedNow) ? fixedNow : Date.now());
  if (/^\d+$/.test(params.get("seed") ?? "")) seedInput.value = params.get("seed");
  try {
    await oe.ready;
  } catch (e) {
    status(byId("engine-status"), `The engine did not start: ${e.message}`, "error");
    return;
  }
  status(byId("engine-status"), `Engine ${oe.version()} ready.`, "ok");
  showNow();
  persona.start();
  setActive(null);
  const demo = params.get("autoload") === "0" ? null : await demoTrust();
  if (demo) {
    setTrust(JSON.stringify(demo.trust, null, 2), "the edge's demo config");
    byId("edge-partner").value = demo.partner;
    byId("bundle-url").value = `/v1/bundles/${demo.partner}`;
    await loadFrom(`the edge (/v1/bundles/${demo.partner})`, fetchBytes(`/v1/bundles/${encodeURIComponent(demo.partner)}`));
  }
  document.body.dataset.ready = "true";
}

start();
