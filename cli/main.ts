// buildledger — the command line. Every command acts on DATABASE_URL (or
// --database-url); without either it uses the embedded database of `npm start`.
//   serve     HTTP ingest + GraphQL (+ --with-worker to run jobs in the same process)
//   worker    the durable job runner
//   migrate   bring the database to the current schema
//   ingest    <file> [--format json|ndjson|sarif|log] through HTTP (--url) or the database (--direct)
//   token     create <project> [--name N] | revoke <id|name> [--project P] | list [--project P]
//   backfill  --project P [--stream S] --from CL --to CL [--chunk N] [--no-wait]
//   status    per-timeline watermarks, backlog and lag
//   triage / subscribe / notifications   triage events, webhook subscriptions, the delivery log
// Errors are one line on stderr and a non-zero exit.
import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import pg from "pg";
import { EMBEDDED_URL } from "../lib/embedded.js";
import { InputError } from "../lib/errors.js";
import { FORMATS, formatFor, ingest, type Format } from "../lib/ingest.js";
import type { ReportMeta } from "../lib/formats/types.js";
import { migrateDatabase } from "../lib/migrate.js";
import { createToken, listTokens, revokeToken } from "../lib/tokens.js";

type Flags = Record<string, string | boolean>;

function parseArgs(argv: string[]): { positional: string[]; flags: Flags } {
  const positional: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (a.startsWith("--no-")) flags[a.slice(5)] = false;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}

const str = (f: Flags, k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);
const num = (f: Flags, k: string, d?: number) => {
  const v = str(f, k);
  if (v === undefined) return d;
  if (!/^\d+$/.test(v)) throw new Error(`--${k}: expected a positive integer, got "${v}"`);
  return Number(v);
};

function dbUrl(f: Flags): string {
  return str(f, "database-url") ?? process.env.DATABASE_URL
    ?? EMBEDDED_URL;
}

const USAGE = `usage: buildledger <command> [options]
  serve    [--port 4000] [--host 127.0.0.1] [--production] [--no-auth] [--with-worker]
  worker   [--concurrency 2]
  migrate
  ingest   <file|-> [--format json|ndjson|sarif|log] [--url http://host:port --token T | --direct]
           [--project P] [--stream S] [--cl N] [--build-id ID] [--path-prefix PREFIX] [--source-root DIR ...]
  token    create <project> [--name NAME] [--user PERSON] [--create-project] | revoke <id|name> [--project P] | list [--project P]
  backfill --project P [--stream main] --from CL --to CL [--chunk 50] [--no-wait]
  status   [--project P]
  retry    <snapshot-id> | --all [--project P]   re-queue failed snapshots (they keep their input)
  roots    --project P [--set DIR ...] [--clear]   show or replace a project's source roots
  retention --project P [--keep-days N | --off] [--apply]
           show or set how long a project's observations are kept (intervals and
           metrics are kept for ever); --apply runs the storage maintenance now
  changelists <file.json|->                 record CL metadata (author, description, submitted_at, files) from a VCS feed
  owners   --project P [--codeowners FILE [--path-prefix X]] [--rules FILE.json]   show or replace ownership rules
  suspects --project P --issue ID [--start-cl N] [--stream S]   changelists that may have introduced an issue
  triage   [show [ID]] | <acknowledge|unacknowledge|assign|unassign|suppress|unsuppress|note|mark_fixed|unmark_fixed> ID
           --project P [--stream S] [--assignee NAME] [--reason R] [--until-cl N] [--until TIME] [--note TEXT] [--cl N] [--id CLIENT_ID] [--as NAME]
  subscribe --project P [--name N --url URL [--team T] [--path-prefix X] [--severities error,warning] [--kinds new,regression,resolved,suspect]
           [--format json|slack] [--secret S] [--no-active]]   show or set webhook subscriptions
  notifications --project P [--limit 20]   the delivery log (state, attempts, last error)
  renormalise --to 2 [--chunk 5000] [--no-wait]   move identities to normaliser v2 (jobs; needs a running worker)
  gate     --project P --cl N [--stream main] [--wait SECONDS] [--json] [--url URL --token T]
           exit code 0 pass, 1 fail, 2 not ready (after --wait) or error
  policy   --project P [--set key=value ...]   show or change the gate policy
  generate [--projects 2] [--builds 120] [--issues-per-build 400] [--depth 8] [--seed 42]
           [--to sql|http|files] [--url http://host:port] [--out DIR --format json|ndjson|sarif|log] [--no-process]
Database: --database-url or DATABASE_URL (default: the embedded database of npm start).`;

