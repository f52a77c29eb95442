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
import { defaultMaskError, httpError } from "postgraphile/grafserv";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { Kind, NoSchemaIntrospectionCustomRule, parse, type DocumentNode, type FieldNode, type FragmentDefinitionNode,
         type GraphQLError, type SelectionSetNode, type ValueNode } from "postgraphile/graphql";
import pg from "pg";
import { isClientSqlError } from "../lib/errors.js";
import { serviceConnection } from "../lib/db.js";

export const READER_ROLE = "buildledger_reader";

export function maskError(error: GraphQLError) {
  const orig = error.originalError;
  if (isClientSqlError(orig)) {
    return { message: namedMessage(error, orig.message), locations: error.locations, path: error.path,
             extensions: { code: orig.code } };
  }
  return defaultMaskError(error);
}

/**
 * A database message that does not start with the field it is about (PostgreSQL's own,
 * such as `value "…" is out of range for type bigint` for a BigInt argument) gets the
 * GraphQL field it came from, and the argument when one of its literals is the quoted value.
 */
function namedMessage(error: GraphQLError, message: string): string {
  if (/^[A-Za-z_][\w.[\]]*: /.test(message)) return message;
  const key = error.path?.[0];
  if (typeof key !== "string") return message;
  let name = key;
  const quoted = /"((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  try {
    const doc = error.source ? parse(error.source) : undefined;
    const root = doc && findRootField(doc, key);
    const arg = quoted === undefined ? undefined
      : root?.arguments?.find((a) => (a.value.kind === Kind.STRING || a.value.kind === Kind.INT) && a.value.value === quoted);
    if (arg) name = `${key}.${arg.name.value}`;
  } catch { /* the field alone */ }
  return `${name}: ${message}`;
}

function findRootField(doc: DocumentNode, key: string): FieldNode | undefined {
  const frags = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) frags.set(d.name.value, d);
  const seen = new Set<string>();
  const search = (set: SelectionSetNode | undefined): FieldNode | undefined => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        if ((sel.alias ?? sel.name).value === key) return sel;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const f = search(sel.selectionSet);
        if (f) return f;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const f = search(frags.get(sel.name.value)?.selectionSet);
        if (f) return f;
      }
    }
    return undefined;
  };
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const f = search(d.selectionSet);
    if (f) return f;
  }
  return undefined;
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
    plugins: [queryLimitsPlugin({ production: opts.production })],
  };
}

/**
 * Limits on what one GraphQL request may ask for (checked before graphql-js validates it):
 * size, depth, fields, fragments, calls (root fields and fields with arguments: each is a
 * database query, so aliases cannot multiply one request into thousands) and page size.
 */
export const QUERY_LIMITS = { maxLength: 100_000, maxDepth: 15, maxCost: 5_000, maxFragments: 200, maxCalls: 50, maxPage: 10_000 };

/**
 * The cost of an operation with every fragment spread expanded — fields counted
 * with their whole sub-selection — and its depth, computed in time linear in the
 * document (each fragment's cost is computed once), so nested fragments that would
 * expand exponentially are measured, not expanded.
 */
