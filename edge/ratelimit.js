// Per-client rate limit for the write routes. In production the Workers
// Rate Limiting binding (wrangler.toml [[ratelimits]] RATE_LIMITER: a limit
// per period, counted per Cloudflare location); without the binding, a
// token bucket per isolate (RATE_LIMIT_PER_MINUTE, default 600, burst = one
// minute's worth). The client is CF-Connecting-IP.
import { intSetting } from "./config.js";
import { HttpError } from "./http.js";

const buckets = new Map();
const MAX_BUCKETS = 10_000;

function takeToken(key, perMinute, nowMs) {
  let b = buckets.get(key);
  if (!b) {
    if (buckets.size >= MAX_BUCKETS) buckets.clear(); // bounded memory; forgetting is lenient
    b = { tokens: perMinute, at: nowMs };
    buckets.set(key, b);
  }
  b.tokens = Math.min(perMinute, b.tokens + ((nowMs - b.at) * perMinute) / 60_000);
  b.at = nowMs;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/** Throws 429 RATE_LIMITED when the client is over its limit for `route`. */
export async function rateLimit(env, request, route) {
  const client = request.headers.get("cf-connecting-ip") || "unknown";
  const key = `${route}:${client}`;
  let ok;
  if (env.RATE_LIMITER) {
    ok = (await env.RATE_LIMITER.limit({ key })).success;
  } else {
    ok = takeToken(key, intSetting(env, "RATE_LIMIT_PER_MINUTE", 600), Date.now());
  }
  if (!ok) throw new HttpError(429, "RATE_LIMITED", "too many requests; slow down", { "retry-after": "10" });
}
