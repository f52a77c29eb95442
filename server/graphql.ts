// PostGraphile v5: the `ledger` schema as a read-only GraphQL API. Every request runs
// as the buildledger_reader role (pgSettings), and the schema is introspected as
// that role too, so only what the reader may SELECT or EXECUTE appears: tables,
// views and the query functions of SPEC section 5, with the connection-filter and
// aggregates community plugins. Errors of SQLSTATE class 22/23 (bad arguments such
// as an unknown project) reach the client with their message; others are masked.
import { postgraphile, type PostGraphileInstance } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/fastify/v5";
import { defaultMaskError } from "postgraphile/grafserv";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import type { GraphQLError } from "postgraphile/graphql";
import pg from "pg";
import { isClientSqlError } from "../lib/errors.js";

export const READER_ROLE = "buildledger_reader";

export function maskError(error: GraphQLError) {
  const orig = error.originalError;
  if (isClientSqlError(orig)) {
    return { message: orig.message, locations: error.locations, path: error.path,
             extensions: { code: orig.code } };
  }
  return defaultMaskError(error);
}

export function graphqlPreset(pool: pg.Pool, opts: { production: boolean }): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset],
    // Filtering and ordering on every column, not only indexed ones: this is an
    // analytics API for a studio's own engineers, behind the read-only role.
    disablePlugins: ["PgIndexBehaviorsPlugin"],
    pgServices: [
      makePgService({
        pool,
        schemas: ["ledger"],
        pgSettings: () => ({ role: READER_ROLE, statement_timeout: "10s" }),
        pgSettingsForIntrospection: { role: READER_ROLE },
      }),
    ],
    schema: {
      defaultBehavior: "-insert -update -delete",
      pgForbidSetofFunctionsToReturnNull: true,
    },
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: !opts.production,
      graphiqlOnGraphQLGET: !opts.production,
      graphiqlPath: "/graphiql",
      watch: false,
      maskError,
    },
    grafast: { explain: false },
  };
}

export interface Graphql { pgl: PostGraphileInstance; release(): Promise<void> }

/** A PostGraphile instance on its own pool; release() frees both. */
export function makeGraphql(connectionString: string, opts: { production: boolean }): Graphql {
  const pool = new pg.Pool({ connectionString, max: 5 });
  pool.on("error", () => {});
  const pgl = postgraphile(graphqlPreset(pool, opts));
  return { pgl, release: async () => { await pgl.release(); await pool.end(); } };
}

export { grafserv };

/** The GraphQL schema as SDL, sorted, for the committed schema.graphql. */
export async function printGraphqlSchema(connectionString: string): Promise<string> {
  const { printSchema, lexicographicSortSchema } = await import("postgraphile/graphql");
  const g = makeGraphql(connectionString, { production: true });
  try {
    return printSchema(lexicographicSortSchema(await g.pgl.getSchema())) + "\n";
  } finally {
    await g.release();
  }
}