export function operationCost(doc: DocumentNode): { cost: number; depth: number; fragments: number; calls: number } {
  const frags = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) frags.set(d.name.value, d);
  type M = { cost: number; depth: number; calls: number };
  const memo = new Map<string, M>();
  const visiting = new Set<string>();
  // (root: the selection is at the operation's root, where every field is a query of its
  // own; Relay's `query` field leads back to the root)
  const measure = (set: SelectionSetNode | undefined, root: boolean): M => {
    let cost = 0, depth = 0, calls = 0;
    for (const sel of set?.selections ?? []) {
      let c: M;
      if (sel.kind === Kind.FIELD) {
        const sub = measure(sel.selectionSet, root && sel.name.value === "query");
        const call = (root && sel.name.value !== "query") || (sel.arguments?.length ?? 0) > 0 ? 1 : 0;
        c = { cost: 1 + sub.cost, depth: 1 + sub.depth, calls: call + sub.calls };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        c = measure(sel.selectionSet, root);
      } else {
        const name = sel.name.value;
        const key = `${root ? "r" : "n"}:${name}`;
        const known = memo.get(key);
        if (known) c = known;
        else if (visiting.has(name) || !frags.has(name)) c = { cost: 0, depth: 0, calls: 0 }; // cycles and unknowns: graphql-js rejects them
        else {
          visiting.add(name);
          c = measure(frags.get(name)!.selectionSet, root);
          visiting.delete(name);
          memo.set(key, c);
        }
      }
      cost = Math.min(cost + c.cost, Number.MAX_SAFE_INTEGER);
      calls = Math.min(calls + c.calls, Number.MAX_SAFE_INTEGER);
      depth = Math.max(depth, c.depth);
    }
    return { cost, depth, calls };
  };
  let cost = 0, depth = 0, calls = 0;
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = measure(d.selectionSet, true);
    cost = Math.max(cost, m.cost);
    depth = Math.max(depth, m.depth);
    calls = Math.max(calls, m.calls);
  }
  return { cost, depth, fragments: frags.size, calls };
}

/**
 * The first `first`/`last` argument of the document that is negative or above the
 * page limit, literal or from the request's variables (a bad one is a 400 naming it,
 * not a database error).
 */
export function badPageSize(doc: DocumentNode, variables: unknown): string | undefined {
  const vars = { ...(variables && typeof variables === "object" ? variables : {}) } as Record<string, unknown>;
  // (a variable not given takes its default from the operation: `query($n: Int = 20000)`)
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of d.variableDefinitions ?? []) {
      if (!(v.variable.name.value in vars) && v.defaultValue?.kind === Kind.INT) vars[v.variable.name.value] = Number(v.defaultValue.value);
    }
  }
  const valueOf = (v: ValueNode): unknown =>
    v.kind === Kind.INT ? Number(v.value) : v.kind === Kind.VARIABLE ? vars[v.name.value] : undefined;
  let bad: string | undefined;
  const visit = (set: SelectionSetNode | undefined) => {
    for (const sel of set?.selections ?? []) {
      if (bad) return;
      if (sel.kind === Kind.FIELD) {
        for (const a of sel.arguments ?? []) {
          if (a.name.value !== "first" && a.name.value !== "last") continue;
          const n = valueOf(a.value);
          if (typeof n === "number" && (n < 0 || n > QUERY_LIMITS.maxPage)) {
            bad = `${(sel.alias ?? sel.name).value}.${a.name.value}: expected 0 to ${QUERY_LIMITS.maxPage}, got ${n}`;
            return;
          }
        }
        visit(sel.selectionSet);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet);
    }
  };
  for (const d of doc.definitions) if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) visit(d.selectionSet);
  return bad;
}

/**
 * The first collection over a table or view that reads rows (`nodes` or `edges`) with
 * neither `first` nor `last`: a root `allX` field, or a relation connection (`xsByY`)
 * at any depth. These grow with every build (observations, intervals, snapshots), so an
 * unpaged read could return millions of rows into the server's memory; it is refused
 * (a 400 naming the field) rather than cut short. The query functions' connections
 * (openIssuesAt, diff, ...) answer for one timeline and CL and need no page.
 */
