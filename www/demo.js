// The demo checkout's own script: what a partner's engineer writes around the
// snippet. The config (partner id, pinned trusted keys, URLs) comes from
// /demo-config.json, written when the demo is seeded.
//
// URL parameters (for tests and demos): ?persona=ada|grace|alan|katherine,
// ?hostEmail=0 (do not pass the email on accept: the placement asks for it),
// ?config=/other-config.json.
import { OfferEdge } from "./offer-edge.js";

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
const money = (n) => `$${Number(n).toFixed(2)}`;
const params = new URLSearchParams(location.search);
const hostGivesEmail = params.get("hostEmail") !== "0";

let shopper = { ...(PERSONAS[params.get("persona")] ?? PERSONAS.ada) };
let launcher = null;
let selection = null;

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
    currency: "USD",
    paymenttype: shopper.paymenttype,
    customertype: shopper.customertype,
    confirmationref: shopper.confirmationref,
    device: matchMedia("(max-width: 700px)").matches ? "mobile" : "desktop",
  };
}

function status(text) {
  document.getElementById("track-status").textContent = text;
}

async function showOffers() {
  if (selection) selection.destroy();
  selection = null;
  if (!launcher) return;
  const targets = { confirmation: "#offers" };
  const info = launcher.bundleInfo();
  if (info && info.placements.some((p) => p.id === "sidebar")) targets.sidebar = "#offers-sidebar";
  selection = await launcher.selectPlacements({ attributes: attributes(), target: targets });
  selection
    .on("accept", async (offer) => {
      // Two-step PII: the email is handed over only now, after the shopper
      // accepted an offer that needs a confirmation email.
      if (offer.needsConfirmationEmail && hostGivesEmail) await selection.setAttributes({ email: shopper.email });
      if (offer.action.type === "addToCart") status(`Added ${offer.fields.headline} to your order.`);
      if (offer.action.type === "link" && offer.action.url) status(`Offer saved: ${offer.fields.headline}`);
    })
    .on("decline", (offer) => status(`Got it, we won't show “${offer.fields.headline}” again.`));
}

function wire() {
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
      shopper = { ...p, confirmationref: shopper.confirmationref };
      renderOrder();
      showOffers();
    });
    presets.append(b);
  }
  document.getElementById("persona-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    shopper = { ...shopper, items: null };
    for (const name of ["firstname", "lastname", "email", "state", "amount", "paymenttype", "customertype"]) shopper[name] = f[name].value;
    renderOrder();
    showOffers();
  });
}

async function main() {
  shopper.confirmationref = `DO-${String(100000 + Math.floor(Math.random() * 900000))}`;
  renderOrder();
  wire();
  try {
    const res = await fetch(params.get("config") ?? "demo-config.json", { cache: "no-store" });
    const config = await res.json();
    launcher = await OfferEdge.createLauncher(config);
    await showOffers();
  } catch {
    console.warn("demo: no demo-config.json (run scripts/demo); the checkout works without offers");
  } finally {
    document.documentElement.dataset.offersReady = "true";
  }
}

main();
