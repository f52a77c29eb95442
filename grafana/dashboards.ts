// The Grafana dashboards, generated with @grafana/grafana-foundation-sdk (typed
// builders). `npm run grafana:build` writes grafana/dashboards/*.json; a test fails
// when the committed JSON and this generator disagree, and another runs the SQL of
// every panel as the read-only role. Panel SQL only calls views and functions from
// sql/, so psql, GraphQL and Grafana share one definition.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as trend from "@grafana/grafana-foundation-sdk/trend";

/** The provisioned datasource (grafana/provisioning/datasources/buildledger.yaml). */
export const DATASOURCE = { type: "grafana-postgresql-datasource", uid: "buildledger-pg" };

/** A Grafana PostgreSQL query (the SDK has no builder for this datasource). */
class PgQuery implements cog.Builder<cog.Dataquery> {
  constructor(private readonly sql: string, private readonly format: "table" | "time_series" = "table", private readonly refId = "A") {}
  build(): cog.Dataquery {
    return {
      refId: this.refId, datasource: DATASOURCE, editorMode: "code", rawQuery: true,
      format: this.format, rawSql: this.sql.trim().replace(/\n\s+/g, "\n  "),
      _implementsDataqueryVariant() {},
    } as cog.Dataquery;
  }
}

const q = (name: string, label: string, sql: string) =>
  new dashboard.QueryVariableBuilder(name).label(label).datasource(DATASOURCE).query(sql).definition(sql)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged);

// Grafana substitutes single-value variables verbatim; the SQL quotes them itself.
export const SQL = {
  trend: `select cl, total, new, resolved from ledger.cl_trend('\${project}', '\${stream}', 500) order by cl`,
  treemap: `select level1, level2, level3, level4, level5, level6, level7, level8, issue_count
    from ledger.treemap_at('\${project}', \${cl}, '\${stream}', nullif('\${team}', '__all'))`,
  presence: `select "time", issue, present
    from ledger.presence_timeline('\${project}', '\${stream}', nullif('\${team}', '__all'), nullif('\${severity}', '__all'), 25)
    order by "time"`,
  heatmap: `select "time", team as metric, new_issues as value
    from ledger.team_heatmap('\${project}', '\${stream}', 60) order by "time", team`,
  recurring: `select interval_count as intervals, case when interval_count >= 3 then 'flaky' else 'recurring' end as kind,
    severity, message, path, first_start_cl, last_seen_cl, is_open
    from ledger.recurring_issues('\${project}', '\${stream}')
    where '\${team}' = '__all' or split_part(path, '/', 3) = '\${team}'
    order by interval_count desc, last_seen_cl desc limit 200`,
  diff: `select status, severity, message, path from ledger.diff('\${project}', \${cl_from}, \${cl}, '\${stream}')
    where status <> 'unchanged' and ('\${team}' = '__all' or split_part(path, '/', 3) = '\${team}')
    order by status, severity, path`,
};

export const VARIABLES_SQL = {
  project: "select project from ledger.project order by project",
  stream: "select stream from ledger.timeline where project = '${project}' order by stream <> 'main', stream",
  team: "select team from ledger.v_team where project = '${project}' order by team",
  cl: "select cl from ledger.changelist_metrics where project = '${project}' and stream = '${stream}' order by cl desc",
  cl_from: "select cl from ledger.changelist_metrics where project = '${project}' and stream = '${stream}' and cl < ${cl} order by cl desc",
};

export function overviewDashboard(): dashboard.Dashboard {
  const present: dashboard.ValueMapping = {
    type: dashboard.MappingType.ValueToText,
    options: { "1": { text: "present", color: "red", index: 0 }, "0": { text: "resolved", color: "transparent", index: 1 } },
  } as dashboard.ValueMapping;
  return new dashboard.DashboardBuilder("buildledger: build health")
    .uid("buildledger-overview")
    .tags(["buildledger"])
    .description("Open, new and resolved build issues per CL, by hierarchy and team, from the buildledger database.")
    .time({ from: "now-90d", to: "now" })
    .refresh("1m")
    .withVariable(q("project", "Project", VARIABLES_SQL.project))
    .withVariable(q("stream", "Stream", VARIABLES_SQL.stream))
    .withVariable(q("team", "Team", VARIABLES_SQL.team).includeAll(true).allValue("__all"))
    .withVariable(new dashboard.CustomVariableBuilder("severity").label("Severity")
      .values("error,warning,info").includeAll(true).allValue("__all"))
    .withVariable(q("cl", "CL", VARIABLES_SQL.cl).sort(dashboard.VariableSort.Disabled))
    .withVariable(q("cl_from", "Diff from CL", VARIABLES_SQL.cl_from).sort(dashboard.VariableSort.Disabled))
    .withRow(new dashboard.RowBuilder("Trend"))
    .withPanel(new trend.PanelBuilder().title("Issues per CL: total, new, resolved").description(
      "ledger.cl_trend: open issues (total), newly opened and resolved at each built CL; CL numbers on the x axis.")
      .withTarget(new PgQuery(SQL.trend)).xField("cl").height(8).span(24))
    .withRow(new dashboard.RowBuilder("Where the issues are"))
    .withPanel(new dashboard.PanelBuilder().type("marcusolsson-treemap-panel").title("Open issues at CL ${cl} by hierarchy")
      .description("ledger.treemap_at: open issues at the chosen CL per path prefix (level1 = server … level8), grouped by team.")
      .withTarget(new PgQuery(SQL.treemap))
      .options({ tiling: "treemapSquarify", sizeField: "issue_count", colorByField: "issue_count",
                 groupByField: "level3", textField: "level4", labelFields: ["level4", "issue_count"] })
      .height(12).span(12))
    .withPanel(new heatmap.PanelBuilder().title("New issues per team and CL")
      .description("ledger.team_heatmap: new issues per team (rows) over the last 60 built CLs (columns, at CL time).")
      .withTarget(new PgQuery(SQL.heatmap, "time_series"))
      .calculate(false).cellGap(1)
      .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme("Oranges").steps(64))
      .height(12).span(12))
    .withRow(new dashboard.RowBuilder("Issues"))
    .withPanel(new statetimeline.PanelBuilder().title("Presence of the longest-lived issues")
      .description("ledger.presence_timeline: one row per issue (top 25 by total presence, filtered by team and severity), bars where it is present, over CL submit time.")
      .withTarget(new PgQuery(SQL.presence))
      .withTransformation({ id: "partitionByValues", options: { fields: ["issue"], keepFields: false, naming: { asLabels: false } } })
      .mappings([present]).showValue(common.VisibilityMode.Never).mergeValues(true)
      .height(14).span(24))
    .withPanel(new table.PanelBuilder().title("Recurring and flaky issues")
      .description("ledger.recurring_issues: issues with more than one presence interval; three or more = flaky.")
      .withTarget(new PgQuery(SQL.recurring)).height(10).span(12))
    .withPanel(new table.PanelBuilder().title("CL ${cl} vs CL ${cl_from}: introduced and fixed")
      .description("ledger.diff: issues new at CL ${cl} (not open at ${cl_from}) and resolved since.")
      .withTarget(new PgQuery(SQL.diff)).height(10).span(12))
    .build();
}

export function allDashboards(): Record<string, dashboard.Dashboard> {
  return { "buildledger-overview.json": overviewDashboard() };
}

export const renderDashboard = (d: dashboard.Dashboard) => JSON.stringify(d, null, 2) + "\n";