export function unpagedCollection(doc: DocumentNode): string | undefined {
  const frags = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) frags.set(d.name.value, d);
  // whether a selection reads rows, through inline fragments and fragment spreads
  const readsRows = (set: SelectionSetNode | undefined, seen: Set<string>): boolean =>
    (set?.selections ?? []).some((sel) => {
      if (sel.kind === Kind.FIELD) return sel.name.value === "nodes" || sel.name.value === "edges";
      if (sel.kind === Kind.INLINE_FRAGMENT) return readsRows(sel.selectionSet, seen);
      const f = frags.get(sel.name.value);
      if (!f || seen.has(sel.name.value)) return false;
      return readsRows(f.selectionSet, new Set([...seen, sel.name.value]));
    });
  let bad: string | undefined;
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, root: boolean) => {
    for (const sel of set?.selections ?? []) {
      if (bad) return;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        // (PostGraphile names relations `<rows>By<Key>[And<Key>...]`; myTeamOpenByOwner is
        // a query function, named like one)
        const collection = (root && /^all[A-Z]/.test(name))
          || (/^[a-z][A-Za-z0-9]*By[A-Z][A-Za-z0-9]*$/.test(name) && !name.startsWith("myTeam"));
        const paged = (sel.arguments ?? []).some((a) => a.name.value === "first" || a.name.value === "last");
        if (collection && !paged && readsRows(sel.selectionSet, new Set())) {
          bad = `${(sel.alias ?? sel.name).value}: give first or last (at most ${QUERY_LIMITS.maxPage}) to read its nodes or edges; this collection grows with every build`;
          return;
        }
        visit(sel.selectionSet, root && name === "query");
      } else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, root);
      else {
        const key = `${root ? "r" : "n"}:${sel.name.value}`;
        const f = frags.get(sel.name.value);
        if (f && !visited.has(key)) { visited.add(key); visit(f.selectionSet, root); }
      }
    }
  };
  for (const d of doc.definitions) if (d.kind === Kind.OPERATION_DEFINITION) visit(d.selectionSet, true);
  return bad;
}

const refuse = (message: string) => httpError(400, message);

/** Refuses oversized, too deep or too costly requests (and introspection in production) before validation. */
function queryLimitsPlugin(opts: { production: boolean }): GraphileConfig.Plugin {
  return {
    name: "BuildledgerQueryLimitsPlugin",
    version: "1.0.0",
    grafserv: {
      middleware: {
        processGraphQLRequestBody(next, event) {
          const q = event.body.query;
          if (typeof q === "string") {
            if (q.length > QUERY_LIMITS.maxLength) throw refuse(`query: longer than ${QUERY_LIMITS.maxLength} characters`);
            let doc: DocumentNode;
            try {
              doc = parse(q, { maxTokens: 20_000 });
            } catch {
              return next(); // graphql-js reports the syntax error itself
            }
            const m = operationCost(doc);
            if (m.fragments > QUERY_LIMITS.maxFragments) throw refuse(`query: more than ${QUERY_LIMITS.maxFragments} fragments`);
            if (m.depth > QUERY_LIMITS.maxDepth) throw refuse(`query: nested ${m.depth} levels deep (at most ${QUERY_LIMITS.maxDepth})`);
            if (m.cost > QUERY_LIMITS.maxCost) throw refuse(`query: selects ${m.cost > 1e12 ? "more than 10^12" : m.cost} fields with fragments expanded (at most ${QUERY_LIMITS.maxCost})`);
            if (m.calls > QUERY_LIMITS.maxCalls) throw refuse(`query: makes ${m.calls > 1e12 ? "more than 10^12" : m.calls} root or argument-taking field calls with fragments expanded (at most ${QUERY_LIMITS.maxCalls})`);
            const page = badPageSize(doc, event.body.variableValues) ?? unpagedCollection(doc);
            if (page) throw refuse(page);
          }
          return next();
        },
        setPreset(next, event) {
          if (opts.production) event.validationRules.push(NoSchemaIntrospectionCustomRule);
          return next();
        },
      },
    },
  };
}

export interface Graphql { pgl: PostGraphileInstance; release(): Promise<void> }

/** A PostGraphile instance on its own pool; release() frees both. */
export function makeGraphql(connectionString: string, opts: { production: boolean }): Graphql {
  // (a request that cannot get a connection within 30 s fails instead of queueing for ever)
  const pool = new pg.Pool({ ...serviceConnection(connectionString, "buildledger_ingest"), max: 5, connectionTimeoutMillis: 30_000 });
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