function progress(label: string) {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(text: string) {
      const now = Date.now();
      if (!tty && now - last < 2000) return;
      last = now;
      process.stderr.write(tty ? `\r${label}: ${text}\x1b[K` : `${label}: ${text}\n`);
    },
    done(text: string) { process.stderr.write(tty ? `\r${label}: ${text}\x1b[K\n` : `${label}: ${text}\n`); },
  };
}

async function withPool<T>(f: Flags, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: dbUrl(f), max: 2 }).on("error", () => {});
  try { return await fn(pool); } finally { await pool.end(); }
}

async function cmdServe(f: Flags) {
  const production = f.production === true || process.env.NODE_ENV === "production";
  process.env.GRAPHILE_ENV ??= production ? "production" : "development";
  const { buildServer } = await import("../server/app.js");
  const url = dbUrl(f);
  const srv = await buildServer({
    databaseUrl: url,
    production,
    requireAuth: f.auth !== false,
  });
  let worker: { stop(): Promise<void> } | undefined;
  if (f["with-worker"]) {
    const { startWorker } = await import("../worker/index.js");
    worker = await startWorker({ databaseUrl: url, handleSignals: false });
  }
  const port = num(f, "port", Number(process.env.PORT ?? 4000))!;
  const host = str(f, "host") ?? process.env.HOST ?? "127.0.0.1";
  await srv.app.listen({ port, host });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    srv.app.log.info("shutting down");
    // Bounded: clients that hold connections open (slow bodies, long polls) get
    // SHUTDOWN_GRACE_MS to finish, then the process exits regardless.
    const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 10_000);
    setTimeout(() => {
      srv.app.log.warn(`still busy after ${grace} ms; exiting`);
      process.exit(0);
    }, grace).unref();
    await Promise.all([worker?.stop(), srv.close()]).catch((e) => srv.app.log.error({ err: e }, "shutdown error"));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

