// Grafana: the committed dashboard JSON is what grafana/dashboards.ts generates; the
// exact SQL of every panel and variable runs as the read-only Grafana role against
// the default synthetic studio, with variables substituted as Grafana does, and
// returns the columns and shapes each panel type needs, each in under 500 ms; and
// that role can neither write nor call anything that writes.
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allDashboards, renderDashboard } from "../grafana/dashboards.js";
import { ROOT } from "../lib/migrate.js";
import { DEFAULT_GENERATOR } from "../lib/generator.js";
import { deliverStudio, processQueued } from "../lib/studio.js";
import { cloneDatabase } from "./helpers/db.js";

const committed = async (file: string) => readFile(path.join(ROOT, "grafana", "dashboards", file), "utf8");

describe("dashboard JSON", () => {
  it("the committed JSON equals the generator's output (run npm run grafana:build if not)", async () => {
    for (const [file, d] of Object.entries(allDashboards())) {
      expect(await committed(file) === renderDashboard(d), `${file} drifted: run npm run grafana:build`).toBe(true);
    }
  });
});

interface Target { rawSql: string; format: string }
interface Panel { type: string; title: string; targets?: Target[] }

describe("panel SQL as the read-only role on the demo studio", () => {
  let db: Awaited<ReturnType<typeof cloneDatabase>>;
  let grafana: pg.Client;
  let dash: { panels: Panel[]; templating: { list: { name: string; type: string; query: string; allValue?: string; includeAll?: boolean }[] } };
  const vars: Record<string, string> = {};
  // As Grafana interpolates: ${var:sqlstring} is a single-quoted literal with quotes
  // doubled; a bare ${var} or $var is pasted verbatim (no panel may use that form).
  const subst = (sql: string, v: Record<string, string>) =>
    sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (m, a, fmt, b) => {
      const k = a ?? b;
      if (!(k in v)) throw new Error(`unknown variable ${k} in ${sql}`);
      if (fmt === "sqlstring") return `'${v[k].replace(/'/g, "''")}'`;
      if (fmt) throw new Error(`unexpected format ${fmt} in ${sql}`);
      return v[k];
    });
  const run = async (sql: string) => {
    const t0 = performance.now();
    const r = await grafana.query(sql);
    return { rows: r.rows as Record<string, unknown>[], fields: r.fields.map((f) => f.name), ms: performance.now() - t0 };
  };

  beforeAll(async () => {
    db = await cloneDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
    await deliverStudio(DEFAULT_GENERATOR, { kind: "sql", pool }, () => {});
    await processQueued(db.url, () => {});
    await pool.end();
    const u = new URL(db.url);
    u.username = "buildledger_grafana";
    grafana = new pg.Client({ connectionString: u.toString() });
    await grafana.connect();
    dash = JSON.parse(await committed("buildledger-overview.json"));
    // Variables, in dashboard order, each from its own query (first option), as Grafana does.
    for (const v of dash.templating.list) {
      const r = v.type === "custom" ? undefined : await run(subst(v.query, vars));
      if (r) expect(r.rows.length, `variable ${v.name} has options`).toBeGreaterThan(0);
      // "All" comes first in an includeAll variable's options
      vars[v.name] = v.includeAll ? v.allValue! : r ? String(Object.values(r.rows[0])[0]) : v.query.split(",")[0];
    }
  }, 600_000);
  afterAll(async () => {
    await grafana?.end();
    await db?.drop();
  });

  it("the variables resolve: project, stream, team (All), CL = latest, diff-from CL = the one before", async () => {
    expect(vars.project).toBe("atlas");
    expect(vars.stream).toBe("main");
    expect(vars.team).toBe("__all");
    const { rows } = await run("select max(cl)::text as latest from ledger.changelist_metrics where project = 'atlas'");
    expect(vars.cl).toBe(rows[0].latest);
    expect(Number(vars.cl_from)).toBeLessThan(Number(vars.cl));
  });

  const sorted = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
  const numeric = (v: unknown) => typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v));

  for (const teamChoice of ["__all", "first team"]) {
    it(`every panel returns its shape (team = ${teamChoice})`, async () => {
      const v = { ...vars };
      if (teamChoice !== "__all") {
        // the team owning the most issues of the project
        v.team = String((await run(subst(`select split_part(path, '/', 3) as team from ledger.issue_instance
          where split_part(path, '/', 2) = '\${project}' group by 1 order by count(*) desc limit 1`, v))).rows[0].team);
        v.severity = "warning";
      }
      const seen = new Set<string>();
      for (const p of dash.panels.filter((x) => x.type !== "row")) {
        for (const t of p.targets ?? []) {
          const r = await run(subst(t.rawSql, v));
          seen.add(p.type);
          switch (p.type) {
            case "trend": {
              expect(r.fields).toEqual(["cl", "total", "new", "resolved"]);
              expect(r.rows.length).toBeGreaterThan(50);
              expect(sorted(r.rows.map((x) => Number(x.cl)))).toBe(true);
              expect(r.rows.every((x) => numeric(x.total) && numeric(x.new) && numeric(x.resolved))).toBe(true);
              break;
            }
            case "marcusolsson-treemap-panel": {
              expect(r.fields).toEqual(["level1", "level2", "level3", "level4", "level5", "level6", "level7", "level8", "issue_count"]);
              expect(r.rows.length, p.title).toBeGreaterThan(0);
              expect(r.rows.every((x) => numeric(x.issue_count) && Number(x.issue_count) > 0 && x.level1 && x.level2 && x.level3)).toBe(true);
              if (v.team !== "__all") expect(new Set(r.rows.map((x) => x.level3))).toEqual(new Set([v.team]));
              break;
            }
            case "heatmap": {
              expect(t.format).toBe("time_series");
              expect(r.fields).toEqual(["time", "metric", "value"]);
              if (p.title.startsWith("Net new")) {
                expect(r.rows.length, p.title).toBeGreaterThan(5);
                expect(r.rows.every((x) => numeric(x.value))).toBe(true);
                if (v.team !== "__all") expect(new Set(r.rows.map((x) => x.metric))).toEqual(new Set([v.team]));
                break;
              }
              expect(r.rows.length).toBeGreaterThan(100);
              expect(sorted(r.rows.map((x) => (x.time as Date).getTime()))).toBe(true);
              expect(r.rows.every((x) => numeric(x.value))).toBe(true);
              expect(r.rows.some((x) => Number(x.value) > 0)).toBe(true);
              break;
            }
            case "state-timeline": {
              expect(r.fields).toEqual(["time", "issue", "present"]);
              expect(r.rows.length, p.title).toBeGreaterThan(10);
              expect(sorted(r.rows.map((x) => (x.time as Date).getTime()))).toBe(true);
              expect(r.rows.every((x) => x.present === 0 || x.present === 1)).toBe(true);
              expect(r.rows.filter((x) => x.present === 1).length).toBeGreaterThanOrEqual(new Set(r.rows.map((x) => x.issue)).size);
              expect(new Set(r.rows.map((x) => x.issue)).size).toBeLessThanOrEqual(25);
              break;
            }
            case "table": {
              expect(r.fields.length).toBeGreaterThanOrEqual(4);
              if (p.title.startsWith("Quality gate")) {
                expect(r.fields).toEqual(["status", "new_errors", "new_warnings", "regressions", "flaky", "reasons"]);
                expect(r.rows.length).toBe(1);
                expect(["pass", "fail", "not_ready"]).toContain(r.rows[0].status);
              } else if (p.title.startsWith("Flaky")) {
                expect(r.fields).toEqual(["score", "flips", "covering_builds", "present_builds", "severity", "message", "path"]);
                if (v.team === "__all") expect(r.rows.length, p.title).toBeGreaterThan(0);
                expect(r.rows.every((x) => Number(x.flips) >= 3 && Number(x.score) > 0 && Number(x.score) <= 1)).toBe(true);
              } else if (p.title.startsWith("Team trends")) {
                expect(r.fields).toEqual(["window_days", "team", "new", "resolved", "regressions", "open", "median_resolve_cls", "median_resolve_hours"]);
                expect(r.rows.length, p.title).toBeGreaterThan(0);
                expect(new Set(r.rows.map((x) => Number(x.window_days)))).toEqual(new Set([7, 30, 90]));
                if (v.team !== "__all") expect(new Set(r.rows.map((x) => x.team))).toEqual(new Set([v.team]));
              } else if (p.title.startsWith("Recurring")) {
                expect(r.rows.length, p.title).toBeGreaterThan(0);
                expect(r.rows.every((x) => Number(x.intervals) >= 2)).toBe(true);
                if (v.team === "__all") expect(r.rows.some((x) => x.kind === "flaky")).toBe(true);
              } else {
                expect(r.fields).toEqual(["status", "severity", "message", "path"]);
                expect(r.rows.every((x) => x.status === "new" || x.status === "resolved")).toBe(true);
                if (v.team === "__all") expect(r.rows.length).toBeGreaterThan(0);
              }
              break;
            }
            default:
              throw new Error(`no shape check for panel type ${p.type}`);
          }
        }
      }
      expect(seen).toEqual(new Set(["trend", "marcusolsson-treemap-panel", "heatmap", "state-timeline", "table"]));
    });
  }

  it("a hostile variable value stays a string literal in every panel", async () => {
    const evil = { ...vars, project: "atlas'); drop table ledger.snapshot; --", team: "x' or '1'='1", cl: "1); select 1; --" };
    for (const p of dash.panels.filter((x) => x.type !== "row")) {
      for (const t of p.targets ?? []) {
        const e = await grafana.query(subst(t.rawSql, evil)).then(() => null, (x) => x);
        // never a syntax error (42601): the value was data, not SQL; unknown project or bad CL number are class 22
        if (e) expect(e.code, `${p.title}: ${e.message}`).toMatch(/^22/);
      }
    }
    expect((await run("select count(*)::int as n from ledger.snapshot")).rows[0].n).toBeGreaterThan(0);
  });

  it("the Grafana role is read-only, times out, and cannot call what writes or change the schema", async () => {
    expect((await run("show statement_timeout")).rows[0].statement_timeout).toBe("10s");
    expect((await run("show default_transaction_read_only")).rows[0].default_transaction_read_only).toBe("on");
    const refused = async (sql: string, code: RegExp) => {
      await grafana.query("begin read write");
      try {
        await grafana.query(sql);
        throw new Error(`allowed: ${sql}`);
      } catch (e) {
        expect((e as { code?: string }).code, `${sql}: ${(e as Error).message}`).toMatch(code);
      } finally {
        await grafana.query("rollback");
      }
    };
    // 42501 = insufficient privilege (even with a read-write transaction forced)
    await refused("insert into ledger.project (project) values ('evil')", /^42501$/);
    await refused("update ledger_private.changelist_metrics set total = 0", /^42501$/);
    await refused("delete from ledger_private.snapshot", /^42501$/);
    await refused(`select ledger.stage_report('{"project":"evil","changelist":1}')`, /^42501$/);
    await refused(`select ledger.ingest_report('{"project":"evil","changelist":1}')`, /^42501$/);
    await refused("select ledger.process_snapshot(1)", /^42501$/);
    await refused("select ledger_private.rebuild_timeline('atlas')", /^42501$/);
    await refused("select graphile_worker.add_job('process_snapshot', '{}')", /^(42501|3F000)$/);
    await refused("create table ledger.evil (x int)", /^42501$/);
    await refused("create table public.evil (x int)", /^42501$/);
    await refused("alter table ledger.project add column evil int", /^42501$/);
    await refused("select * from ledger_private.snapshot_input", /^42501$/);
    await refused("select * from ledger_private.ingest_token", /^42501$/);
    await refused("set role postgres", /^42501$/);
  });
});
