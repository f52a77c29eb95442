// npm start — the main command. Uses DATABASE_URL when set, otherwise an embedded
// PostgreSQL under .data/pg; migrates; ingests the example reports in examples/
// (idempotently: re-posting a report never duplicates it); prints how to explore;
// keeps the database up until Ctrl-C.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { migrateDatabase, ROOT } from "../lib/migrate.js";
import { startEmbedded } from "../lib/embedded.js";

const log = (m: string) => console.log(`buildledger: ${m}`);
const keepRunning = !process.argv.includes("--no-serve");

let url = process.env.DATABASE_URL;
let stop = async () => {};
if (!url) {
  const e = await startEmbedded(log);
  url = e.url;
  stop = e.stop;
}
const shutdown = async () => { await stop(); process.exit(0); };
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

try {
  await migrateDatabase(url, log);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const dir = path.join(ROOT, "examples");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  for (const f of files) {
    const report = JSON.parse(await readFile(path.join(dir, f), "utf8"));
    const { rows } = await client.query("select ledger.ingest_report($1) as id", [report]);
    log(`ingested examples/${f} as snapshot ${rows[0].id}`);
  }
  const { rows } = await client.query(
    "select cl, total, new, resolved from ledger.changelist_metrics where project = 'atlas' order by cl");
  console.table(rows);
  await client.end();
  const psqlUrl = url.replace(/^postgres:/, "postgresql:");
  console.log(`
Explore it in psql:
  psql '${psqlUrl}'

  select * from ledger.changelist_metrics where project = 'atlas' order by cl;
  select status, message, path from ledger.diff('atlas', 10043, 10045);
  select path, open_count, new_count, resolved_count from ledger.rollup('atlas', 10045, 3);
`);
} catch (e) {
  console.error(`buildledger: ${(e as Error).message}`);
  await stop();
  process.exit(1);
}
if (keepRunning) {
  log("database is up; press Ctrl-C to stop");
} else {
  await stop();
}
