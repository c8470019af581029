// Compiled-form files (`*.oeb`, src/bundle/form.rs) taken apart and put back
// together, for the suites that attack them (tests/js, tests/edge,
// tests/browser): `\x89OEB` + u32le envelope length + the signed manifest's
// DSSE envelope (JSON) + the body the manifest's `compiled` digest covers.
// Only test code builds forms by hand; `offer-edge sign` is the real writer.
import { createHash, createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";

const MAGIC = Uint8Array.from([0x89, 0x4f, 0x45, 0x42]); // \x89OEB
const MANIFEST_TYPE = "application/vnd.offer-edge.manifest+json";
// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");

/** `{envelope, manifest, body}` of a compiled-form file (throws when it is not one). */
export function splitForm(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new Error("not a compiled form (no \\x89OEB)");
  const len = buf.readUInt32LE(4);
  const envelope = JSON.parse(buf.subarray(8, 8 + len).toString("utf8"));
  const manifest = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
  return { envelope, manifest, body: new Uint8Array(buf.subarray(8 + len)) };
}

/** A compiled-form file of `envelope` (object) and `body`. */
export function assembleForm(envelope, body) {
  const json = Buffer.from(JSON.stringify(envelope), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return new Uint8Array(Buffer.concat([MAGIC, len, json, Buffer.from(body)]));
}

/** The form with one byte of its body flipped: the signed digest no longer matches (DIGEST_MISMATCH). */
export function tamperBody(form) {
  const { envelope, body } = splitForm(form);
  const changed = Uint8Array.from(body);
  changed[changed.length - 1] ^= 1;
  return assembleForm(envelope, changed);
}

/** DSSE's pre-authentication encoding. */
function pae(type, payload) {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `, "utf8"), payload]);
}

/**
 * The form re-signed over `body`: its manifest, with `compiled` naming the
 * new body's SHA-256 and length, signed afresh by the key files `keyPaths`
 * (`offer-edge keygen` output) — what signers who control the keys can
 * make, whatever the JSON file says.
 */
export function resignForm(form, body, ...keyPaths) {
  const { manifest } = splitForm(form);
  const next = { ...manifest, compiled: { sha256: createHash("sha256").update(body).digest("hex"), bytes: body.length } };
  return assembleForm(signManifest(next, keyPaths), body);
}

/** The DSSE envelope of `manifest` (an object) signed by the key files `keyPaths`. */
export function signManifest(manifest, keyPaths) {
  const payload = Buffer.from(JSON.stringify(manifest), "utf8");
  const signatures = keyPaths.map((path) => {
    const key = JSON.parse(readFileSync(path, "utf8"));
    const signer = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, Buffer.from(key.secretKey, "base64")]), format: "der", type: "pkcs8" });
    return { keyid: key.keyid, sig: sign(null, pae(MANIFEST_TYPE, payload), signer).toString("base64") };
  });
  return { payloadType: MANIFEST_TYPE, payload: payload.toString("base64"), signatures };
}

/**
 * `body` with every occurrence of the UTF-8 string `from` replaced by `to`
 * (the same length in bytes, so every length prefix still holds): a body
 * that reads back as a different, well-formed bundle.
 */
export function replaceInBody(body, from, to) {
  const [a, b] = [Buffer.from(from, "utf8"), Buffer.from(to, "utf8")];
  if (a.length !== b.length) throw new Error("replaceInBody keeps lengths: same byte length only");
  const out = Buffer.from(body);
  let found = 0;
  for (let i = out.indexOf(a); i !== -1; i = out.indexOf(a, i + b.length)) {
    b.copy(out, i);
    found++;
  }
  if (!found) throw new Error(`${JSON.stringify(from)} is not in the body`);
  return new Uint8Array(out);
}
