#!/usr/bin/env node
// Writes the demo checkout's page config from a partner's pinned trust
// config — the trusted keys live in the page (never taken from the network),
// the URLs are the local edge's, same origin — to www/demo-config.json, and
// inlines it into www/index.html (scripts/build-www must have run).
// Usage: node scripts/www-config.mjs <trust.json> [--out www/demo-config.json]
// (scripts/demo runs it after seeding; tests/browser write their own.)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { writeCheckoutPage } from "./lib/www-build.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: "string", default: join(root, "www/demo-config.json") } },
});
if (positionals.length !== 1) {
  console.error("usage: node scripts/www-config.mjs <trust.json> [--out FILE]");
  process.exit(2);
}
const trust = JSON.parse(readFileSync(positionals[0], "utf8"));
const config = {
  partnerId: trust.partner,
  // The compiled form (what the page engine loads); decisions go to /v1/decide on the same origin.
  bundleUrl: `/v1/bundles/${encodeURIComponent(trust.partner)}/compiled`,
  collectorUrl: "/v1/events",
  trustedKeys: { keys: trust.keys, threshold: trust.threshold },
  // The demo partner's placements and where its page shows them.
  targets: { confirmation: "#offers", sidebar: "#offers-sidebar" },
};
writeFileSync(values.out, `${JSON.stringify(config, null, 2)}\n`);
writeCheckoutPage({ dir: dirname(values.out), config });
console.log(`wrote ${values.out} and its index.html (partner ${trust.partner}, ${Object.keys(trust.keys).length} pinned key(s), threshold ${trust.threshold})`);
