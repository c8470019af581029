// A tiny Worker for workerd.test.js: imports the pkg/ workerd entry (the
// .wasm arrives as a static CompiledWasm import) and answers by calling the API.
import * as oe from "../../pkg/workerd.js";

export default {
  async fetch(request) {
    const { receipt, key, now, fulfilmentKey } = await request.json();
    const keyBytes = new TextEncoder().encode(key);
    const codeOf = (fn) => {
      try {
        fn();
        return "ok";
      } catch (e) {
        return `${e.name}/${e.code}`;
      }
    };
    const compact = oe.signReceipt(receipt, keyBytes);
    const sealed = oe.sealForFulfilment(fulfilmentKey, receipt, "ada@example.com");
    return Response.json({
      version: oe.version(),
      compact,
      verified: oe.verifyReceipt(compact, keyBytes, now, receipt.partner, receipt.offerId),
      expired: codeOf(() => oe.verifyReceipt(compact, keyBytes, Date.parse(receipt.expiresAt), receipt.partner, receipt.offerId)),
      otherPartner: codeOf(() => oe.verifyReceipt(compact, keyBytes, now, "globex-store", receipt.offerId)),
      sealed,
      uuid: oe.uuidV4(),
    });
  },
};
