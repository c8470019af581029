// The shopper persona: a form (or pasted JSON) → the checkout context the
// engine decides on. The email is hashed with the engine's hashIdentifier
// before use and only `emailsha256` enters the context; saved personas keep
// the hash, never the address (localStorage, namespaced `offer-edge-preview:`).
import { byId, el, status } from "./dom.js";

/** Form field names, all checkout context attributes (shared vocabulary) except `email`. */
export const FIELDS = ["firstname", "lastname", "email", "state", "zipcode", "country", "amount", "currency",
  "paymenttype", "age", "loyaltytier", "customertype", "device"];
const NUMERIC = new Set(["age"]);
const STORAGE_KEY = "offer-edge-preview:personas";

/** Built-in personas (the demo's audiences: Grace is an existing subscriber, Ada a frequent traveller). */
export const BUILT_IN = [
  { name: "Ada — CA, frequent traveller", fields: { firstname: "Ada", lastname: "Lovelace", email: "ada@example.com", state: "CA",
    zipcode: "94103", country: "US", amount: "64.50", currency: "USD", paymenttype: "visa", age: "29", loyaltytier: "gold",
    customertype: "returning", device: "desktop" } },
  { name: "Grace — NY, existing subscriber", fields: { firstname: "Grace", lastname: "Hopper", email: "grace@example.com", state: "NY",
    zipcode: "10001", country: "US", amount: "182.00", currency: "USD", paymenttype: "amex", age: "41", loyaltytier: "silver",
    customertype: "new", device: "mobile" } },
  { name: "Alan — TX, small PayPal cart", fields: { firstname: "Alan", lastname: "Turing", email: "alan@example.org", state: "TX",
    zipcode: "73301", country: "US", amount: "23.99", currency: "USD", paymenttype: "paypal", age: "23", loyaltytier: "",
    customertype: "new", device: "mobile" } },
  { name: "Katherine — FL, big cart", fields: { firstname: "Katherine", lastname: "Johnson", email: "katherine@example.net", state: "FL",
    zipcode: "33101", country: "US", amount: "310.25", currency: "USD", paymenttype: "mastercard", age: "58", loyaltytier: "bronze",
    customertype: "returning", device: "tablet" } },
];

/** The model's age band for an age (same bands as the core). */
export function ageBand(age) {
  const a = Number(age);
  if (!Number.isFinite(a) || a < 18) return "";
  if (a < 25) return "18-24";
  if (a < 35) return "25-34";
  if (a < 45) return "35-44";
  if (a < 55) return "45-54";
  if (a < 65) return "55-64";
  return "65+";
}

function readSaved() {
  try {
    const list = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((p) => p && typeof p.name === "string" && p.fields) : [];
  } catch {
    return [];
  }
}

function writeSaved(list) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
    return true;
  } catch {
    return false;
  }
}

/**
 * Wires the persona panel. `hash(kind, value)` is the engine's
 * hashIdentifier; `onChange()` runs after every change. Returns
 * `{context(), persona(), rawIdentifiers(), select(name)}`.
 */
