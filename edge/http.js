// HTTP plumbing: JSON answers, errors with a stable `code`, bounded body
// reading, and CORS for partner origins.

/** An error that becomes a JSON response `{error: {code, message}}`. */
export class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON response. */
export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The JSON error response for an HttpError (or any thrown value: 500). */
export function errorResponse(error) {
  if (error instanceof HttpError) {
    return json({ error: { code: error.code, message: error.message } }, error.status, error.headers);
  }
  console.error("internal error", error && error.stack ? error.stack : error);
  return json({ error: { code: "INTERNAL", message: "internal error" } }, 500);
}

/**
 * The request body as bytes, at most `limit` bytes: refuses a larger
 * Content-Length at once and stops reading a stream that grows past it
 * (chunked bodies have no length), so an oversize body costs nothing.
 */
export async function readBody(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new HttpError(413, "LIMIT_EXCEEDED", `body is over ${limit} bytes`);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new HttpError(413, "LIMIT_EXCEEDED", `body is over ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A public, cacheable answer (`cache-control` from `maxAgeS`, with
 * stale-while-revalidate) under `etag` (a quoted strong tag), or 304 when
 * the request's If-None-Match names it (weak or strong).
 */
export function cacheable(request, etag, maxAgeS, headers, body, contentType) {
  const all = { ...headers, etag, "cache-control": `public, max-age=${maxAgeS}, stale-while-revalidate=${maxAgeS * 5}` };
  const inm = request.headers.get("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
    return new Response(null, { status: 304, headers: all });
  }
  return new Response(body, { headers: { ...all, "content-type": contentType } });
}

/** Parses a JSON body (bytes) or throws 400 with `code`. */
export function parseJson(bytes, code = "BAD_REQUEST") {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, code, "body is not valid UTF-8 JSON");
  }
}

/** The media type of a request, lower-case without parameters ("" if none). */
export function mediaType(request) {
  return (request.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
}

const CORS_METHODS = "GET, POST, OPTIONS";
const CORS_HEADERS = "content-type, if-none-match";
const CORS_EXPOSE = "etag, x-bundle-version, offer-edge-keyset-version, retry-after, server-timing";

/**
 * CORS headers for `origin` when `allowed(origin)` is true, else none (the
 * browser then refuses to hand the answer to the page). Credentials are
 * allowed so the history cookie travels on cross-origin decide/events calls.
 */
export function corsHeaders(origin, allowed) {
  if (!origin || !allowed(origin)) return { vary: "Origin" };
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": CORS_EXPOSE,
    vary: "Origin",
  };
}

/** The answer to a CORS preflight. */
export function preflight(origin, allowed) {
  if (!origin || !allowed(origin)) {
    return new Response(null, { status: 403, headers: { vary: "Origin" } });
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin, allowed),
      "access-control-allow-methods": CORS_METHODS,
      "access-control-allow-headers": CORS_HEADERS,
      "access-control-max-age": "600",
    },
  });
}

/** A copy of `response` with extra headers. */
export function withHeaders(response, headers) {
  const out = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  return out;
}

/** Runs `fn`, turning an HttpError into `{error}` so it crosses RPC intact. */
export async function asResult(fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HttpError) return { error: { status: e.status, code: e.code, message: e.message } };
    throw e;
  }
}

/** Rethrows an `{error}` answer of a Durable Object as an HttpError. */
export function unwrap(result) {
  if (result && result.error) throw new HttpError(result.error.status, result.error.code, result.error.message);
  return result;
}
