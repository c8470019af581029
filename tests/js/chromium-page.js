// Loaded by chromium.test.js's page: the way a checkout page uses pkg/.
import * as oe from "/pkg/browser.js";
import { codeOf } from "./code-of.js";

try {
  const { receipt, key, now, fulfilmentKey, draft, decideNow } = await window.testInput();
  await oe.ready;
  const keyBytes = new TextEncoder().encode(key);
  const compact = oe.signReceipt(receipt, keyBytes);
  let instanceofError = false;
  try {
    oe.verifyReceipt(compact, keyBytes, now, "globex-store", receipt.offerId);
  } catch (e) {
    instanceofError = e instanceof Error && e.code === "RECEIPT_INVALID";
  }
  window.__result = {
    version: oe.version(),
    compact,
    verified: oe.verifyReceipt(compact, keyBytes, now, receipt.partner, receipt.offerId),
    expired: codeOf(() => oe.verifyReceipt(compact, keyBytes, Date.parse(receipt.expiresAt), receipt.partner, receipt.offerId)),
    instanceofError,
    sealed: oe.sealForFulfilment(fulfilmentKey, receipt, "ada@example.com"),
    sealedAgain: oe.sealForFulfilment(fulfilmentKey, receipt, "ada@example.com"),
    decided: decide(draft, decideNow),
  };
} catch (e) {
  window.__result = { error: String(e && e.stack ? e.stack : e) };
}

// A checkout page deciding from a (preview) bundle: decide, record the
// impression, decide again with the stored history.
function decide(draft, at) {
  const engine = oe.Engine.fromDraft(draft);
  const context = { firstname: "Ada", state: "CA", amount: "64.50", age: 29 };
  const first = engine.decide(context, null, at, { seed: 1 });
  const shown = first.decision.placements[0].offers.map((o) => o.offerId);
  let history = first.history;
  for (const offerId of shown) history = engine.record(history, { type: "impression", offerId }, at);
  const again = engine.decide(context, history, at + 1000, { seed: 1 });
  return {
    shown,
    html: first.decision.placements[0].html,
    historyIsBytes: history instanceof Uint8Array,
    again: again.decision.placements[0].offers.map((o) => o.offerId),
  };
}
