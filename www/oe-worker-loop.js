// The message loop of the snippet's engine worker: runs the calls of
// oe-engine-calls.js for the page, one message each:
//   page → worker  {id, op, args}
//   worker → page  {id, ok: true, value} | {id, ok: false, error: {code, message, trap}}
// After a trap the page terminates the worker and starts another: a trap is
// fatal to its instance, never shared (docs/EDGE.md).
import { hooks, isTrap } from "./oe-engine-calls.js";
import { codedError } from "./oe-log.js";
import { Keys } from "./oe-worker-keysets.js";

// Key rotation runs here, in the worker (the snippet's in-page fallback goes without it).
hooks.Keys = Keys;

/** Answers the page's messages with `calls` (an `engineCalls()` object). */
export function serve(calls) {
  self.onmessage = async ({ data }) => {
    const { id, op, args } = data ?? {};
    try {
      if (typeof op !== "string" || !Object.hasOwn(calls, op)) throw codedError("INTERNAL", `no call ${op}`);
      const value = await calls[op](args ?? {});
      self.postMessage({ id, ok: true, value });
    } catch (e) {
      self.postMessage({ id, ok: false, error: { code: typeof e?.code === "string" ? e.code : null, message: String(e?.message ?? e), trap: isTrap(e) } });
    }
  };
}
