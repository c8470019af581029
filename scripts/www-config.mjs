#!/usr/bin/env node
// Writes www/demo-config.json, the demo checkout's page config, from a
// partner's pinned trust config: the trusted keys live in the page (never
// taken from the network) and the URLs are the local edge's, same origin.
// Usage: node scripts/www-config.mjs <trust.json> [--out www/demo-config.json]
// (scripts/demo runs it after seeding; tests/browser write their own.)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

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
  bundleUrl: `/v1/bundles/${encodeURIComponent(trust.partner)}`,
  collectorUrl: "/v1/events",
  trustedKeys: { keys: trust.keys, threshold: trust.threshold },
};
writeFileSync(values.out, `${JSON.stringify(config, null, 2)}\n`);
console.log(`wrote ${values.out} (partner ${trust.partner}, ${Object.keys(trust.keys).length} pinned key(s), threshold ${trust.threshold})`);
