// npm run schema:export — writes the GraphQL schema that PostGraphile generates from
// the `ledger` API to schema.graphql (committed; a test fails when it drifts).
// Uses DATABASE_URL, or a scratch database on the local server that it migrates.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { printGraphqlSchema } from "../server/graphql.js";
import { migrateDatabase, ROOT } from "../lib/migrate.js";
import { dropDatabase, databaseName } from "../lib/db.js";

const scratch = !process.env.DATABASE_URL;
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/buildledger_schema_export";
if (scratch) await dropDatabase(url, databaseName(url));
await migrateDatabase(url);
const sdl = await printGraphqlSchema(url);
await writeFile(path.join(ROOT, "schema.graphql"), sdl);
if (scratch) await dropDatabase(url, databaseName(url));
console.log(`wrote schema.graphql (${sdl.split("\n").length} lines)`);