async function cmdWorker(f: Flags) {
  const { startWorker } = await import("../worker/index.js");
  const log = (msg: string) => console.error(JSON.stringify({ level: "info", time: new Date().toISOString(), msg }));
  // Graceful shutdown: running jobs finish (graphile-worker aborts them after its
  // timeout), nothing new is taken, then exit 0.
  let w: Awaited<ReturnType<typeof startWorker>> | undefined;
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping after the running jobs`);
    const grace = Number(process.env.SHUTDOWN_GRACE_MS ?? 30_000);
    setTimeout(() => {
      log(`jobs still running after ${grace} ms; exiting (they are retried by the next worker)`);
      process.exit(0);
    }, grace).unref();
    await w?.stop();
    log("worker stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  const concurrency = num(f, "concurrency", 2)!;
  if (concurrency < 1) throw new Error(`--concurrency: expected a positive integer, got "${concurrency}"`);
  w = await startWorker({ databaseUrl: dbUrl(f), concurrency, handleSignals: false });
  if (stopping) await w.stop();
  log("worker started");
  await w.promise;
}

async function cmdIngest(pos: string[], f: Flags) {
  const file = pos[0];
  if (!file) throw new Error("ingest: give a report file (or - for stdin)");
  const explicit = str(f, "format");
  if (explicit && !(FORMATS as readonly string[]).includes(explicit)) throw new Error(`--format: expected one of ${FORMATS.join(", ")}`);
  const format: Format = (explicit as Format | undefined)
    ?? (file.endsWith(".ndjson") || file.endsWith(".jsonl") ? "ndjson"
      : file.endsWith(".sarif") ? "sarif" : file.endsWith(".log") || file.endsWith(".txt") ? "log"
      : formatFor(undefined, "application/json")!);
  const meta: ReportMeta = {
    project: str(f, "project"), stream: str(f, "stream"), changelist: str(f, "cl") ?? str(f, "changelist"),
    build_id: str(f, "build-id"), build_status: str(f, "build-status"), path_prefix: str(f, "path-prefix"),
    source_roots: repeated(process.argv.slice(2), "source-root").length ? repeated(process.argv.slice(2), "source-root") : undefined,
    covered_paths: str(f, "covered-paths")?.split(","),
  };
  const size = file === "-" ? undefined : statSync(file).size;
  const input = () => (file === "-" ? process.stdin : createReadStream(file));
  const bar = progress(`ingest ${file}`);
  const url = str(f, "url");
  if (url && !f.direct) {
    const q = new URLSearchParams({ format });
    for (const [k, v] of Object.entries(meta)) if (v !== undefined) q.set(k, Array.isArray(v) ? v.join(",") : v);
    let sent = 0;
    const body = input();
    body.on("data", (c: Buffer) => { sent += c.length; bar.update(size ? `${Math.round((100 * sent) / size)}% of ${size} bytes` : `${sent} bytes`); });
    const token = str(f, "token") ?? process.env.BUILDLEDGER_TOKEN;
    const res = await fetch(`${url.replace(/\/$/, "")}/v1/reports?${q}`, {
      method: "POST", body: Readable.toWeb(body) as ReadableStream, duplex: "half",
      headers: { "content-type": "application/octet-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    } as RequestInit);
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${json.error ?? res.statusText}`);
    bar.done(`accepted as snapshot ${json.snapshot_id} (${json.issues} issues); status: ${url.replace(/\/$/, "")}${json.status_url}`);
    return;
  }
  await withPool(f, async (pool) => {
    const r = await ingest(pool, input(), {
      format, meta, maxBytes: Number.MAX_SAFE_INTEGER,
      onProgress: (n) => bar.update(`${n} issues`),
    });
    bar.done(`staged as snapshot ${r.snapshotId} (${r.issues} issues); a worker processes it`);
  });
}

async function cmdToken(pos: string[], f: Flags) {
  const [sub, arg] = pos;
  await withPool(f, async (pool) => {
    if (sub === "create") {
      if (!arg) throw new Error("token create: give the project");
      const { token, row } = await createToken(pool, arg, str(f, "name") ?? `token-${Date.now()}`, { createProject: f["create-project"] === true, user: str(f, "user") });
      console.log(token);
      console.error(`created token ${row.token_id} "${row.name}" for project ${row.project}; it is shown only now`);
    } else if (sub === "revoke") {
      if (!arg) throw new Error("token revoke: give the token id or name");
      const n = await revokeToken(pool, arg, str(f, "project"));
      if (n === 0) throw new Error(`token revoke: no active token "${arg}"`);
      console.log(`revoked ${n} token${n === 1 ? "" : "s"}`);
    } else if (sub === "list") {
      const rows = await listTokens(pool, str(f, "project"));
      console.table(rows.map((r) => ({ id: r.token_id, project: r.project, name: r.name, created: r.created_at.toISOString(),
        revoked: r.revoked_at?.toISOString() ?? "", last_used: r.last_used_at?.toISOString() ?? "" })));
    } else throw new Error("token: expected create, revoke or list");
  });
}

