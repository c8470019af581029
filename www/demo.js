// The demo checkout's own script: what a partner's engineer writes around the
// snippet. The config (partner id, pinned trusted keys, URLs) comes from
// /demo-config.json, written when the demo is seeded.
//
// Placing an order: the page asks the partner's backend for the order's
// checkout token (POST /demo/partner/checkout-token, docs/ATTESTATION.md) and
// hands it to the snippet, so the order's engagement is attested and may send
// a confirmation email. Switching the shopper places a new order. Without the
// backend the checkout still works: offers show, their events stay unverified.
// (A real partner renders the token into its confirmation page instead.)
//
// URL parameters (for tests and demos): ?persona=ada|grace|alan|katherine,
// ?hostEmail=0 (do not pass the email on accept: the placement asks for it),
// ?config=/other-config.json, ?decideAt=auto|page|edge; the shopper's privacy
// choices as a partner passes them (docs/BROWSER.md, "Consent and
// forgetting"): ?usPrivacy=1YYN, ?gpp=…, ?personalization=0|1, ?measurement=0|1;
// the shopper's language and currency: ?locale=de-DE&currency=EUR (the
// snippet's texts and the amounts, Intl); what the shop does on an accepted
// addToCart (onAction, docs/BROWSER.md): ?action=fail (it throws) or
// ?action=none (no onAction: the placement then claims nothing about the cart).
//
// Privacy: a "Do not sell or share" checkbox decides again with the US
// Privacy opt-out (usPrivacy "1YYN"), a button forgets the shopper's offer
// history on this device (launcher.forget()), and a line says what the
// decision's privacy choices removed (selection.privacy).
// The snippet's global: its module script comes first in the page, and
// module scripts run in document order.
const { OfferEdge } = globalThis;

const PERSONAS = {
  ada: { firstname: "Ada", lastname: "Lovelace", email: "ada.lovelace@example.com", state: "CA", amount: "64.50",
    paymenttype: "visa", customertype: "returning", items: [["Trail runner sneakers", 1, 49.5], ["Merino socks (2 pack)", 1, 15]] },
  grace: { firstname: "Grace", lastname: "Hopper", email: "grace.hopper@example.com", state: "NY", amount: "182.00",
    paymenttype: "amex", customertype: "new", items: [["Waterproof shell jacket", 1, 149], ["Beanie", 1, 33]] },
  alan: { firstname: "Alan", lastname: "Turing", email: "alan.turing@example.org", state: "TX", amount: "23.99",
    paymenttype: "paypal", customertype: "new", items: [["Enamel camping mug", 1, 23.99]] },
  katherine: { firstname: "Katherine", lastname: "Johnson", email: "katherine.johnson@example.net", state: "FL", amount: "310.25",
    paymenttype: "mastercard", customertype: "returning", items: [["2-person tent", 1, 259.25], ["Headlamp", 1, 51]] },
};
const PAYMENT_LABELS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", paypal: "PayPal", applepay: "Apple Pay" };
const params = new URLSearchParams(location.search);
// The shopper's locale and currency: the page's own amounts and the snippet's (it formats `amountformatted` alike).
const LOCALE = params.get("locale") ?? "en-US";
const CURRENCY = /^[A-Z]{3}$/.test(params.get("currency") ?? "") ? params.get("currency") : "USD";
if (params.has("locale")) document.documentElement.lang = LOCALE;
const money = (n) => new Intl.NumberFormat(LOCALE, { style: "currency", currency: CURRENCY }).format(Number(n));
const hostGivesEmail = params.get("hostEmail") !== "0";

const TOKEN_URL = "/demo/partner/checkout-token";

/** The privacy choices the URL states, as createLauncher takes them. */
function statedPrivacy() {
  const out = {};
  for (const k of ["usPrivacy", "gpp"]) if (params.has(k)) out[k] = params.get(k);
  const consent = {};
  for (const k of ["personalization", "measurement"]) if (params.has(k)) consent[k] = params.get(k) !== "0";
  if (Object.keys(consent).length) out.consent = consent;
  return out;
}

/** What the decision's privacy removed, in the shopper's words (`selection.privacy.removed`). */
const REMOVED = {
  lookalike: "no lookalike personalization",
  licensedCohorts: "no licensed audiences",
  historyWrites: "no offer history kept on this device",
  eventDetail: "offers counted, not tracked",
};

let shopper = { ...(PERSONAS[params.get("persona")] ?? PERSONAS.ada) };
let launcher = null;
let selection = null;

