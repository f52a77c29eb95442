// The committed schema.graphql must be what PostGraphile generates from the current
// SQL API; regenerate it with `npm run schema:export` after changing the API.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { printGraphqlSchema } from "../server/graphql.js";
import { cloneDatabase } from "./helpers/db.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
beforeAll(async () => { db = await cloneDatabase(); });
afterAll(async () => { await db?.drop(); });

it("schema.graphql matches the generated schema (run npm run schema:export if not)", async () => {
  const committed = await readFile(path.join(ROOT, "schema.graphql"), "utf8");
  const generated = await printGraphqlSchema(db.url);
  expect(generated.split("\n").length).toBeGreaterThan(100);
  expect(generated === committed, "schema.graphql drifted from the SQL API: run npm run schema:export").toBe(true);
});
