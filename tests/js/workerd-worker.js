// A tiny Worker for workerd.test.js: imports the pkg/ workerd entry (the
// .wasm arrives as a static CompiledWasm import) and answers by calling the API.
import * as oe from "../../pkg/workerd.js";
import { codeOf } from "./code-of.js";

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/decide") return decide(await request.json());
    const { receipt, key, now, fulfilmentKey } = await request.json();
    const keyBytes = new TextEncoder().encode(key);
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

// Loads a signed bundle with its trust config, then decides: what an edge
// worker does per checkout (a tampered bundle is refused, the good one stays).
function decide({ trust, signed, tampered, context, now }) {
  const engine = new oe.Engine(trust);
  const loaded = engine.load(new TextEncoder().encode(signed), now);
  const refused = codeOf(() => engine.load(tampered, now));
  const { decision, history } = engine.decide(context, null, now, { explain: true });
  return Response.json({ loaded, refused, decision, historyBytes: history.length, info: engine.info() });
}
