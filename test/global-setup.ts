// Builds the migrated template database once per test run.
import pg from "pg";
import { migrateDatabase } from "../lib/migrate.js";
import { dropDatabase, withDatabase } from "../lib/db.js";
import { SERVER_URL, TEMPLATE } from "./helpers/db.js";

export default async function setup() {
  await dropDatabase(SERVER_URL, TEMPLATE);
  await migrateDatabase(withDatabase(SERVER_URL, TEMPLATE));
  return teardown;
}

/** Drops the databases test files left behind (bltest_*). */
async function teardown() {
  const admin = new pg.Client({ connectionString: withDatabase(SERVER_URL, "postgres") });
  await admin.connect();
  try {
    const { rows } = await admin.query("select datname from pg_database where datname like 'bltest\\_%'");
    for (const r of rows) await dropDatabase(SERVER_URL, r.datname);
  } finally {
    await admin.end();
  }
}
