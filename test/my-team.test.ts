// The "my team" dashboard (issue 12, part 6): its committed JSON is generated (the
// drift check in grafana.test.ts covers every dashboard); every panel's SQL runs as
// the read-only Grafana role on a small synthetic studio with triage events, with the
// variables resolved as Grafana does, and returns the columns its panel needs; the
// counts agree with the triage state (suppressed issues flagged, not counted).
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { DEFAULT_GENERATOR } from "../lib/generator.js";
import { deliverStudio, processQueued } from "../lib/studio.js";
import { seedTriageDemo } from "../lib/demo-triage.js";
import { cloneDatabase } from "./helpers/db.js";

interface Panel { type: string; title: string; targets?: { rawSql: string }[] }

describe("my team dashboard as the read-only role", () => {
  let db: Awaited<ReturnType<typeof cloneDatabase>>;
  let owner: pg.Pool;
  let grafana: pg.Client;
  let dash: { panels: Panel[]; templating: { list: { name: string; query: string }[] } };
  const vars: Record<string, string> = {};
  const subst = (sql: string, v: Record<string, string>) =>
    sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (_m, a, fmt, b) => {
      const k = a ?? b;
      if (fmt !== "sqlstring") throw new Error(`variable ${k} not quoted with :sqlstring in ${sql}`);
      return `'${v[k].replace(/'/g, "''")}'`;
    });

  beforeAll(async () => {
    db = await cloneDatabase();
    owner = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
    await deliverStudio({ ...DEFAULT_GENERATOR, builds: 40 }, { kind: "sql", pool: owner }, () => {});
    await processQueued(db.url, () => {});
    expect(await seedTriageDemo(owner)).toBeGreaterThan(3);
    expect(await seedTriageDemo(owner)).toBe(0); // idempotent: a second start adds nothing
    const u = new URL(db.url);
    u.username = "buildledger_grafana";
    grafana = new pg.Client({ connectionString: u.toString() });
    await grafana.connect();
    dash = JSON.parse(await readFile(path.join(ROOT, "grafana", "dashboards", "buildledger-my-team.json"), "utf8"));
    for (const v of dash.templating.list) {
      const r = await grafana.query(subst(v.query, vars));
      expect(r.rows.length, `variable ${v.name} has options`).toBeGreaterThan(0);
      vars[v.name] = String(Object.values(r.rows[0])[0]);
    }
  }, 600_000);
  afterAll(async () => {
    await grafana?.end();
    await owner?.end();
    await db?.drop();
  });

  it("every panel returns its columns for each team, and the counts agree with the triage state", async () => {
    const teams = (await grafana.query(subst(dash.templating.list.find((v) => v.name === "team")!.query, vars))).rows.map((r) => r.team as string);
    expect(teams.length).toBeGreaterThan(2);
    let suppressedSeen = 0, newSeen = 0, suspectsSeen = 0, regressionsSeen = 0;
    for (const team of teams) {
      const v = { ...vars, team };
      const out: Record<string, { fields: string[]; rows: Record<string, unknown>[] }> = {};
      for (const p of dash.panels) {
        for (const t of p.targets ?? []) {
          const r = await grafana.query(subst(t.rawSql, v));
          out[p.title] = { fields: r.fields.map((f) => f.name), rows: r.rows };
        }
      }
      const stat = out[`Team \${team}: open, untriaged, suppressed`];
      expect(stat.fields).toEqual(["open", "untriaged", "acknowledged", "assigned", "suppressed", "regressed"]);
      expect(stat.rows).toHaveLength(1);
      const byOwner = out["Open issues by owner"];
      expect(byOwner.fields).toEqual(["owner", "team", "open", "errors", "warnings", "untriaged", "suppressed"]);
      expect(byOwner.rows.every((r) => r.team === team)).toBe(true);
      const sum = (k: string) => byOwner.rows.reduce((a, r) => a + Number(r[k]), 0);
      expect(sum("open")).toBe(Number(stat.rows[0].open));
      expect(sum("untriaged")).toBe(Number(stat.rows[0].untriaged));
      expect(sum("suppressed")).toBe(Number(stat.rows[0].suppressed));
      // the default count leaves suppressed issues out: open + suppressed = everything open for the team
      const { rows: [all] } = await owner.query(
        `select count(*)::int as n from ledger.issue_owners('atlas', (select max(cl) from ledger.snapshot where project = 'atlas'))
          where team = $1`, [team]);
      expect(Number(stat.rows[0].open) + Number(stat.rows[0].suppressed)).toBe(all.n);
      suppressedSeen += Number(stat.rows[0].suppressed);
      const fresh = out["New this week, with suspects"];
      expect(fresh.fields).toEqual(["start_cl", "started_at", "severity", "message", "path", "suspect_cl", "suspect_author",
                                    "suspect_rank", "suspects", "assignee", "suppressed"]);
      newSeen += fresh.rows.length;
      suspectsSeen += fresh.rows.filter((r) => r.suspect_author).length;
      const reg = out["Regressions (last 30 days)"];
      expect(reg.fields).toEqual(["start_cl", "started_at", "severity", "message", "path", "previous_resolved_cl", "marked_fixed_cl", "is_open", "suppressed"]);
      expect(reg.rows.every((r) => Number(r.previous_resolved_cl) <= Number(r.start_cl))).toBe(true);
      regressionsSeen += reg.rows.length;
    }
    expect(suppressedSeen).toBe(1);        // the demo suppresses one open warning
    expect(newSeen).toBeGreaterThan(0);
    expect(suspectsSeen).toBeGreaterThan(0);
    expect(regressionsSeen).toBeGreaterThan(0);
  });

  it("a hostile team value stays a string literal", async () => {
    for (const p of dash.panels) {
      for (const t of p.targets ?? []) {
        const e = await grafana.query(subst(t.rawSql, { ...vars, team: "x' or '1'='1", project: "atlas'); drop table ledger.snapshot; --" }))
          .then(() => null, (x) => x);
        if (e) expect(e.code, `${p.title}: ${e.message}`).toMatch(/^22/);
      }
    }
  });
});