async function cmdBackfill(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("backfill: --project is required");
  const from = num(f, "from"), to = num(f, "to");
  if (from === undefined || to === undefined) throw new Error("backfill: --from and --to are required");
  await withPool(f, async (pool) => {
    const { rows } = await pool.query("select ledger_private.backfill_start($1, $2, $3, $4, $5) as id",
      [project, str(f, "stream") ?? "main", from, to, num(f, "chunk", 50)]).catch((e) => { throw new InputError("backfill", e.message); });
    const id = rows[0].id;
    const bar = progress(`backfill ${id}`);
    if (f.wait === false) { bar.done("enqueued; follow it with buildledger status"); return; }
    for (;;) {
      const { rows: b } = await pool.query(
        "select chunks_total, chunks_done, snapshots_done, finished_at from ledger_private.backfill where backfill_id = $1", [id]);
      const r = b[0];
      if (r.finished_at || r.chunks_done >= r.chunks_total) {
        bar.done(`${r.chunks_done}/${r.chunks_total} chunks, ${r.snapshots_done} snapshots re-processed`);
        return;
      }
      const { rows: errs } = await pool.query(
        `select attempts, max_attempts, last_error from graphile_worker.jobs
          where task_identifier = 'backfill_chunk' and key like $1 and last_error is not null
          order by attempts desc limit 1`, [`backfill:${id}:%`]);
      if (errs[0] && errs[0].attempts >= errs[0].max_attempts) throw new Error(`backfill ${id} failed: ${errs[0].last_error}`);
      bar.update(`${r.chunks_done}/${r.chunks_total} chunks, ${r.snapshots_done} snapshots (needs a running worker)` +
        (errs[0] ? `; retrying after: ${errs[0].last_error}` : ""));
      await new Promise((res) => setTimeout(res, 500));
    }
  });
}

async function cmdStatus(f: Flags) {
  await withPool(f, async (pool) => {
    const { rows } = await pool.query(
      `select project, stream, latest_cl, latest_processed_cl, queued, processing, failed, done,
              round(lag_seconds::numeric, 1) as lag_s, last_processed_at
         from ledger.v_timeline_status where $1::text is null or project = $1 order by project, stream`,
      [str(f, "project") ?? null]);
    if (!rows.length && str(f, "project") !== undefined
        && !(await pool.query("select 1 from ledger.project where project = $1", [str(f, "project")])).rowCount) {
      throw new Error(`status: --project: unknown project "${str(f, "project")}"`);
    }
    console.table(rows);
    const q = await pool.query(
      `select task_identifier as task, count(*)::int as jobs, count(*) filter (where attempts >= max_attempts)::int as dead
         from graphile_worker.jobs group by 1 order by 1`);
    if (q.rows.length) console.table(q.rows);
  });
}

async function cmdRetry(pos: string[], f: Flags) {
  const id = pos[0];
  if (!id && f.all !== true) throw new Error("retry: give a snapshot id, or --all [--project P]");
  if (id && !/^\d{1,18}$/.test(id)) throw new Error(`retry: "${id}" is not a snapshot id`);
  await withPool(f, async (pool) => {
    const { rows } = await pool.query("select ledger_private.retry_snapshots($1::bigint, $2) as n", [id ?? null, str(f, "project") ?? null])
      .catch((e) => { throw new Error(`retry: ${(e as Error).message}`); });
    console.log(`re-queued ${rows[0].n} failed snapshot${rows[0].n === 1 ? "" : "s"}; a worker processes them`);
  });
}

async function cmdRenormalise(f: Flags) {
  const to = num(f, "to");
  if (to === undefined) throw new Error("renormalise: --to is required (2)");
  await withPool(f, async (pool) => {
    const { rows } = await pool.query("select ledger_private.renormalise_start($1::smallint, $2) as id", [to, num(f, "chunk", 5000)])
      .catch((e) => { throw new Error(`renormalise: ${(e as Error).message}`); });
    const id = rows[0].id;
    const bar = progress(`renormalise ${id}`);
    if (f.wait === false) { bar.done("started; progress in ledger_private.renormalise_run"); return; }
    for (;;) {
      const { rows: [r] } = await pool.query("select * from ledger_private.renormalise_run where run_id = $1", [id]);
      const msg = `${r.chunks_done}/${r.chunks_total} chunks re-keyed (${r.issues_rekeyed} issues, ${r.issues_merged} merged), ` +
        `${r.timelines_done}/${r.timelines_total ?? "?"} timelines rebuilt`;
      if (r.finished_at) { bar.done(msg); return; }
      bar.update(`${msg} (needs a running worker)`);
      await new Promise((res) => setTimeout(res, 500));
    }
  });
}

