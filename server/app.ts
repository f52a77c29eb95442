// The HTTP service: report ingest (/v1/reports), snapshot status, health, readiness,
// Prometheus metrics and the PostGraphile GraphQL API, on one fastify instance.
// TypeScript stays thin: it authenticates, decodes bytes and calls SQL.
import { createGunzip } from "node:zlib";
import { PassThrough, type Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import pg from "pg";
import { timingSafeEqual, createHash } from "node:crypto";
import { fromSqlError, HttpError, InputError, isPoolTimeout } from "../lib/errors.js";
import { formatFor, ingest, type Format } from "../lib/ingest.js";
import { stripNul } from "../lib/text.js";
import type { ReportMeta } from "../lib/formats/types.js";
import { RateLimiter } from "../lib/ratelimit.js";
import { readiness } from "../lib/status.js";
import { serviceConnection } from "../lib/db.js";
import { checkToken } from "../lib/tokens.js";
import { gate, gatePolicy, parseCl, setGatePolicy } from "../lib/gate.js";
import { grafserv, makeGraphql } from "./graphql.js";
import { Counters, renderMetrics } from "./metrics.js";

export interface ServerOptions {
  databaseUrl: string;
  /** Production mode: no GraphiQL, no explain. */
  production?: boolean;
  /** Require an ingest token on POST /v1/reports (default true). */
  requireAuth?: boolean;
  /** Largest report body in bytes after decompression for JSON, SARIF and logs (default 256 MiB). */
  maxBodyBytes?: number;
  /** Largest streamed NDJSON body in bytes (default 4 GiB). */
  maxStreamBytes?: number;
  /** Reports per minute per token (0 = unlimited; default 600). */
  ratePerMinute?: number;
  rateBurst?: number;
  logger?: boolean | object;
  graphql?: boolean;
  /** Reports being received at once by this process; beyond it: 503 + Retry-After (default 32). */
  maxConcurrentUploads?: number;
  /** Bytes of whole-body reports (JSON, SARIF, logs) buffered at once; beyond it: 503 (default 512 MiB). */
  maxBufferedBytes?: number;
  /** A request body that sends nothing for this long is abandoned with 408 (default 30 s). */
  bodyIdleMs?: number;
  /** gzip bodies may expand at most this many times (beyond 16 MiB inflated); default 200. */
  maxInflateRatio?: number;
  /** Longest NDJSON line in bytes (default 1 MiB). */
  maxLineBytes?: number;
  /** Database connections of the server's pool (default 12). */
  poolSize?: number;
  /** Who may read /metrics: everyone, holders of metricsToken, or nobody (404). */
  metrics?: "public" | "token" | "off";
  /** Bearer token for /metrics when metrics = "token" (BUILDLEDGER_METRICS_TOKEN). */
  metricsToken?: string;
}

export interface BuildledgerServer { app: FastifyInstance; pool: pg.Pool; close(): Promise<void> }

// bigint ids and CLs as JSON numbers while they are exact (always, in practice).
const int8AsNumber = ((oid: number, format?: "text" | "binary") => {
  if (oid === 20) return (v: string) => { const n = Number(v); return Number.isSafeInteger(n) ? n : v; };
  return pg.types.getTypeParser(oid, format as "text");
}) as typeof pg.types.getTypeParser;

function metaFrom(req: FastifyRequest): ReportMeta {
  const q = (req.query ?? {}) as Record<string, string | undefined>;
  const h = (name: string) => {
    const v = req.headers[`x-buildledger-${name}`];
    return Array.isArray(v) ? v[0] : v;
  };
  const pick = (...names: string[]) => {
    for (const n of names) {
      const v = q[n] ?? h(n.replace(/_/g, "-"));
      if (v !== undefined && v !== "") return v;
    }
    return undefined;
  };
  const covered = pick("covered_paths");
  const rootsQ = q.source_root as unknown;
  const rootsH = req.headers["x-buildledger-source-root"];
  const roots = [...(Array.isArray(rootsQ) ? rootsQ : rootsQ ? [rootsQ] : []), ...(Array.isArray(rootsH) ? rootsH : rootsH ? [rootsH] : [])]
    .map(String).map((r) => r.trim()).filter(Boolean);
  return {
    project: pick("project"), stream: pick("stream"), changelist: pick("changelist", "cl"),
    build_id: pick("build_id", "build"), build_status: pick("build_status", "status"),
    covered_paths: covered !== undefined ? covered.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    submitted_at: pick("submitted_at"), author: pick("author"), description: pick("description"),
    path_prefix: pick("path_prefix"),
    source_roots: roots.length ? roots : undefined,
  };
}

/** Byte budget shared by the requests of one process (whole-body formats). */
class ByteBudget {
  private used = 0;
  constructor(private readonly limit: number) {}
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number) { this.used -= n; }
}

