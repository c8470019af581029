// Loaded by chromium.test.js's page: the way a checkout page uses pkg/.
import * as oe from "/pkg/browser.js";

const codeOf = (fn) => {
  try {
    fn();
    return "ok";
  } catch (e) {
    return `${e.name}/${e.code}`;
  }
};

try {
  const { receipt, key, now, fulfilmentKey } = await window.testInput();
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
  };
} catch (e) {
  window.__result = { error: String(e && e.stack ? e.stack : e) };
}