async function cmdRoots(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("roots: --project is required");
  const sets = repeated(process.argv.slice(2), "set");
  await withPool(f, async (pool) => {
    const { rows } = sets.length || f.clear === true
      ? await pool.query("select ledger.set_source_roots($1, $2::text[]) as roots", [project, sets])
        .catch((e) => { throw new Error(`roots: ${(e as Error).message}`); })
      : await pool.query("select ledger.source_roots($1) as roots", [project]);
    console.log(rows[0].roots.length ? rows[0].roots.join("\n") : `(no source roots for ${project})`);
  });
}

async function cmdRetention(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("retention: --project is required");
  const keep = str(f, "keep-days");
  await withPool(f, async (pool) => {
    const fail = (e: unknown) => { throw new Error(`retention: ${(e as Error).message}`); };
    if (keep !== undefined || f.off === true) {
      if (keep !== undefined && !/^\d+$/.test(keep)) throw new Error("retention: --keep-days expects a whole number of days");
      await pool.query("select ledger.set_retention($1, $2::int)", [project, f.off === true ? null : Number(keep)]).catch(fail);
    }
    if (f.apply === true) {
      const { rows: [m] } = await pool.query("select ledger_private.storage_maintenance() as r").catch(fail);
      console.error(`retention: ${JSON.stringify(m.r)}`);
    }
    const { rows } = await pool.query(
      "select stream, keep_days, retained_from_cl, observations_kept from ledger.retention where project = $1 order by stream", [project]);
    if (!rows.length) throw new Error(`retention: no timeline of project ${project}`);
    for (const r of rows) {
      console.log(`${project}/${r.stream}: ${r.keep_days ? `keep ${r.keep_days} days` : "keep everything"}, ` +
        `${r.retained_from_cl ? `observations from CL ${r.retained_from_cl}` : "all observations"}, ${r.observations_kept} kept`);
    }
  });
}

async function readInput(file: string): Promise<string> {
  if (file === "-") { let t = ""; for await (const c of process.stdin) t += c; return t; }
  const { readFile } = await import("node:fs/promises");
  return readFile(file, "utf8");
}

async function cmdChangelists(pos: string[], f: Flags) {
  if (!pos[0]) throw new Error("changelists: give a JSON file (an array of changelists) or -");
  const text = await readInput(pos[0]);
  await withPool(f, async (pool) => {
    const { rows } = await pool.query("select ledger.record_changelists($1::jsonb) as n", [text])
      .catch((e) => { throw new Error(`changelists: ${(e as Error).message}`); });
    console.log(`recorded ${rows[0].n} changelists`);
  });
}

async function cmdOwners(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("owners: --project is required");
  await withPool(f, async (pool) => {
    const fail = (e: Error) => { throw new Error(`owners: ${e.message}`); };
    if (str(f, "codeowners")) {
      const { rows } = await pool.query("select ledger.load_codeowners($1, $2, $3) as n",
        [project, await readInput(str(f, "codeowners")!), str(f, "path-prefix") ?? ""]).catch(fail);
      console.error(`loaded ${rows[0].n} rules`);
    } else if (str(f, "rules")) {
      const { rows } = await pool.query("select ledger.set_owner_rules($1, $2::jsonb) as n", [project, await readInput(str(f, "rules")!)]).catch(fail);
      console.error(`set ${rows[0].n} rules`);
    }
    const { rows } = await pool.query("select pattern, team, array_to_string(people, ', ') as people from ledger.owner_rules where project = $1 order by pattern", [project]);
    console.table(rows);
  });
}

