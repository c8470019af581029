// MIME for the send_email adapter. No Workers-only imports, so Node tests
// can exercise it directly.
//
// Defence in depth: the core's `normalize_email` already accepts exactly one
// addr-spec, but the recipient is the one value of a header that comes from
// a shopper, so the builder refuses anything that could name a second
// recipient or start another header (`,` `;` `<` `>` `"` `(` `)` `:` `[` `]`
// `\`, whitespace, control characters, a second `@`).
import { toBase64, utf8 } from "./util.js";

const ADDR_CHAR = String.raw`[^\s\x00-\x1f\x7f"(),:;<>@\[\\\]]`;
const SINGLE_ADDR_SPEC = new RegExp(`^${ADDR_CHAR}+@${ADDR_CHAR}+\\.${ADDR_CHAR}+$`, "u");

/** A recipient the builder refuses (never retried: the same address fails again). */
export class RecipientRefused extends Error {
  constructor(message) {
    super(message);
    this.name = "RecipientRefused";
    this.code = "EMAIL_INVALID";
  }
}

/** Throws RecipientRefused unless `to` is exactly one bare addr-spec. */
export function checkRecipient(to) {
  if (typeof to !== "string" || to.length > 254 || !SINGLE_ADDR_SPEC.test(to)) {
    throw new RecipientRefused("the recipient is not exactly one email address");
  }
}

const encodeHeader = (text) => (/^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${toBase64(utf8(text))}?=`);
const wrap76 = (text) => text.replace(/.{1,76}/g, "$&\r\n");

/** A multipart/alternative MIME message (for the send_email binding). */
export function mimeMessage({ from, to, subject, text, html, messageId, date }) {
  checkRecipient(to);
  const boundary = `oe-${crypto.randomUUID()}`;
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${encodeHeader(subject.replace(/[\r\n]+/g, " "))}`,
    `Message-ID: <${messageId}>`,
    `Date: ${date.toUTCString()}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrap76(toBase64(utf8(text))),
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrap76(toBase64(utf8(html))),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}
