// The Grafana dashboards, generated with @grafana/grafana-foundation-sdk (typed
// builders). `npm run grafana:build` writes grafana/dashboards/*.json; a test fails
// when the committed JSON and this generator disagree, and another runs the SQL of
// every panel as the read-only role. Panel SQL only calls views and functions from
// sql/, so psql, GraphQL and Grafana share one definition.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
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

// Variables reach the SQL the way Grafana quotes them for SQL (`${var:sqlstring}`: a
// single-quoted literal with quotes doubled), never pasted in unquoted; CL numbers are
// quoted too and cast, so a hand-made URL value cannot become SQL.
const v = (name: string) => `\${${name}:sqlstring}`;
const cl = (name: string) => `${v(name)}::bigint`;
export const SQL = {
  trend: `select cl, total, new, resolved from ledger.cl_trend(${v("project")}, ${v("stream")}, 500) order by cl`,
  treemap: `select level1, level2, level3, level4, level5, level6, level7, level8, issue_count
    from ledger.treemap_at(${v("project")}, ${cl("cl")}, ${v("stream")}, nullif(${v("team")}, '__all'))`,
  presence: `select "time", issue, present
    from ledger.presence_timeline(${v("project")}, ${v("stream")}, nullif(${v("team")}, '__all'), nullif(${v("severity")}, '__all'), 25)
    order by "time"`,
  heatmap: `select "time", team as metric, new_issues as value
    from ledger.team_heatmap(${v("project")}, ${v("stream")}, 60) order by "time", team`,
  recurring: `select interval_count as intervals, case when interval_count >= 3 then 'flaky' else 'recurring' end as kind,
    severity, message, path, first_start_cl, last_seen_cl, is_open
    from ledger.recurring_issues(${v("project")}, ${v("stream")}, 200, nullif(${v("team")}, '__all'))
    order by interval_count desc, last_seen_cl desc`,
  diff: `select status, severity, message, path from ledger.diff(${v("project")}, ${cl("cl_from")}, ${cl("cl")}, ${v("stream")})
    where status <> 'unchanged' and (${v("team")} = '__all' or split_part(path, '/', 3) = ${v("team")})
    order by status, severity, path`,
  flaky: `select score, flips, covering_builds, present_builds, severity, message, path
    from ledger.flaky_issues(${v("project")}, ${v("stream")}, ${cl("cl")}, 40, 3)
    where ${v("team")} = '__all' or split_part(path, '/', 3) = ${v("team")}
    order by score desc, flips desc limit 100`,
  gate: `select g->>'status' as status, (g->'counts'->>'new_errors')::int as new_errors,
    (g->'counts'->>'new_warnings')::int as new_warnings, (g->'counts'->>'regressions')::int as regressions,
    (g->'counts'->>'flaky')::int as flaky, array_to_string(array(select jsonb_array_elements_text(g->'reasons')), '; ') as reasons
    from ledger.gate(${v("project")}, ${cl("cl")}, ${v("stream")}) as g`,
  teamTrends: `select w.days as window_days, t.team, t.new, t.resolved, t.regressions, t.open,
    round(t.median_resolve_cls::numeric, 1) as median_resolve_cls, round(t.median_resolve_hours::numeric, 1) as median_resolve_hours
    from (values (7), (30), (90)) as w(days)
    cross join lateral ledger.team_trends(${v("project")}, ${v("stream")}, w.days) t
    where ${v("team")} = '__all' or t.team = ${v("team")}
    order by w.days, t.team`,
  teamDaily: `select day::timestamptz as "time", team as metric, new - resolved as value
    from ledger.team_daily where project = ${v("project")} and stream = ${v("stream")}
      and (${v("team")} = '__all' or team = ${v("team")})
    order by 1, 2`,
};

/** The "my team" dashboard's panels (sql/360_my_team.sql); its team variable has no "All". */
export const MY_TEAM_SQL = {
  untriaged: `select open, untriaged, acknowledged, assigned, suppressed, regressed
    from ledger.my_team_untriaged(${v("project")}, ${v("team")}, ${v("stream")})`,
  byOwner: `select owner, team, open, errors, warnings, untriaged, suppressed
    from ledger.my_team_open_by_owner(${v("project")}, ${v("team")}, ${v("stream")})`,
  newWithSuspects: `select start_cl, started_at, severity, message, path, suspect_cl, suspect_author, suspect_rank, suspects, assignee, suppressed
    from ledger.my_team_new_with_suspects(${v("project")}, ${v("team")}, 7, ${v("stream")})`,
  regressions: `select start_cl, started_at, severity, message, path, previous_resolved_cl, marked_fixed_cl, is_open, suppressed
    from ledger.my_team_regressions(${v("project")}, ${v("team")}, 30, ${v("stream")})`,
};