// Triage from the command line acts directly on the database as its owner; the actor is
// --as NAME (default $USER). Over HTTP, a personal token carries the name instead.
async function cmdTriage(pos: string[], f: Flags) {
  const [action, issue] = pos;
  const project = str(f, "project");
  if (!project) throw new Error("triage: --project is required");
  const stream = str(f, "stream") ?? "main";
  await withPool(f, async (pool) => {
    const fail = (e: Error) => { throw new Error(`triage: ${e.message}`); };
    if (!action || action === "show") {
      const { rows } = await pool.query(
        `select issue_id, acknowledged as ack, assignee, suppressed, suppress_reason, suppressed_until_cl as until_cl,
                marked_fixed_cl as fixed_cl, regressed, note_count as notes, last_actor, last_event_at
           from ledger.issue_triage where project = $1 and stream = $2 and ($3::bigint is null or issue_id = $3::bigint)
          order by last_event_at desc limit 200`, [project, stream, issue ?? null]).catch(fail);
      console.table(rows);
      if (issue) {
        const { rows: h } = await pool.query(
          `select event_id, at, actor, action, coalesce(assignee, reason, note, fixed_cl::text) as detail
             from ledger.issue_triage_event where project = $1 and stream = $2 and issue_id = $3::bigint order by event_id`,
          [project, stream, issue]).catch(fail);
        console.table(h);
      }
      return;
    }
    if (!issue) throw new Error(`triage ${action}: give the issue id`);
    const ev: Record<string, unknown> = { project, stream, issue_id: issue, action };
    for (const k of ["assignee", "reason", "note", "until", "id"]) if (str(f, k) !== undefined) ev[k] = str(f, k);
    if (str(f, "until-cl") !== undefined) ev.until_cl = str(f, "until-cl");
    if (str(f, "cl") !== undefined) ev.cl = str(f, "cl");
    const actor = str(f, "as") ?? process.env.USER ?? "cli";
    const { rows } = await pool.query("select ledger.record_triage($1::jsonb, $2) as r", [JSON.stringify(ev), actor]).catch(fail);
    const r = rows[0].r[0];
    console.log(`${r.duplicate ? "already recorded as" : "recorded"} event ${r.event_id} (${action} issue ${issue} by ${actor})`);
  });
}

async function cmdSubscribe(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("subscribe: --project is required");
  await withPool(f, async (pool) => {
    const name = str(f, "name");
    if (name) {
      const list = (k: string) => (str(f, k) !== undefined ? str(f, k)!.split(",").map((x) => x.trim()).filter(Boolean) : undefined);
      const sub = Object.fromEntries(Object.entries({
        name, url: str(f, "url"), team: str(f, "team"), path_prefix: str(f, "path-prefix"), stream: str(f, "stream"),
        severities: list("severities"), kinds: list("kinds"), secret: str(f, "secret"), format: str(f, "format"),
        active: f.active === false ? false : undefined,
      }).filter(([, v]) => v !== undefined));
      const { rows } = await pool.query("select ledger.set_subscription($1, $2::jsonb, $3) as s", [project, JSON.stringify(sub), process.env.USER ?? "cli"])
        .catch((e) => { throw new Error(`subscribe: ${(e as Error).message}`); });
      if (rows[0].s.secret) console.error(`signing secret (shown once): ${rows[0].s.secret}`);
    }
    const { rows } = await pool.query(
      `select name, team, path_prefix, array_to_string(severities, ',') as severities, array_to_string(kinds, ',') as kinds,
              url_host, format, active from ledger.webhook_subscriptions where project = $1 order by name`, [project]);
    console.table(rows);
  });
}

async function cmdNotifications(f: Flags) {
  const project = str(f, "project");
  if (!project) throw new Error("notifications: --project is required");
  await withPool(f, async (pool) => {
    const { rows } = await pool.query(
      `select outbox_id as id, subscription, cl, event_count as events, state, attempts, last_status as status,
              left(last_error, 60) as last_error, delivered_at
         from ledger.notification_log where project = $1 order by outbox_id desc limit $2`, [project, num(f, "limit", 20)]);
    console.table(rows);
  });
}