/** A new order number for the current shopper. */
function newOrder() {
  shopper.confirmationref = `DO-${String(100000 + Math.floor(Math.random() * 900000))}`;
}

/**
 * The partner backend's checkout token for the current order (the shopper's
 * email is the one attested), or undefined when there is no backend.
 */
async function placeOrder() {
  try {
    const res = await fetch(TOKEN_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: shopper.email, order: shopper.confirmationref }),
      cache: "no-store",
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()).token;
  } catch (e) {
    console.warn(`demo: no checkout token (${e.message}); offers show, their events stay unverified`);
    return undefined;
  }
}

/** The order page itself: works whether or not offers load. */
function renderOrder() {
  for (const node of document.querySelectorAll("[data-bind]")) {
    const key = node.getAttribute("data-bind");
    node.textContent = key === "paymentLabel" ? PAYMENT_LABELS[shopper.paymenttype] ?? shopper.paymenttype : shopper[key] ?? "";
  }
  const items = document.getElementById("items");
  items.replaceChildren();
  const lines = shopper.items ?? [["Your items", 1, Number(shopper.amount) || 0]];
  let subtotal = 0;
  for (const [name, qty, price] of lines) {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${name} × ${qty}`;
    const cost = document.createElement("span");
    cost.textContent = money(price * qty);
    li.append(label, cost);
    items.append(li);
    subtotal += price * qty;
  }
  const total = Number(shopper.amount) || subtotal;
  document.getElementById("subtotal").textContent = money(subtotal);
  document.getElementById("tax").textContent = money(Math.max(0, total - subtotal));
  document.getElementById("total").textContent = money(total);
  const form = document.getElementById("persona-form");
  for (const name of ["firstname", "lastname", "email", "state", "amount", "paymenttype", "customertype"]) {
    form.elements[name].value = shopper[name] ?? "";
  }
}

/** Checkout attributes (Rokt-style names). The snippet hashes the email before deciding. */
function attributes() {
  return {
    email: shopper.email,
    firstname: shopper.firstname,
    lastname: shopper.lastname,
    state: shopper.state,
    country: "US",
    amount: shopper.amount,
    currency: CURRENCY,
    paymenttype: shopper.paymenttype,
    customertype: shopper.customertype,
    confirmationref: shopper.confirmationref,
    device: matchMedia("(max-width: 700px)").matches ? "mobile" : "desktop",
  };
}

function status(text) {
  document.getElementById("track-status").textContent = text;
}

/** Where the page shows offers: the config's placements (the demo partner has a sidebar too), else the confirmation one. */
let targets = { confirmation: "#offers" };
let renders = 0;

/** Decides and renders offers for the current order; `checkoutToken` (a new order's, or its promise) replaces the launcher's. */
async function showOffers(checkoutToken) {
  if (selection) selection.destroy();
  selection = null;
  if (!launcher) return;
  const mine = ++renders;
  // "Do not sell or share" checked: this call's US Privacy string says so (an opt-out of sale and sharing).
  const optOut = document.getElementById("do-not-sell")?.checked ? { usPrivacy: "1YYN" } : {};
  const decided = await launcher.selectPlacements({ attributes: attributes(), target: targets, checkoutToken, ...optOut });
  if (mine !== renders) {
    decided.destroy(); // a later order's offers won
    return;
  }
  selection = decided;
  showPrivacy(decided.privacy);
  selection
    .on("accept", async (offer) => {
      // Two-step PII: the email is handed over only now, after the shopper
      // accepted an offer that needs a confirmation email.
      if (offer.needsConfirmationEmail && hostGivesEmail) await decided.setAttributes({ email: shopper.email });
      if (offer.action.type === "link" && offer.action.url) status(`Offer saved: ${offer.fields.headline}`);
    })
    .on("decline", (offer) => status(`Got it, we won't show “${offer.fields.headline}” again.`))
    // A unique coupon's code, issued by the edge after the (attested) accept.
    .on("coupon", (offer) => offer.action.code && status(`Your ${offer.advertiser} code: ${offer.action.code}`));
}

/**
 * What the shop does with an accepted offer's action (createLauncher's
 * onAction): an addToCart adds a line to the order summary — and only then
 * may the placement say "Added to your order". Other actions: not ours.
 */
async function onAction({ type, sku, offer }) {
  if (type !== "addToCart") return { done: false };
  if (params.get("action") === "fail") throw new Error(`the shop could not add ${sku}`);
  const li = document.createElement("li");
  li.dataset.sku = sku;
  const label = document.createElement("span");
  label.textContent = `${offer.fields.headline} × 1`;
  const cost = document.createElement("span");
  cost.textContent = "Added";
  li.append(label, cost);
  document.getElementById("items").append(li);
  status(`Added ${offer.fields.headline} to your order.`);
  return { done: true };
}

/** The line under the privacy controls: what this decision's privacy removed (data-privacy: the engine's object). */
function showPrivacy(privacy) {
  const line = document.getElementById("privacy-status");
  if (!line) return;
  line.dataset.privacy = privacy ? JSON.stringify(privacy) : "";
  const removed = (privacy?.removed ?? []).map((r) => REMOVED[r] ?? r);
  line.textContent = removed.length ? `Your privacy choice applies: ${removed.join(", ")}.` : "";
}

/** The privacy controls, under the shopper presets: "Do not sell or share", "Forget my offer history" and the line. */
function privacyControls() {
  const group = document.createElement("div");
  group.className = "presets";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Your privacy");
  const label = document.createElement("label");
  label.className = "chip";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "do-not-sell";
  box.checked = params.get("usPrivacy") === "1YYN";
  label.append(box, " Do not sell or share my personal information");
  box.addEventListener("change", async () => {
    delete document.documentElement.dataset.offersReady;
    await showOffers();
    document.documentElement.dataset.offersReady = "true";
  });
  const forget = document.createElement("button");
  forget.type = "button";
  forget.className = "chip";
  forget.id = "forget";
  forget.textContent = "Forget my offer history";
  forget.addEventListener("click", async () => {
    if (!launcher) return;
    await launcher.forget();
    status("Your offer history on this device is forgotten.");
  });
  group.append(label, forget);
  const line = document.createElement("p");
  line.className = "hint";
  line.id = "privacy-status";
  line.setAttribute("role", "status");
  document.getElementById("presets").after(group, line);
}

function wire() {
  privacyControls();
  document.getElementById("track-order").addEventListener("click", () => {
    status(`Order ${shopper.confirmationref} ships tomorrow. We'll email tracking details.`);
  });
  const presets = document.getElementById("presets");
  for (const [id, p] of Object.entries(PERSONAS)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.dataset.persona = id;
    b.textContent = `${p.firstname} ${p.lastname} · ${p.state} · ${money(p.amount)}`;
    b.addEventListener("click", () => {
      shopper = { ...p };
      newShopperOrder();
    });
    presets.append(b);
  }
  document.getElementById("persona-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    shopper = { ...shopper, items: null };
    for (const name of ["firstname", "lastname", "email", "state", "amount", "paymenttype", "customertype"]) shopper[name] = f[name].value;
    newShopperOrder();
  });
}

