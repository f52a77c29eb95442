// Ready for a distributed engine (issue 11): the rules of docs/scale-out.md checked
// against the catalog, so a later change cannot break them silently.
//  * every table of ledger_private is classified in ledger_private.distribution_plan();
//  * a table distributed by timeline_id has that column (int, not null), and it is in
//    its primary key and in every unique constraint and unique index (partitions too);
//  * a foreign key between distributed tables includes the distribution column; a
//    foreign key from a distributed table otherwise points at a reference table;
//  * the statements docs/scale-out.md lists are exactly ledger_private.citus_statements().
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { cloneDatabase } from "./helpers/db.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let c: pg.Client;
beforeAll(async () => {
  db = await cloneDatabase();
  c = new pg.Client({ connectionString: db.url });
  await c.connect();
});
afterAll(async () => {
  await c.end();
  await db.drop();
});

async function plan() {
  const { rows } = await c.query("select table_name, kind, distribution_column from ledger_private.distribution_plan()");
  return new Map(rows.map((r) => [r.table_name as string, r as { kind: string; distribution_column: string | null }]));
}

it("every ledger_private table is classified as distributed, reference or local", async () => {
  const p = await plan();
  const { rows } = await c.query(
    `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'ledger_private' and c.relkind in ('r', 'p') and not c.relispartition order by 1`);
  const unclassified = rows.map((r) => r.t).filter((t) => !p.has(t));
  expect(unclassified).toEqual([]);
  const missing = [...p.keys()].filter((t) => !rows.some((r) => r.t === t));
  expect(missing, "the plan names tables that do not exist").toEqual([]);
  for (const [t, v] of p) expect(["distributed", "reference", "local"], t).toContain(v.kind);
  // the ledger schema itself holds no tables: only views and functions over the storage
  const { rows: api } = await c.query(
    "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'ledger' and c.relkind in ('r', 'p')");
  expect(api).toEqual([]);
});

it("distributed tables carry their distribution column in the primary key and every unique key", async () => {
  const p = await plan();
  const distributed = [...p].filter(([, v]) => v.kind === "distributed");
  expect(distributed.length).toBeGreaterThanOrEqual(8);
  for (const [t, v] of distributed) {
    const col = v.distribution_column!;
    const { rows: cols } = await c.query(
      "select attnotnull from pg_attribute where attrelid = $1::regclass and attname = $2 and not attisdropped", [t, col]);
    expect(cols.length, `${t} has ${col}`).toBe(1);
    expect(cols[0].attnotnull, `${t}.${col} is not null`).toBe(true);
    // the table and its partitions: every unique index (primary keys and unique constraints included)
    const { rows: idx } = await c.query(
      `select i.indexrelid::regclass::text as name, i.indisprimary as pk,
              exists (select 1 from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k
                       where a.attname = $2) as has_col
         from pg_index i
        where i.indisunique and i.indrelid in (select $1::regclass union select inhrelid from pg_inherits where inhparent = $1::regclass)`,
      [t, col]);
    expect(idx.some((r) => r.pk), `${t} has a primary key`).toBe(true);
    for (const r of idx) expect(r.has_col, `${t}: unique index ${r.name} includes ${col}`).toBe(true);
  }
});

it("foreign keys follow the distribution: co-located with the column, or to a reference table", async () => {
  const p = await plan();
  const { rows } = await c.query(
    `select conrelid::regclass::text as src, confrelid::regclass::text as dst, conname,
            array(select a.attname from unnest(conkey) k join pg_attribute a on a.attrelid = conrelid and a.attnum = k) as cols
       from pg_constraint where contype = 'f' and connamespace = 'ledger_private'::regnamespace`);
  for (const r of rows) {
    const src = p.get(r.src);
    const dst = p.get(r.dst);
    if (!src || src.kind !== "distributed") continue;
    if (dst?.kind === "reference") continue;
    expect(dst?.kind, `${r.conname}: ${r.src} -> ${r.dst}`).toBe("distributed");
    expect(r.cols, `${r.conname} includes the distribution column`).toContain(src.distribution_column);
    expect(dst!.distribution_column, `${r.conname}: co-located`).toBe(src.distribution_column);
  }
});

it("docs/scale-out.md lists exactly the statements the plan produces", async () => {
  const { rows } = await c.query("select s from ledger_private.citus_statements() s");
  const doc = await readFile(path.join(ROOT, "docs", "scale-out.md"), "utf8");
  const block = /```sql distribute\n([\s\S]*?)```/.exec(doc);
  expect(block, "docs/scale-out.md has a ```sql distribute block").not.toBeNull();
  expect(block![1].trim().split("\n")).toEqual(rows.map((r) => r.s));
});
