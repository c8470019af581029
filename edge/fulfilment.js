// Fulfilment: the queue consumer opens a sealed request with the partner's
// private key (secret FULFILMENT_KEY_<PARTNER>), renders the confirmation
// email with the Engine, sends it through the configured adapter exactly
// once per (partner, decision, offer, kind), and schedules the reminder in
// a Durable Object alarm. Decline/close never reach this code: only accepts
// with a sealed request are enqueued (edge/events.js).
import { DurableObject } from "cloudflare:workers";
import { EmailMessage } from "cloudflare:email";
import { fulfilmentSecretName, intSetting, partners } from "./config.js";
import { isOfferEdgeError, withEngine } from "./engine.js";
import { HttpError } from "./http.js";
import { ensureSchema } from "./schema.js";
import { inserted } from "./sql.js";
import { issuedCodeFor } from "./coupons.js";
import { checkRecipient, mimeMessage, RecipientRefused } from "./mime.js";

/** A failure that retrying cannot fix (recorded, then acknowledged). */
class Permanent extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Codes that mean "the sealed request itself is bad": never retried. */
function classify(e) {
  if (e instanceof Permanent) return e;
  if (e instanceof RecipientRefused) return new Permanent(e.code, e.message);
  if (isOfferEdgeError(e) && e.code !== "NO_BUNDLE") return new Permanent(e.code, e.message);
  return null; // transient: KV/D1/queue/network, no bundle yet, missing secret
}

/** Renders the confirmation email for a queued job (opens the sealed email). */
async function render(env, job) {
  if (!partners(env).has(job.partner)) throw new Permanent("UNKNOWN_PARTNER", `unknown partner ${job.partner}`);
  const secret = env[fulfilmentSecretName(job.partner)];
  if (!secret) throw new HttpError(503, "CONFIG_INVALID", `secret ${fulfilmentSecretName(job.partner)} is not set`);
  if (job.request.partner !== job.partner) throw new Permanent("SEAL_FAILED", "request is for another partner");
  // Defence in depth: intake already checked it, but a job without the
  // attested hash, or whose sealed email is not the attested one, never sends.
  if (typeof job.eh !== "string" || typeof job.order !== "string") throw new Permanent("ATTESTATION_REQUIRED", "job is not for an attested order");
  // A unique coupon's code is read from its claim, never carried in the job (docs/EDGE.md, "Unique coupon codes").
  const code = await issuedCodeFor(env, job.partner, job.order, job.request?.offerId);
  return withEngine(env, job.partner, Date.now(), (engine) => engine.confirmationEmail(secret, job.request, job.acceptedAtMs, job.eh, code ?? undefined));
}

// --- adapters --------------------------------------------------------------------