async function cmdSuspects(f: Flags) {
  const project = str(f, "project");
  const issue = str(f, "issue");
  if (!project || !issue) throw new Error("suspects: --project and --issue are required");
  await withPool(f, async (pool) => {
    const { rows } = await pool.query(
      `select cl, author, rank, left(description, 60) as description, array_to_string(touched_files, ' ') as files
         from ledger.suspects($1, $2::bigint, $3::bigint, $4)`, [project, issue, str(f, "start-cl") ?? null, str(f, "stream") ?? "main"])
      .catch((e) => { throw new Error(`suspects: ${(e as Error).message}`); });
    console.table(rows);
  });
}

/** Flags that may be given more than once (--set a=1 --set b=2). */
function repeated(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out;
}

async function cmdGate(f: Flags) {
  const { gate, GATE_EXIT, parseCl, renderGate } = await import("../lib/gate.js");
  const project = str(f, "project");
  const stream = str(f, "stream") ?? "main";
  const waitS = num(f, "wait", 0)!;
  const asJson = f.json === true;
  let result: Awaited<ReturnType<typeof gate>>;
  try {
    if (!project) throw new Error("--project: required");
    const cl = parseCl(str(f, "cl"), "--cl");
    const url = str(f, "url");
    const ask = url
      ? async () => {
        const token = str(f, "token") ?? process.env.BUILDLEDGER_TOKEN;
        const res = await fetch(`${url.replace(/\/$/, "")}/v1/gate?${new URLSearchParams({ project, stream, cl })}`,
          { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const body = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(`${res.status}: ${(body as { error?: string }).error ?? res.statusText}`);
        return body as Awaited<ReturnType<typeof gate>>;
      }
      : undefined;
    const deadline = Date.now() + waitS * 1000;
    const run = async (pool?: pg.Pool) => {
      for (;;) {
        const g = ask ? await ask() : await gate(pool!, project, cl, stream);
        if (g.status !== "not_ready" || Date.now() >= deadline) return g;
        process.stderr.write(`gate: CL ${cl} not ready (${g.reasons.join("; ")}); waiting\n`);
        await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(100, deadline - Date.now()))));
      }
    };
    result = ask ? await run() : await withPool(f, run);
  } catch (e) {
    console.error(`buildledger gate: ${(e as Error).message}`);
    process.exit(2);
  }
  console.log(asJson ? JSON.stringify(result, null, 2) : renderGate(result));
  process.exit(GATE_EXIT[result.status]);
}

async function cmdPolicy(f: Flags) {
  const { gatePolicy, setGatePolicy } = await import("../lib/gate.js");
  const project = str(f, "project");
  if (!project) throw new Error("--project: required");
  const sets = repeated(process.argv.slice(2), "set");
  await withPool(f, async (pool) => {
    if (!sets.length) {
      console.log(JSON.stringify(await gatePolicy(pool, project), null, 2));
      return;
    }
    const change: Record<string, unknown> = {};
    for (const kv of sets) {
      const eq = kv.indexOf("=");
      if (eq < 1) throw new Error(`--set: expected key=value, got "${kv}"`);
      const raw = kv.slice(eq + 1);
      let v: unknown;
      try { v = JSON.parse(raw); } catch { v = raw; }
      change[kv.slice(0, eq)] = v;
    }
    console.log(JSON.stringify(await setGatePolicy(pool, project, change, process.env.USER ?? "cli"), null, 2));
  });
}