export function personaPanel({ hash, onChange }) {
  const form = byId("persona-form");
  const picker = byId("persona-select");
  const jsonArea = byId("persona-json");
  const jsonStatus = byId("persona-json-status");
  const hashLine = byId("email-hash");
  const bandLine = byId("age-band");
  const saveName = byId("persona-name");
  const saveStatus = byId("persona-save-status");
  // Values the form does not have a field for (from pasted JSON), and a
  // stored email hash (saved personas keep no address).
  let extra = {};
  let storedHash = "";

  const input = (name) => form.elements.namedItem(name);

  function fillPicker(selected) {
    picker.replaceChildren(
      el("optgroup", { label: "Built in" }, BUILT_IN.map((p) => el("option", { value: `builtin:${p.name}`, text: p.name }))),
      el("optgroup", { label: "Saved" }, readSaved().map((p) => el("option", { value: `saved:${p.name}`, text: p.name }))),
      el("option", { value: "custom", text: "(edited)" }),
    );
    picker.value = selected;
  }

  function emailHash() {
    const email = input("email").value.trim();
    if (email) {
      try {
        return hash("email", email);
      } catch {
        return "";
      }
    }
    return storedHash;
  }

  /** The checkout context: form values (typed), the email as emailsha256 only, then pasted extras. */
  function context() {
    const ctx = {};
    for (const name of FIELDS) {
      if (name === "email") continue;
      const value = input(name).value.trim();
      if (value === "") continue;
      ctx[name] = NUMERIC.has(name) && Number.isFinite(Number(value)) ? Number(value) : value;
    }
    const h = emailHash();
    if (h) ctx.emailsha256 = h;
    return { ...ctx, ...extra };
  }

  /** Raw identifying values of the persona (to redact from anything displayed as "would be sent"). */
  function rawIdentifiers() {
    return ["email", "firstname", "lastname", "zipcode"].map((n) => input(n).value.trim()).filter((v) => v.length > 2);
  }

  function refreshDerived() {
    const h = emailHash();
    hashLine.textContent = h ? `emailsha256 ${h.slice(0, 16)}…` : "no email";
    const band = ageBand(input("age").value);
    bandLine.textContent = band ? `age band ${band}` : "";
    jsonArea.value = JSON.stringify(context(), null, 2);
    status(jsonStatus, "");
  }

  function load(persona) {
    for (const name of FIELDS) input(name).value = persona.fields[name] ?? "";
    extra = { ...(persona.extra ?? {}) };
    storedHash = persona.emailsha256 ?? "";
    saveName.value = persona.name;
    refreshDerived();
    onChange();
  }

  function select(value) {
    fillPicker(value);
    const [kind, ...rest] = value.split(":");
    const name = rest.join(":");
    const persona = kind === "builtin" ? BUILT_IN.find((p) => p.name === name) : readSaved().find((p) => p.name === name);
    if (persona) load(persona);
  }

  picker.addEventListener("change", () => select(picker.value));
  form.addEventListener("input", (event) => {
    if (event.target === input("email")) storedHash = "";
    picker.value = "custom";
    refreshDerived();
    onChange();
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  byId("persona-json-apply").addEventListener("click", () => {
    let parsed;
    try {
      parsed = JSON.parse(jsonArea.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the context must be a JSON object");
    } catch (e) {
      status(jsonStatus, `Not applied: ${e.message}`, "error");
      return;
    }
    const fields = {};
    const rest = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (FIELDS.includes(k)) fields[k] = v === null ? "" : String(v);
      else if (k !== "emailsha256") rest[k] = v;
    }
    load({ name: saveName.value || "pasted", fields, extra: rest, emailsha256: fields.email ? "" : (parsed.emailsha256 ?? "") });
    picker.value = "custom";
    status(jsonStatus, "Applied.", "ok");
  });

  byId("persona-save").addEventListener("click", () => {
    const name = saveName.value.trim();
    if (!name) {
      status(saveStatus, "Give the persona a name first.", "error");
      saveName.focus();
      return;
    }
    const fields = {};
    for (const n of FIELDS) if (n !== "email") fields[n] = input(n).value;
    const list = readSaved().filter((p) => p.name !== name);
    list.push({ name, fields, extra, emailsha256: emailHash() });
    if (!writeSaved(list)) {
      status(saveStatus, "Not saved: this browser refuses localStorage.", "error");
      return;
    }
    fillPicker(`saved:${name}`);
    status(saveStatus, `Saved "${name}" (the email is kept hashed only).`, "ok");
  });

  byId("persona-delete").addEventListener("click", () => {
    const value = picker.value;
    if (!value.startsWith("saved:")) {
      status(saveStatus, "Only saved personas can be deleted.", "warn");
      return;
    }
    const name = value.slice("saved:".length);
    writeSaved(readSaved().filter((p) => p.name !== name));
    status(saveStatus, `Deleted "${name}".`, "ok");
    select(`builtin:${BUILT_IN[0].name}`);
  });

  fillPicker(`builtin:${BUILT_IN[0].name}`);
  return {
    context,
    rawIdentifiers,
    select,
    /** Loads the first built-in persona (after the engine is ready to hash). */
    start() {
      select(`builtin:${BUILT_IN[0].name}`);
    },
  };
}