async function deliver(env, adapter, key, mail) {
  const from = env.EMAIL_FROM || "offers@example.com";
  if (adapter === "send_email") {
    const domain = from.split("@")[1] || "example.com";
    const raw = mimeMessage({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: `${crypto.randomUUID()}@${domain}`, date: new Date() });
    await env.EMAIL.send(new EmailMessage(from, mail.to, raw));
    return;
  }
  if (adapter === "http") {
    const res = await fetch(env.EMAIL_API_URL, {
      method: "POST",
      headers: { authorization: `Bearer ${env.EMAIL_API_TOKEN}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ from, to: [mail.to], subject: mail.subject, html: mail.html, text: mail.text }),
    });
    if (!res.ok) throw new Error(`email API answered ${res.status}`);
    return;
  }
  throw new Permanent("CONFIG_INVALID", `unknown EMAIL_ADAPTER ${adapter}`);
}

/**
 * Sends `mail` once per (partner, decision, offer, kind): the outbox row's
 * primary key is the claim. The row is claimed (`sending`), the mail sent,
 * then the row marked `sent` (which the report rollup counts); a failed
 * send releases the claim so the retry sends. With `send_email`/`http` the
 * claim holds no content; with the local `outbox` adapter the row holds
 * the mail and is the delivery (tests read it). Returns whether this call
 * sent it.
 */
export async function sendOnce(env, partner, kind, mail) {
  await ensureSchema(env);
  const adapter = env.EMAIL_ADAPTER; // checked at start (config.checkDeployment): never a silent default
  const keyCols = [partner, mail.decisionId, mail.offerId, kind];
  const local = adapter === "outbox";
  // The MIME builder's refusal: never record what could not be sent.
  if (local) checkRecipient(mail.to);
  const content = local ? [mail.to, mail.subject, mail.html, mail.text] : [null, null, null, null];
  const claim = await env.DB.prepare(`INSERT OR IGNORE INTO outbox
    (partner, decision_id, offer_id, kind, adapter, status, to_addr, subject, html, text, created_ms, sent_ms)
    VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?, NULL)`).bind(...keyCols, adapter, ...content, Date.now()).run();
  if (!inserted(claim)) return false;
  if (!local) {
    try {
      await deliver(env, adapter, keyCols.join(":"), mail);
    } catch (e) {
      await env.DB.prepare("DELETE FROM outbox WHERE partner = ? AND decision_id = ? AND offer_id = ? AND kind = ?").bind(...keyCols).run();
      throw e;
    }
  }
  await env.DB.prepare("UPDATE outbox SET status = 'sent', sent_ms = ? WHERE partner = ? AND decision_id = ? AND offer_id = ? AND kind = ?")
    .bind(Date.now(), ...keyCols).run();
  return true;
}

async function recordFailure(env, job, kind, failure) {
  await ensureSchema(env);
  await env.DB.prepare(`INSERT OR IGNORE INTO fulfilment_failures (partner, event_id, kind, code, message, created_ms)
    VALUES (?, ?, ?, ?, ?, ?)`).bind(job.partner, job.eventId, kind, failure.code, String(failure.message).slice(0, 500), Date.now()).run();
  console.warn(`fulfilment ${kind} for ${job.partner}/${job.eventId} failed for good (${failure.code}): ${failure.message}`);
}

/** When the reminder is due: REMINDER_DELAY_MS after now (tests), else the core's reminderAt. */
function reminderTime(env, mail) {
  if (mail.reminderAt === null || mail.reminderAt === undefined) return null;
  const override = intSetting(env, "REMINDER_DELAY_MS", -1);
  if (override >= 0) return Date.now() + override;
  return typeof mail.reminderAt === "number" ? mail.reminderAt : Date.parse(mail.reminderAt);
}

/** One queued job: confirmation email, then the reminder's alarm. */
async function fulfil(env, job) {
  const mail = await render(env, job);
  await sendOnce(env, job.partner, "confirmation", mail);
  const at = reminderTime(env, mail);
  if (at !== null && Number.isFinite(at)) {
    const name = `${job.partner}:${mail.decisionId}:${mail.offerId}`;
    await env.REMINDERS.get(env.REMINDERS.idFromName(name)).schedule(job, at);
  }
}

/** The queue consumer (wrangler.toml [[queues.consumers]]). */
export async function handleQueue(batch, env) {
  for (const message of batch.messages) {
    const job = message.body;
    try {
      await fulfil(env, job);
      message.ack();
    } catch (e) {
      const failure = classify(e);
      if (failure) {
        await recordFailure(env, job, "confirmation", failure);
        message.ack();
      } else {
        console.warn(`fulfilment for ${job?.partner}/${job?.eventId} will be retried: ${e.message}`);
        message.retry({ delaySeconds: intSetting(env, "FULFILMENT_RETRY_DELAY_S", 30) });
      }
    }
  }
}

/**
 * FulfilmentReminder: one per (partner, decision, offer). Keeps the SEALED
 * request (never the opened email) until the alarm, re-opens it then, and
 * sends the reminder once.
 */
export class FulfilmentReminder extends DurableObject {
  /** Schedules the reminder unless one was already scheduled or sent (redelivery). */
  async schedule(job, atMs) {
    if (await this.ctx.storage.get("state")) return false;
    await this.ctx.storage.put("state", { status: "scheduled", job, atMs });
    await this.ctx.storage.setAlarm(atMs);
    return true;
  }

  async alarm() {
    const state = await this.ctx.storage.get("state");
    if (!state || state.status !== "scheduled") return;
    const { job } = state;
    try {
      const mail = await render(this.env, job);
      await sendOnce(this.env, job.partner, "reminder", { ...mail, subject: `Reminder: ${mail.subject}` });
      await this.ctx.storage.put("state", { status: "sent", partner: job.partner, sentMs: Date.now() });
    } catch (e) {
      const failure = classify(e);
      if (!failure) throw e; // workerd retries the alarm with backoff
      await recordFailure(this.env, job, "reminder", failure);
      await this.ctx.storage.put("state", { status: "failed", partner: job.partner, code: failure.code });
    }
  }

  /**
   * Erases the scheduled reminder and its sealed request (DELETE
   * /v1/shoppers); a reminder of another partner is left alone.
   */
  async forget(partner) {
    const state = await this.ctx.storage.get("state");
    const owner = state?.job?.partner ?? state?.partner;
    if (!state || owner !== partner) return { erased: false };
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return { erased: true };
  }

  /** The reminder's state without the sealed request (tests and operators). */
  async describe() {
    const state = await this.ctx.storage.get("state");
    if (!state) return null;
    const { job, ...rest } = state;
    return { ...rest, alarm: await this.ctx.storage.getAlarm() };
  }
}
