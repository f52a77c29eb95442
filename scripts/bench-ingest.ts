// npm run bench:ingest — a 500k-issue NDJSON report posted over HTTP to a real
// `buildledger serve` process. Prints the server's resident memory before, at peak
// and after (target: growth < 200 MB), the time until the first issue rows are
// visible in the database while the upload is still running (target < 5 s), the
// time to the 202 answer and the rows per second. With BENCH_PROCESS=1 it also runs
// a worker and times processing of the snapshot.
// Env: BENCH_ISSUES (default 500000), BENCH_DATABASE_URL (default a scratch
// buildledger_bench_ingest database on the local server, dropped and re-created).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import pg from "pg";
import { dropDatabase, databaseName } from "../lib/db.js";
import { migrateDatabase, ROOT } from "../lib/migrate.js";

const URL_ = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/buildledger_bench_ingest";
const ISSUES = Number(process.env.BENCH_ISSUES ?? 500_000);
const PORT = 4300 + Math.floor(Math.random() * 500);

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
};

await dropDatabase(URL_, databaseName(URL_));
await migrateDatabase(URL_);
const server = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), "serve", "--port", String(PORT), "--no-auth", "--production"],
  { env: { ...process.env, DATABASE_URL: URL_, LOG_LEVEL: "warn" }, stdio: ["ignore", "inherit", "inherit"] });
const base = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  if (i > 200) throw new Error("server did not start");
  await new Promise((r) => setTimeout(r, 100));
}
// warm up (JIT, pools) with a small NDJSON report
await fetch(`${base}/v1/reports`, { method: "POST", headers: { "content-type": "application/x-ndjson" },
  body: `{"project":"warmup","changelist":1}\n{"path":"a/b","severity":"info","message":"x"}\n` });
await new Promise((r) => setTimeout(r, 500));
const before = rssMb(server.pid!);

function* lines() {
  yield JSON.stringify({ project: "atlas", changelist: 10045, build: { id: "huge-1" } }) + "\n";
  const teams = ["audio", "rendering", "gameplay", "environment", "characters", "ui", "network", "tools"];
  let batch = "";
  for (let i = 0; i < ISSUES; i++) {
    const t = teams[i % teams.length];
    batch += JSON.stringify({ path: `eu-build-01/atlas/${t}/area${i % 17}/sub${i % 7}/set${i % 31}/grp${i % 97}/asset_${i}.uasset`,
      severity: i % 5 === 0 ? "error" : "warning", category: t, message: `Broken reference ${i} in ${t} package (took ${(i % 90) / 10}s)` }) + "\n";
    if (batch.length > 256 * 1024) { yield batch; batch = ""; }
  }
  if (batch) yield batch;
}

const db = new pg.Pool({ connectionString: URL_, max: 1 }).on("error", () => {});
let peak = before;
let firstVisible: number | undefined;
const t0 = Date.now();
let done = false;
const sampler = (async () => {
  while (!done) {
    peak = Math.max(peak, rssMb(server.pid!));
    if (firstVisible === undefined) {
      const { rows } = await db.query("select exists (select 1 from ledger_private.upload_issue) as seen");
      if (rows[0].seen) firstVisible = Date.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
const res = await fetch(`${base}/v1/reports`, {
  method: "POST", headers: { "content-type": "application/x-ndjson" },
  body: Readable.toWeb(Readable.from(lines())) as ReadableStream, duplex: "half",
} as RequestInit);
const accepted = Date.now() - t0;
const body = (await res.json()) as { snapshot_id: number; issues: number; error?: string };
done = true;
await sampler;
if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${body.error}`);
const after = rssMb(server.pid!);
const { rows: [s] } = await db.query("select raw_issue_count from ledger.snapshot where snapshot_id = $1", [body.snapshot_id]);

console.log(`NDJSON report with ${ISSUES} issues over HTTP`);
console.log(`  server RSS: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB peak, ${after.toFixed(0)} MB after; growth ${(peak - before).toFixed(0)} MB (target < 200 MB, ratio ${((peak - before) / 200).toFixed(2)})`);
console.log(`  first issue rows visible after ${firstVisible ?? "n/a"} ms (target < 5000 ms, ratio ${firstVisible !== undefined ? (firstVisible / 5000).toFixed(2) : "n/a"})`);
console.log(`  202 after ${accepted} ms: ${Math.round(ISSUES / (accepted / 1000))} issues/s staged; snapshot ${body.snapshot_id} holds ${s.raw_issue_count} raw issues`);

if (process.env.BENCH_PROCESS === "1") {
  const { drainQueue, startWorker } = await import("../worker/index.js");
  const t1 = Date.now();
  const w = await startWorker({ databaseUrl: URL_, handleSignals: false, log: () => {} });
  await drainQueue(URL_, { timeoutMs: 1_800_000 });
  await w.stop();
  console.log(`  processing by the worker: ${Date.now() - t1} ms (${Math.round(ISSUES / ((Date.now() - t1) / 1000))} issues/s)`);
}
await db.end();
server.kill("SIGTERM");
