// Brings a database to the current schema, idempotently:
//   1. create the database if it is missing;
//   2. graphile-worker's own schema (its migrations, through its public API);
//   3. graphile-migrate: the committed table migrations in migrations/committed;
//   4. the stateless SQL: functions/*.sql then sql/*.sql, in file-name order, in one
//      transaction, skipped when their checksum equals the one recorded in
//      ledger_private.sql_state. See docs/decisions.md.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Logger, runMigrations } from "graphile-worker";
import { migrate } from "graphile-migrate";
import { ensureDatabase } from "./db.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SQL_DIRS = ["functions", "sql"];

export interface SqlFile { name: string; text: string }

export async function statelessSqlFiles(): Promise<SqlFile[]> {
  const files: SqlFile[] = [];
  for (const dir of SQL_DIRS) {
    const names = (await readdir(path.join(ROOT, dir))).filter((n) => n.endsWith(".sql")).sort();
    for (const n of names) {
      files.push({ name: `${dir}/${n}`, text: await readFile(path.join(ROOT, dir, n), "utf8") });
    }
  }
  return files;
}

export function checksum(files: SqlFile[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(f.name).update("\0").update(f.text).update("\0");
  return h.digest("hex");
}

export interface MigrateResult { created: boolean; sqlApplied: boolean }

export async function migrateDatabase(
  url: string,
  log: (msg: string) => void = () => {},
  opts: { force?: boolean } = {},
): Promise<MigrateResult> {
  const created = await ensureDatabase(url);
  if (created) log(`created database`);
  await runMigrations({ connectionString: url, logger: quietLogger() });
  await migrate({ connectionString: url, migrationsFolder: path.join(ROOT, "migrations") }, false, false);
  // graphile-migrate keeps its pool for 200 ms after use and exits the process if
  // that pool sees an error (e.g. the server stopping): let it close first.
  await new Promise((r) => setTimeout(r, 300));

  const files = await statelessSqlFiles();
  const sum = checksum(files);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let sqlApplied = false;
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext('buildledger:migrate'))");
    const { rows } = await client.query("select checksum from ledger_private.sql_state");
    if (opts.force || rows[0]?.checksum !== sum) {
      await client.query("set local client_min_messages to warning");
      for (const f of files) {
        try {
          await client.query(f.text);
        } catch (e) {
          throw new Error(`${f.name}: ${(e as Error).message}`);
        }
      }
      await client.query(
        `insert into ledger_private.sql_state (checksum) values ($1)
         on conflict (singleton) do update set checksum = excluded.checksum, applied_at = now()`,
        [sum],
      );
      sqlApplied = true;
    }
    // Database-level privileges live on the database itself, not in its template:
    // applied on every run (idempotent) so a database made from a template gets them.
    await client.query(`do $$ begin
        execute format('revoke temporary on database %I from public', current_database());
        execute format('grant temporary on database %I to buildledger_ingest, buildledger_worker', current_database());
        -- JIT compiles for a second on the cost estimates of the reporting queries and
        -- never pays back on them (they touch one timeline's index ranges): off
        execute format('alter database %I set jit = off', current_database());
      end $$`);
    const grafanaPassword = process.env.BUILDLEDGER_GRAFANA_PASSWORD;
    if (grafanaPassword) {
      await client.query(`alter role buildledger_grafana with password ${client.escapeLiteral(grafanaPassword)}`);
    }
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
  log(sqlApplied ? `applied ${files.length} SQL files (functions/, sql/)` : "functions/ and sql/ are current");
  return { created, sqlApplied };
}

/** graphile-worker logs every step at info level; keep only warnings and errors. */
export function quietLogger(): Logger {
  return new Logger(() => (level, message) => {
    if (level === "error" || level === "warning") console.error(`graphile-worker: ${message}`);
  });
}