async function cmdGenerate(f: Flags) {
  const { DEFAULT_GENERATOR, projectNames } = await import("../lib/generator.js");
  const { deliverStudio, processQueued } = await import("../lib/studio.js");
  const opts = {
    seed: num(f, "seed", DEFAULT_GENERATOR.seed)!, projects: num(f, "projects", DEFAULT_GENERATOR.projects)!,
    builds: num(f, "builds", DEFAULT_GENERATOR.builds)!, issuesPerBuild: num(f, "issues-per-build", DEFAULT_GENERATOR.issuesPerBuild)!,
    depth: num(f, "depth", DEFAULT_GENERATOR.depth)!,
  };
  const to = str(f, "to") ?? (str(f, "out") ? "files" : "sql");
  const bar = progress("generate");
  const show = (d: number, t: number, what: string) => bar.update(`${d}/${t} ${what} [${"#".repeat(Math.round((20 * d) / Math.max(1, t))).padEnd(20, ".")}]`);
  if (to === "files") {
    const dir = str(f, "out");
    if (!dir) throw new Error("generate: --out DIR is required with --to files");
    const format = (str(f, "format") ?? "json") as "json";
    if (!["json", "ndjson", "sarif", "log"].includes(format)) throw new Error("--format: expected json, ndjson, sarif or log");
    const n = await deliverStudio(opts, { kind: "files", dir, format }, show);
    bar.done(`wrote ${n} reports to ${dir}`);
    return;
  }
  await withPool(f, async (pool) => {
    if (to === "http") {
      const url = str(f, "url");
      if (!url) throw new Error("generate: --url is required with --to http");
      const tokens: Record<string, string> = {};
      for (const p of projectNames(opts.projects)) {
        await revokeToken(pool, "generator", p);
        tokens[p] = (await createToken(pool, p, "generator", { createProject: true })).token;
      }
      const n = await deliverStudio(opts, { kind: "http", url, tokens }, show, 4);
      bar.done(`posted ${n} reports to ${url}`);
    } else if (to === "sql") {
      const n = await deliverStudio(opts, { kind: "sql", pool }, show);
      bar.done(`staged ${n} reports with ledger.stage_report`);
    } else throw new Error("--to: expected sql, http or files");
    if (f.process !== false) {
      const pbar = progress("process");
      await processQueued(dbUrl(f), (d, t, w) => pbar.update(`${d}/${t} ${w}`));
      pbar.done("every snapshot processed");
    }
  });
}

export async function main(argv: string[]) {
  const { positional, flags } = parseArgs(argv);
  const [cmd, ...rest] = positional;
  switch (cmd) {
    case "serve": return cmdServe(flags);
    case "worker": return cmdWorker(flags);
    case "migrate": await migrateDatabase(dbUrl(flags), (m) => console.error(`migrate: ${m}`)); console.error("migrate: up to date"); return;
    case "ingest": return cmdIngest(rest, flags);
    case "token": return cmdToken(rest, flags);
    case "backfill": return cmdBackfill(flags);
    case "status": return cmdStatus(flags);
    case "generate": return cmdGenerate(flags);
    case "gate": return cmdGate(flags);
    case "retry": return cmdRetry(rest, flags);
    case "renormalise": return cmdRenormalise(flags);
    case "roots": return cmdRoots(flags);
    case "retention": return cmdRetention(flags);
    case "changelists": return cmdChangelists(rest, flags);
    case "owners": return cmdOwners(flags);
    case "suspects": return cmdSuspects(flags);
    case "triage": return cmdTriage(rest, flags);
    case "subscribe": return cmdSubscribe(flags);
    case "notifications": return cmdNotifications(flags);
    case "policy": return cmdPolicy(flags);
    case undefined: case "help": console.log(USAGE); return;
    default: throw new Error(`unknown command "${cmd}"\n${USAGE}`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  // (fetch's "fetch failed" says why only in its cause: connection refused, unknown host…)
  const cause = (e as { cause?: { message?: unknown; code?: unknown } }).cause;
  // (an AggregateError — localhost as ::1 and 127.0.0.1 — has no message of its own: its code then)
  const why = cause && typeof cause.message === "string" && cause.message ? ` (${cause.message})`
    : cause && typeof cause.code === "string" ? ` (${cause.code})` : "";
  console.error(`buildledger: ${(e as Error).message}${why}`);
  process.exit(1);
}