/**
 * The request body as a stream, guarded: an idle timer (no bytes for `idleMs` → 408),
 * and for gzip a bound on inflation (more than `maxRatio` times the compressed bytes,
 * past 16 MiB → 413), so a decompression bomb costs milliseconds, not gigabytes.
 * The raw request is never destroyed from here, so an answer can still be sent.
 */
function bodyStream(req: FastifyRequest, opts: { idleMs: number; maxRatio: number }): Readable {
  const raw = req.body as Readable | undefined;
  if (!raw || typeof raw.on !== "function") throw new HttpError(400, "body: the request has no body (send the report)");
  const enc = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (enc !== "identity" && enc !== "gzip" && enc !== "x-gzip") {
    throw new HttpError(415, `content-encoding: unsupported value "${enc}" (expected gzip or identity)`);
  }
  const out = new PassThrough();
  let compressed = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => out.destroy(new HttpError(408, `body: no data received for ${opts.idleMs / 1000} s`)), opts.idleMs);
    timer.unref();
  };
  const done = () => clearTimeout(timer);
  out.on("close", done);
  arm();
  raw.on("data", (b: Buffer) => { compressed += b.length; arm(); });
  raw.on("error", (e) => out.destroy(e));
  raw.on("aborted", () => out.destroy(new HttpError(400, "body: the client closed the connection mid-body")));
  if (enc === "gzip" || enc === "x-gzip") {
    const gunzip = createGunzip();
    let inflated = 0;
    gunzip.on("data", (b: Buffer) => {
      inflated += b.length;
      if (inflated > 16 * 1024 * 1024 && inflated > opts.maxRatio * Math.max(compressed, 1)) {
        gunzip.destroy(new InputError("body", `gzip data expands more than ${opts.maxRatio} times (a decompression bomb?)`, 413));
      }
    });
    gunzip.on("error", (e) => { raw.unpipe(gunzip); out.destroy(e); });
    raw.pipe(gunzip).pipe(out);
  } else {
    raw.pipe(out);
  }
  return out;
}

/**
 * Discards the rest of a refused request's body — for at most `ms` (and `maxBytes`),
 * then the socket is destroyed — so the client reads the answer instead of a reset
 * (a reset can discard an answer the client has not read yet). Discarding buffers
 * nothing, so a 200 MB body costs no memory.
 */
function lingerAndDiscard(req: FastifyRequest, maxBytes: number, ms: number) {
  const raw = req.raw;
  if (raw.readableEnded || raw.destroyed) return;
  let seen = 0;
  // only a body still arriving is cut: a complete request leaves its connection alone
  // (the client may already reuse it)
  const cut = () => { clearTimeout(timer); if (!raw.complete) raw.socket?.destroy(); };
  const timer = setTimeout(cut, ms);
  timer.unref();
  raw.on("data", (b: Buffer) => { seen += b.length; if (seen > maxBytes) cut(); });
  raw.on("end", () => clearTimeout(timer));
  raw.unpipe(); // a gunzip or PassThrough that stopped reading must not hold it back
  raw.resume();
}

