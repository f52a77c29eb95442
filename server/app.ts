// The HTTP service: report ingest (/v1/reports), snapshot status, health, readiness,
// Prometheus metrics and the PostGraphile GraphQL API, on one fastify instance.
// TypeScript stays thin: it authenticates, decodes bytes and calls SQL.
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import pg from "pg";
import { HttpError, InputError } from "../lib/errors.js";
import { formatFor, ingest, type Format } from "../lib/ingest.js";
import type { ReportMeta } from "../lib/formats/types.js";
import { RateLimiter } from "../lib/ratelimit.js";
import { readiness } from "../lib/status.js";
import { checkToken } from "../lib/tokens.js";
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
  return {
    project: pick("project"), stream: pick("stream"), changelist: pick("changelist", "cl"),
    build_id: pick("build_id", "build"), build_status: pick("build_status", "status"),
    covered_paths: covered !== undefined ? covered.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    submitted_at: pick("submitted_at"), author: pick("author"), description: pick("description"),
    path_prefix: pick("path_prefix"),
  };
}

function bodyStream(req: FastifyRequest): Readable {
  const raw = req.body as Readable;
  const enc = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") {
    const gunzip = createGunzip();
    raw.on("error", (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    return gunzip.on("error", () => {}) as unknown as Readable;
  }
  if (enc !== "identity") throw new HttpError(415, `content-encoding: unsupported value "${enc}" (expected gzip or identity)`);
  return raw;
}

export async function buildServer(opts: ServerOptions): Promise<BuildledgerServer> {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 12, types: { getTypeParser: int8AsNumber } });
  pool.on("error", () => {});
  const counters = new Counters();
  const limiter = new RateLimiter(opts.ratePerMinute ?? 600, opts.rateBurst);
  const requireAuth = opts.requireAuth ?? true;
  const app = Fastify({
    logger: opts.logger ?? { level: process.env.LOG_LEVEL ?? "info" },
    bodyLimit: opts.maxBodyBytes ?? 256 * 1024 * 1024,
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
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err }, "request failed");
    return reply.code(500).send({ error: "internal error; see the server log" });
  });

  // ---- ingest ----------------------------------------------------------------------
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));

    const authorize = async (req: FastifyRequest, project: string) => {
      if (!requireAuth) return;
      const auth = req.headers.authorization ?? "";
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw new HttpError(401, "authorization: missing ingest token (Authorization: Bearer <token>)", { "www-authenticate": "Bearer" });
      const check = await checkToken(pool, m[1]);
      if (!check.ok) throw new HttpError(401, `authorization: ${check.reason === "revoked" ? "this token was revoked" : "unknown token"}`, { "www-authenticate": "Bearer" });
      if (check.project !== project) throw new HttpError(403, `project: this token may post to "${check.project}", not to "${project}"`);
      const wait = limiter.take(String(check.tokenId));
      if (wait > 0) throw new HttpError(429, `rate limit: too many reports for this token; retry in ${wait} s`, { "retry-after": String(wait) });
    };

    scope.post("/v1/reports", async (req, reply) => {
      const q = (req.query ?? {}) as Record<string, string | undefined>;
      const format = formatFor(q.format, req.headers["content-type"]);
      if (!format) {
        throw new InputError("format", `unsupported format ${JSON.stringify(q.format ?? req.headers["content-type"])} (expected json, ndjson, sarif or log)`, q.format ? 400 : 415);
      }
      // Auth before reading the body when the project is known up front.
      const meta = metaFrom(req);
      let authorized = false;
      // no token at all: 401 before reading the body
      if (requireAuth && !req.headers.authorization) await authorize(req, meta.project ?? "");
      let result;
      try {
        result = await ingest(pool, bodyStream(req), {
          format: format as Format, meta,
          maxBytes: format === "ndjson" ? (opts.maxStreamBytes ?? 4 * 1024 ** 3) : (opts.maxBodyBytes ?? 256 * 1024 * 1024),
          authorize: async (project) => { if (!authorized) { await authorize(req, project); authorized = true; } },
        });
      } catch (e) {
        counters.inc("buildledger_reports_received_total", { format, outcome: e instanceof InputError || e instanceof HttpError ? "rejected" : "error" });
        // Drain what the client still sends so it reads our answer.
        (req.body as Readable).resume?.();
        throw e;
      }
      counters.inc("buildledger_reports_received_total", { format, outcome: "accepted" });
      counters.inc("buildledger_issues_received_total", {}, result.issues);
      return reply.code(202).header("location", `/v1/snapshots/${result.snapshotId}`).send({
        snapshot_id: result.snapshotId, format: result.format, issues: result.issues,
        status_url: `/v1/snapshots/${result.snapshotId}`,
      });
    });
  });

  app.get("/v1/snapshots/:id", async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!/^\d{1,18}$/.test(id)) throw new InputError("id", "expected a snapshot id (a positive integer)");
    const { rows } = await pool.query(
      `select snapshot_id, project, stream, cl, build_id, build_status, state, attempts, error,
              raw_issue_count, issue_count, occurrence_count, covered_paths,
              received_at, processing_started_at, processed_at,
              processing_ms::float8 as processing_ms
         from ledger.snapshot where snapshot_id = $1`, [id]);
    if (rows.length === 0) return reply.code(404).send({ error: `id: no snapshot ${id}` });
    return rows[0];
  });

  // ---- operations --------------------------------------------------------------------
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = await readiness(pool);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", "text/plain; version=0.0.4");
    return renderMetrics(pool, counters);
  });

  // ---- GraphQL -----------------------------------------------------------------------
  let closeGraphql = async () => {};
  if (opts.graphql ?? true) {
    const g = makeGraphql(opts.databaseUrl, { production: opts.production ?? process.env.NODE_ENV === "production" });
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
