// db:migrate creates a missing database, is idempotent, and re-applying the
// stateless SQL over itself works.
import pg from "pg";
import { expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { migrateDatabase, statelessSqlFiles, checksum } from "../lib/migrate.js";
import { withDatabase } from "../lib/db.js";
import { SERVER_URL } from "./helpers/db.js";

async function schemaFingerprint(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`
      select string_agg(x, E'\n' order by x) as f from (
        select 'fn ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid)) as x
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname in ('ledger', 'ledger_private') and p.prokind = 'f'
        union all
        select 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text from pg_class c
          join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('ledger', 'ledger_private')
        union all
        select 'acl ' || p.oid::regprocedure::text || ' ' || coalesce(p.proacl::text, 'default') from pg_proc p
          join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'ledger') s`);
    return rows[0].f;
  } finally {
    await c.end();
  }
}

it("creates the database, then re-running changes nothing", async () => {
  const name = `bltest_migrate_${randomBytes(4).toString("hex")}`;
  const url = withDatabase(SERVER_URL, name);
  try {
    const first = await migrateDatabase(url);
    expect(first).toEqual({ created: true, sqlApplied: true });
    const before = await schemaFingerprint(url);
    expect(before).toContain("fn ledger.ingest_report(jsonb)");
    const second = await migrateDatabase(url);
    expect(second).toEqual({ created: false, sqlApplied: false });
    const forced = await migrateDatabase(url, () => {}, { force: true });
    expect(forced.sqlApplied).toBe(true);
    expect(await schemaFingerprint(url)).toEqual(before);
  } finally {
    // graphile-migrate keeps a pool per connection string for the life of the
    // process and exits on its errors, so this database is dropped by the global
    // teardown (bltest_* databases), after the test processes have ended.
  }
});

it("the checksum covers every file of functions/ and sql/", async () => {
  const files = await statelessSqlFiles();
  expect(files.map((f) => f.name)).toContain("functions/040_process_snapshot.sql");
  const changed = files.map((f, i) => (i === 0 ? { ...f, text: f.text + " " } : f));
  expect(checksum(changed)).not.toEqual(checksum(files));
});