const bearer = (req: FastifyRequest) => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];

function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

export async function buildServer(opts: ServerOptions): Promise<BuildledgerServer> {
  // One pool; no request holds a connection while it waits for another one or for
  // the client's bytes (NDJSON takes a connection per chunk), and a wait for a
  // connection is bounded (503 + Retry-After instead of a queue without end).
  const pool = new pg.Pool({
    ...serviceConnection(opts.databaseUrl, "buildledger_ingest"), max: opts.poolSize ?? 12, types: { getTypeParser: int8AsNumber },
    connectionTimeoutMillis: 30_000, idleTimeoutMillis: 30_000,
  });
  pool.on("error", () => {});
  const counters = new Counters();
  const limiter = new RateLimiter(opts.ratePerMinute ?? 600, opts.rateBurst);
  const requireAuth = opts.requireAuth ?? true;
  const production = opts.production ?? process.env.NODE_ENV === "production";
  const maxUploads = opts.maxConcurrentUploads ?? 32;
  const budget = new ByteBudget(opts.maxBufferedBytes ?? 512 * 1024 * 1024);
  const guard = { idleMs: opts.bodyIdleMs ?? 30_000, maxRatio: opts.maxInflateRatio ?? 200 };
  const metricsToken = opts.metricsToken ?? process.env.BUILDLEDGER_METRICS_TOKEN;
  const metricsMode = opts.metrics ?? (process.env.BUILDLEDGER_METRICS as ServerOptions["metrics"])
    ?? (metricsToken ? "token" : production ? "off" : "public");
  if (!["public", "token", "off"].includes(metricsMode)) throw new Error(`metrics: expected public, token or off, got "${metricsMode}"`);
  if (metricsMode === "token" && !metricsToken) throw new Error("metrics: mode \"token\" needs BUILDLEDGER_METRICS_TOKEN");
  let uploads = 0;

  const app = Fastify({
    logger: opts.logger ?? { level: process.env.LOG_LEVEL ?? "info" },
    bodyLimit: opts.maxBodyBytes ?? 256 * 1024 * 1024,
    // A connection idle this long is closed (slow or stuck clients free their socket).
    connectionTimeout: 120_000,
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
  });

  // A query parameter is given once (only source_root repeats): every route reads
  // them as strings, so `?project=a&project=b` is a 400 naming it, never a 500.
  app.addHook("onRequest", async (req) => {
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(v) && k !== "source_root") {
        lingerAndDiscard(req, Number.POSITIVE_INFINITY, 5_000);
        throw new InputError(k, "query parameter given more than once");
      }
    }
  });

  // Parsed JSON and text bodies (every route but the streamed /v1/reports) get the
  // same text hygiene as reports: NUL bytes stripped, lone surrogates and deep
  // nesting refused naming the field (PostgreSQL text and jsonb hold neither).
  app.addHook("preValidation", async (req) => {
    const b = req.body as unknown;
    if (b === undefined || b === null || typeof (b as Readable).pipe === "function") return;
    req.body = stripNul(b, "body");
  });

  app.addHook("onResponse", async (req, reply) => {
    counters.inc("buildledger_http_requests_total", { route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof InputError) return reply.code(err.status).send({ error: err.message, field: err.field });
    if (err instanceof HttpError) return reply.code(err.status).headers(err.headers).send({ error: err.message });
    if (err.code === "Z_DATA_ERROR" || err.code === "Z_BUF_ERROR") {
      return reply.code(400).send({ error: "body: not valid gzip data", field: "body" });
    }
    if (isPoolTimeout(err)) {
      req.log.warn("no database connection within 30 s");
      return reply.code(503).header("retry-after", "5").send({ error: "server busy: no database connection available; retry later" });
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err }, "request failed");
    return reply.code(500).send({ error: "internal error; see the server log" });
  });

  /**
   * Checks the ingest token from the Authorization header alone (a token belongs to
   * one project), before any byte of the body is read. Returns the token's project,
   * or undefined when authentication is off.
   */
  type Auth = { project: string; tokenId: number; user: string | null } | undefined;
  // one check per request: a route that takes a body checks the token before the body
  // is read (authFirst, its preParsing hook) and its handler reuses that answer
  const authOf = new WeakMap<FastifyRequest, Promise<Auth>>();
  const authenticate = (req: FastifyRequest): Promise<Auth> => {
    let p = authOf.get(req);
    if (!p) authOf.set(req, (p = checkAuth(req)));
    return p;
  };
  /**
   * preParsing hook of the routes that take a JSON or text body: the token is checked
   * before Fastify reads and parses the body, so a request without a valid token costs
   * neither the bytes nor the parse (a 64 MB body is discarded unbuffered, as for
   * /v1/reports). With authentication off it does nothing.
   */
  const authFirst = async (req: FastifyRequest) => {
    try {
      await authenticate(req);
    } catch (e) {
      lingerAndDiscard(req, Number.POSITIVE_INFINITY, 5_000);
      throw e;
    }
  };
  const checkAuth = async (req: FastifyRequest): Promise<Auth> => {
    if (!requireAuth) return undefined;
    const token = bearer(req);
    if (!token) throw new HttpError(401, "authorization: missing ingest token (Authorization: Bearer <token>)", { "www-authenticate": "Bearer" });
    const check = await checkToken(pool, token);
    if (!check.ok) throw new HttpError(401, `authorization: ${check.reason === "revoked" ? "this token was revoked" : "unknown token"}`, { "www-authenticate": "Bearer" });
    return { project: check.project, tokenId: check.tokenId, user: check.user };
  };
  const requireProject = (tokenProject: string | undefined, project: string | undefined) => {
    if (tokenProject !== undefined && project !== undefined && project !== tokenProject) {
      throw new HttpError(403, `project: this token may post to "${tokenProject}", not to "${project}"`);
    }
  };

  // ---- ingest ----------------------------------------------------------------------
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));

    scope.post("/v1/reports", async (req, reply) => {
      let counted = false;
      try {
        const q = (req.query ?? {}) as Record<string, string | undefined>;
        const format = formatFor(q.format, req.headers["content-type"]);
        if (!format) {
          throw new InputError("format", `unsupported format ${JSON.stringify(q.format ?? req.headers["content-type"])} (expected json, ndjson, sarif or log)`, q.format ? 400 : 415);
        }
        if (uploads >= maxUploads) {
          throw new HttpError(503, `server busy: ${uploads} reports are being received; retry later`, { "retry-after": "2" });
        }
        uploads++;
        counted = true;
        const meta = metaFrom(req);
        // Trust first: the token is checked before a byte of the body is read.
        const auth = await authenticate(req);
        requireProject(auth?.project, meta.project);
        if (auth) {
          const wait = limiter.take(String(auth.tokenId));
          if (wait > 0) throw new HttpError(429, `rate limit: too many reports for this token; retry in ${wait} s`, { "retry-after": String(wait) });
        }
        const body = bodyStream(req, guard);
        const result = await ingest(pool, body, {
          format: format as Format, meta,
          maxBytes: format === "ndjson" ? (opts.maxStreamBytes ?? 4 * 1024 ** 3) : (opts.maxBodyBytes ?? 256 * 1024 * 1024),
          maxLineBytes: opts.maxLineBytes,
          budget,
          authorize: (project) => requireProject(auth?.project, project),
        });
        counters.inc("buildledger_reports_received_total", { format, outcome: "accepted" });
        counters.inc("buildledger_issues_received_total", {}, result.issues);
        return reply.code(202).header("location", `/v1/snapshots/${result.snapshotId}`).send({
          snapshot_id: result.snapshotId, format: result.format, issues: result.issues,
          status_url: `/v1/snapshots/${result.snapshotId}`,
        });
      } catch (e) {
        const status = e instanceof InputError || e instanceof HttpError ? e.status : 0;
        counters.inc("buildledger_reports_received_total", {
          format: String((req.query as Record<string, string> | undefined)?.format ?? "auto"),
          outcome: status >= 400 && status < 500 ? "rejected" : status === 503 ? "busy" : "error" });
        // Refused before or while reading the body: what the client still sends is
        // discarded (never buffered) for a little while, so it can read the answer, and
        // then the connection is cut (a bad token with a 200 MB body costs nothing).
        // (no "Connection: close": Node would close the socket right after the answer,
        // while the client is still sending, and the reset can swallow the answer)
        lingerAndDiscard(req, Number.POSITIVE_INFINITY, 5_000);
        throw e;
      } finally {
        if (counted) uploads--;
      }
    });
  });

  app.get("/v1/snapshots/:id", async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!/^\d{1,18}$/.test(id)) throw new InputError("id", "expected a snapshot id (a positive integer)");
    // With authentication on, a snapshot is shown only to a token of its project
    // (others get the same 404 as for a missing snapshot).
    const auth = await authenticate(req);
    const { rows } = await pool.query(
      `select snapshot_id, project, stream, cl, build_id, build_status, state, attempts, error,
              raw_issue_count, issue_count, occurrence_count, covered_paths,
              received_at, processing_started_at, processed_at,
              processing_ms::float8 as processing_ms
         from ledger.snapshot where snapshot_id = $1 and ($2::text is null or project = $2)`, [id, auth?.project ?? null]);
    if (rows.length === 0) return reply.code(404).send({ error: `id: no snapshot ${id}` });
    return rows[0];
  });

  // ---- quality gate ------------------------------------------------------------------
  // GET /v1/gate?project=&stream=&cl= answers pass / fail / not_ready for CI; the
  // policy is read with GET and changed with PUT /v1/gate/policy?project=. With
  // authentication on, both need an ingest token of that project.
  const projectParam = (q: Record<string, string | undefined>) => {
    const p = q.project?.trim();
    if (!p) throw new InputError("project", "required query parameter is missing");
    return p;
  };
  const mayUse = async (req: FastifyRequest, project: string) => {
    const auth = await authenticate(req);
    requireProject(auth?.project, project);
    return auth;
  };
  app.get("/v1/gate", async (req) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const project = projectParam(q);
    const cl = parseCl(q.cl);
    await mayUse(req, project);
    return gate(pool, project, cl, q.stream?.trim() || "main");
  });
  app.get("/v1/gate/policy", async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    await mayUse(req, project);
    return gatePolicy(pool, project);
  });
  app.put("/v1/gate/policy", { bodyLimit: 1024 * 1024, preParsing: authFirst }, async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    const auth = await mayUse(req, project);
    if (!req.body || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new InputError("policy", "expected a JSON object of settings");
    }
    return setGatePolicy(pool, project, req.body, auth ? `token ${auth.tokenId}` : undefined);
  });

  // Source roots of a project (stripped from absolute paths of its logs and SARIF).
  app.get("/v1/source-roots", async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    await mayUse(req, project);
    const { rows } = await pool.query("select ledger.source_roots($1) as roots", [project]);
    return { project, roots: rows[0].roots };
  });
  app.put("/v1/source-roots", { bodyLimit: 1024 * 1024, preParsing: authFirst }, async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    await mayUse(req, project);
    const roots = (req.body as { roots?: unknown } | undefined)?.roots;
    if (!Array.isArray(roots) || !roots.every((r) => typeof r === "string")) {
      throw new InputError("roots", "expected {\"roots\": [\"/path/to/root\", ...]}");
    }
    try {
      const { rows } = await pool.query("select ledger.set_source_roots($1, $2::text[]) as roots", [project, roots]);
      return { project, roots: rows[0].roots };
    } catch (e) {
      throw fromSqlError(e);
    }
  });

  // ---- changelists, suspects, ownership (a project's token) ----------------------------
  const sqlCall = async (text: string, params: unknown[]) => {
    try { return (await pool.query(text, params)).rows; } catch (e) { throw fromSqlError(e); }
  };
  app.post("/v1/changelists", { bodyLimit: 64 * 1024 * 1024, preParsing: authFirst }, async (req) => {
    const body = req.body as unknown;
    const list = Array.isArray(body) ? body : (body as { changelists?: unknown } | undefined)?.changelists;
    if (!Array.isArray(list)) throw new InputError("changes", "expected a JSON array of changelists (or {\"changelists\": [...]})");
    const auth = await authenticate(req);
    list.forEach((c, i) => {
      const p = (c as { project?: unknown } | null)?.project;
      if (auth && typeof p === "string" && p !== auth.project) {
        throw new HttpError(403, `changes[${i}].project: this token may post to "${auth.project}", not to "${p}"`);
      }
    });
    const rows = await sqlCall("select ledger.record_changelists($1::jsonb) as n", [JSON.stringify(list)]);
    return { recorded: rows[0].n };
  });
  app.get("/v1/suspects", async (req) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const project = projectParam(q);
    if (!/^\d{1,18}$/.test(q.issue_id ?? "")) throw new InputError("issue_id", "expected an issue id");
    const startCl = q.start_cl === undefined ? null : parseCl(q.start_cl, "start_cl");
    await mayUse(req, project);
    return sqlCall("select * from ledger.suspects($1, $2::bigint, $3::bigint, $4)", [project, q.issue_id, startCl, q.stream?.trim() || "main"]);
  });
  app.get("/v1/owners", async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    await mayUse(req, project);
    return sqlCall("select pattern, team, people from ledger.owner_rules where project = $1 order by pattern", [project]);
  });
  await app.register(async (scope) => {
    scope.addContentTypeParser(["text/plain"], { parseAs: "string", bodyLimit: 4 * 1024 * 1024 }, (_r, body, done) => done(null, body));
    scope.put("/v1/owners", { bodyLimit: 4 * 1024 * 1024, preParsing: authFirst }, async (req) => {
      const q = (req.query ?? {}) as Record<string, string | undefined>;
      const project = projectParam(q);
      await mayUse(req, project);
      if (typeof req.body === "string") {
        const rows = await sqlCall("select ledger.load_codeowners($1, $2, $3) as n", [project, req.body, q.path_prefix ?? ""]);
        return { project, rules: rows[0].n };
      }
      const rules = (req.body as { rules?: unknown } | undefined)?.rules;
      if (!Array.isArray(rules)) throw new InputError("rules", "expected {\"rules\": [{pattern, team, people}]} or a CODEOWNERS file as text/plain");
      const rows = await sqlCall("select ledger.set_owner_rules($1, $2::jsonb, true) as n", [project, JSON.stringify(rules)]);
      return { project, rules: rows[0].n };
    });
  });

  // ---- triage and notifications (issue 12, parts 4-5) -----------------------------------
  // Writes need a token of the project that carries a user name (`buildledger token
  // create P --user NAME`): the events record that name. Without authentication (dev
  // mode, --no-auth) the actor is the X-Buildledger-User header, else 401.
  const actorOf = (req: FastifyRequest, auth: Awaited<ReturnType<typeof authenticate>>) => {
    if (auth) {
      if (!auth.user) throw new HttpError(403, "authorization: this token carries no user name; triage needs a personal token (buildledger token create <project> --user NAME)");
      return auth.user;
    }
    const h = req.headers["x-buildledger-user"];
    const u = (Array.isArray(h) ? h[0] : h)?.trim();
    if (!u) throw new HttpError(401, "authorization: triage needs a personal token (or, with authentication off, an X-Buildledger-User header)");
    return u;
  };
  app.post("/v1/triage", { bodyLimit: 16 * 1024 * 1024, preParsing: authFirst }, async (req) => {
    const body = req.body as unknown;
    const list = Array.isArray(body) ? body : body && typeof body === "object" && Array.isArray((body as { events?: unknown }).events)
      ? (body as { events: unknown[] }).events : body && typeof body === "object" ? [body] : undefined;
    if (!list) throw new InputError("events", "expected a triage event, an array of them, or {\"events\": [...]}");
    const auth = await authenticate(req);
    const actor = actorOf(req, auth);
    list.forEach((e, i) => {
      const p = (e as { project?: unknown } | null)?.project;
      if (auth && typeof p === "string" && p !== auth.project) {
        throw new HttpError(403, `events[${i}].project: this token may triage "${auth.project}", not "${p}"`);
      }
    });
    const rows = await sqlCall("select ledger.record_triage($1::jsonb, $2) as r", [JSON.stringify(list), actor]);
    return { actor, events: rows[0].r };
  });
  app.get("/v1/triage", async (req) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const project = projectParam(q);
    const stream = q.stream?.trim() || "main";
    if (!/^\d{1,18}$/.test(q.issue_id ?? "")) throw new InputError("issue_id", "expected an issue id");
    await mayUse(req, project);
    const [state] = await sqlCall("select * from ledger.issue_triage where project = $1 and stream = $2 and issue_id = $3::bigint",
      [project, stream, q.issue_id]);
    const history = await sqlCall(
      `select event_id, action, actor, at, assignee, reason, until_cl, until_at, note, fixed_cl, client_id
         from ledger.issue_triage_event where project = $1 and stream = $2 and issue_id = $3::bigint order by event_id`,
      [project, stream, q.issue_id]);
    return { project, stream, issue_id: Number(q.issue_id), state: state ?? null, history };
  });
  app.get("/v1/subscriptions", async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    await mayUse(req, project);
    return sqlCall("select * from ledger.webhook_subscriptions where project = $1 order by name", [project]);
  });
  app.put("/v1/subscriptions", { bodyLimit: 1024 * 1024, preParsing: authFirst }, async (req) => {
    const project = projectParam((req.query ?? {}) as Record<string, string | undefined>);
    const auth = await mayUse(req, project);
    const actor = actorOf(req, auth);
    if (!req.body || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new InputError("subscription", "expected a JSON object {name, url, team?, path_prefix?, severities?, kinds?, secret?, format?}");
    }
    const rows = await sqlCall("select ledger.set_subscription($1, $2::jsonb, $3) as s", [project, JSON.stringify(req.body), actor]);
    return rows[0].s;
  });
  app.get("/v1/notifications", async (req) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const project = projectParam(q);
    await mayUse(req, project);
    return sqlCall(
      `select outbox_id, subscription, stream, cl, snapshot_id, idempotency_key, event_count, state, attempts, last_status,
              last_error, created_at, delivered_at
         from ledger.notification_log where project = $1 order by outbox_id desc limit 200`, [project]);
  });

  // ---- operations --------------------------------------------------------------------
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = await readiness(pool, { pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } });
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get("/metrics", async (req, reply) => {
    if (metricsMode === "off") return reply.code(404).send({ error: "metrics are off (BUILDLEDGER_METRICS)" });
    if (metricsMode === "token") {
      const t = bearer(req);
      if (!t || !sameSecret(t, metricsToken!)) {
        return reply.code(401).header("www-authenticate", "Bearer").send({ error: "authorization: /metrics needs the metrics token" });
      }
    }
    reply.header("content-type", "text/plain; version=0.0.4");
    return renderMetrics(pool, counters);
  });

  // ---- GraphQL -----------------------------------------------------------------------
  let closeGraphql = async () => {};
  if (opts.graphql ?? true) {
    const g = makeGraphql(opts.databaseUrl, { production });
    const serv = g.pgl.createServ(grafserv);
    await serv.addTo(app);
    closeGraphql = () => g.release(); // releases serv too
  }

  return {
    app, pool,
    async close() {
      await app.close();
      await closeGraphql();
      await pool.end();
    },
  };
}