export const VARIABLES_SQL = {
  project: "select project from ledger.project order by project",
  stream: "select stream from ledger.timeline where project = ${project:sqlstring} order by stream <> 'main', stream",
  team: "select team from ledger.v_team where project = ${project:sqlstring} order by team",
  cl: "select cl from ledger.changelist_metrics where project = ${project:sqlstring} and stream = ${stream:sqlstring} order by cl desc",
  cl_from: "select cl from ledger.changelist_metrics where project = ${project:sqlstring} and stream = ${stream:sqlstring} and cl < ${cl:sqlstring}::bigint order by cl desc",
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
    .withRow(new dashboard.RowBuilder("Gate, flaky issues, team trends"))
    .withPanel(new table.PanelBuilder().title("Quality gate at CL ${cl}")
      .description("ledger.gate: pass / fail / not_ready for the chosen CL under the project's policy (buildledger policy), with the reasons.")
      .withTarget(new PgQuery(SQL.gate)).height(5).span(24))
    .withPanel(new table.PanelBuilder().title("Flaky issues (last 40 built CLs up to ${cl})")
      .description("ledger.flaky_issues: presence flips among the builds covering each issue's path; score = flips / (covering builds - 1).")
      .withTarget(new PgQuery(SQL.flaky)).height(10).span(12))
    .withPanel(new table.PanelBuilder().title("Team trends over 7, 30 and 90 days")
      .description("ledger.team_trends, from the daily table: new, resolved, regressions, open, median time to resolve (CLs, hours).")
      .withTarget(new PgQuery(SQL.teamTrends)).height(10).span(12))
    .withPanel(new heatmap.PanelBuilder().title("Net new issues per team and day")
      .description("ledger.team_daily: new minus resolved per team and day.")
      .withTarget(new PgQuery(SQL.teamDaily, "time_series"))
      .calculate(false).cellGap(1)
      .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme("RdYlGn").reverse(true).steps(64))
      .height(10).span(24))
    .build();
}

export function myTeamDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder("buildledger: my team")
    .uid("buildledger-my-team")
    .tags(["buildledger", "triage"])
    .description("One team's build issues at the latest built CL: who owns what, what is new this week and who may have caused it, regressions, and what nobody has triaged yet. Suppressed issues are flagged and left out of the counts.")
    .time({ from: "now-30d", to: "now" })
    .refresh("1m")
    .withVariable(q("project", "Project", VARIABLES_SQL.project))
    .withVariable(q("stream", "Stream", VARIABLES_SQL.stream))
    .withVariable(q("team", "Team", VARIABLES_SQL.team))
    .withPanel(new stat.PanelBuilder().title("Team ${team}: open, untriaged, suppressed")
      .description("ledger.my_team_untriaged: open issues at the latest built CL (not suppressed), those without any triage event, acknowledged, assigned, suppressed, and regressions after being marked fixed.")
      .withTarget(new PgQuery(MY_TEAM_SQL.untriaged)).graphMode(common.BigValueGraphMode.None)
      .colorMode(common.BigValueColorMode.Value).height(5).span(24))
    .withPanel(new table.PanelBuilder().title("Open issues by owner")
      .description("ledger.my_team_open_by_owner: per owner (assignee, else the ownership rule's people, else the team): open, errors, warnings, untriaged, suppressed.")
      .withTarget(new PgQuery(MY_TEAM_SQL.byOwner)).height(9).span(12))
    .withPanel(new table.PanelBuilder().title("Regressions (last 30 days)")
      .description("ledger.my_team_regressions: issues that came back after being resolved; those marked fixed first.")
      .withTarget(new PgQuery(MY_TEAM_SQL.regressions)).height(9).span(12))
    .withPanel(new table.PanelBuilder().title("New this week, with suspects")
      .description("ledger.my_team_new_with_suspects: still open, started in the 7 days before the latest built CL, with the top-ranked suspect changelist and its author (ledger.suspects).")
      .withTarget(new PgQuery(MY_TEAM_SQL.newWithSuspects)).height(12).span(24))
    .build();
}

export function allDashboards(): Record<string, dashboard.Dashboard> {
  return { "buildledger-overview.json": overviewDashboard(), "buildledger-my-team.json": myTeamDashboard() };
}

export const renderDashboard = (d: dashboard.Dashboard) => JSON.stringify(d, null, 2) + "\n";
