// Notification jobs (issue 12, part 5). The SQL decides what to send and keeps the
// books (functions/160_notifications.sql); this file only signs and POSTs.
//   notify_snapshot {snapshot_id}       ledger_private.notify_snapshot: one outbox row and
//                                       one deliver job per matching subscription
//   deliver_notification {outbox_id}    POST the stored body; 2xx → delivered, else the
//                                       attempt is logged and the job throws, so
//                                       graphile-worker retries it with exponential backoff
// Headers: Idempotency-Key (the same on every attempt of a message), X-Buildledger-
// Signature: sha256=<hex HMAC-SHA256 of the raw body with the subscription's secret>.
import { createHmac } from "node:crypto";
import type { Task } from "graphile-worker";

type Log = (msg: string, extra?: Record<string, unknown>) => void;
const errText = (e: unknown) => (e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e));

/** The signature header value for a body: what a receiver recomputes to verify it. */
export const signBody = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;

export const notifySnapshot = (log: Log): Task => async (payload, helpers) => {
  const id = Number((payload as { snapshot_id?: unknown }).snapshot_id);
  if (!Number.isSafeInteger(id)) throw new Error(`payload.snapshot_id: expected an integer, got ${JSON.stringify(payload)}`);
  const { rows } = await helpers.withPgClient((c) => c.query("select ledger_private.notify_snapshot($1) as n", [id]));
  if (rows[0].n > 0) log("notifications queued", { snapshot_id: id, messages: rows[0].n });
};

export const deliverNotification = (log: Log, timeoutMs = 10_000): Task => async (payload, helpers) => {
  const id = Number((payload as { outbox_id?: unknown }).outbox_id);
  if (!Number.isSafeInteger(id)) throw new Error(`payload.outbox_id: expected an integer, got ${JSON.stringify(payload)}`);
  const { rows } = await helpers.withPgClient((c) => c.query("select * from ledger_private.delivery_get($1)", [id]));
  const m = rows[0] as { state: string; url: string; secret: string; body: string; idempotency_key: string } | undefined;
  if (!m || m.state !== "pending") return; // delivered (or gave up) already: a retried job is harmless
  const { attempts, max_attempts } = helpers.job;
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(m.url, {
      method: "POST", body: m.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json", "user-agent": "buildledger-webhook/1",
        "idempotency-key": m.idempotency_key, "x-buildledger-delivery": m.idempotency_key,
        "x-buildledger-signature": signBody(m.secret, m.body),
      },
    });
    status = res.status;
    const text = await res.text().catch(() => "");
    if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ""}`;
  } catch (e) {
    error = errText(e);
  }
  const { rows: [r] } = await helpers.withPgClient((c) =>
    c.query("select ledger_private.delivery_record($1, $2, $3, $4, $5) as state", [id, attempts, max_attempts, status, error]));
  if (error) {
    log("notification delivery failed", { outbox_id: id, attempt: attempts, max_attempts, state: r.state, error });
    throw new Error(`deliver_notification ${id}: ${error}`);
  }
  log("notification delivered", { outbox_id: id, attempt: attempts, status });
};