let orders = 0;
/** Another shopper checks out: a new order, its own token (null without a backend: none), new offers. */
async function newShopperOrder() {
  const mine = ++orders;
  newOrder();
  renderOrder();
  delete document.documentElement.dataset.offersReady;
  const token = placeOrder(); // the snippet waits for it only where it needs it
  await showOffers(token.then((t) => (mine === orders ? t ?? null : null)));
  if (mine !== orders) return; // a later switch won
  document.documentElement.dataset.offersReady = "true";
}

/**
 * The page config: inline in the page (`<script type="application/json"
 * id="offer-edge-config">`, as a partner pins its keys in its own HTML: no
 * request), else `?config=` or demo-config.json.
 */
async function loadConfig() {
  const inline = document.getElementById("offer-edge-config");
  if (inline && !params.get("config")) return JSON.parse(inline.textContent);
  const res = await fetch(params.get("config") ?? "demo-config.json", { cache: "no-store" });
  return res.json();
}

async function main() {
  newOrder();
  renderOrder();
  wire();
  try {
    const token = placeOrder(); // the order's token, in parallel with everything else
    const { targets: configured, ...config } = await loadConfig();
    if (configured) targets = configured;
    const decideAt = params.get("decideAt");
    const actions = params.get("action") === "none" ? {} : { onAction };
    launcher = await OfferEdge.createLauncher({ ...config, ...(decideAt ? { decideAt } : {}), ...statedPrivacy(), ...actions,
      locale: LOCALE, checkoutToken: token });
    await showOffers();
    performance.mark("offers-shown"); // for tests and bench/: the first offers are in the page
  } catch {
    console.warn("demo: no demo-config.json (run scripts/demo); the checkout works without offers");
  } finally {
    document.documentElement.dataset.offersReady = "true";
  }
}

main();
