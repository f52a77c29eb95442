// npm run db:migrate — bring DATABASE_URL's database (created if missing) to the
// current schema. Safe to run any number of times.
import { migrateDatabase } from "../lib/migrate.js";
import { databaseUrl } from "../lib/db.js";

const url = databaseUrl();
const force = process.argv.includes("--force");
try {
  await migrateDatabase(url, (m) => console.log(`db:migrate: ${m}`), { force });
  console.log("db:migrate: done");
} catch (e) {
  console.error(`db:migrate: ${(e as Error).message}`);
  process.exit(1);
}
