// SARIF 2.1.0 → native report. One issue per result: the path is the result's
// first physical location (relative to its uriBaseId, or to the run's common source
// directory for absolute URIs), the message its text, the severity its level, the
// category its ruleId. Line and column are not part of an issue's identity.
import { InputError } from "../errors.js";
import { joinPath, type Report, type ReportIssue, type ReportMeta, applyMeta } from "./types.js";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

function uriToPath(uri: string): string {
  let p = uri;
  if (/^file:/i.test(p)) p = p.replace(/^file:(\/\/[^/]*)?/i, "");
  try { p = decodeURIComponent(p); } catch { /* keep as is */ }
  return p.replace(/\\/g, "/");
}

function commonDir(paths: string[]): string {
  const abs = paths.filter((p) => p.startsWith("/"));
  if (abs.length === 0) return "";
  let parts = abs[0].split("/").slice(0, -1);
  for (const p of abs.slice(1)) {
    const q = p.split("/");
    let i = 0;
    while (i < parts.length && i < q.length - 1 && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join("/");
}

const LEVELS: Record<string, string> = { error: "error", warning: "warning", note: "info", none: "info" };

export function sarifToReport(doc: unknown, meta: ReportMeta): Report {
  const root = obj(doc);
  if (!root) throw new InputError("sarif", "expected a SARIF log object");
  if (root.version !== "2.1.0") throw new InputError("sarif.version", `expected "2.1.0", got ${JSON.stringify(root.version)}`);
  if (!Array.isArray(root.runs)) throw new InputError("sarif.runs", "expected an array");
  const issues: ReportIssue[] = [];
  root.runs.forEach((runV, ri) => {
    const run = obj(runV);
    if (!run) throw new InputError(`sarif.runs[${ri}]`, "expected an object");
    const results = run.results ?? [];
    if (!Array.isArray(results)) throw new InputError(`sarif.runs[${ri}].results`, "expected an array");
    const rules = (obj(obj(run.tool)?.driver)?.rules as Json[] | undefined) ?? [];
    const located = results.map((rV, i) => {
      const r = obj(rV);
      if (!r) throw new InputError(`sarif.runs[${ri}].results[${i}]`, "expected an object");
      const loc = obj(obj((r.locations as unknown[] | undefined)?.[0])?.physicalLocation);
      const art = obj(loc?.artifactLocation);
      const uri = typeof art?.uri === "string" ? uriToPath(art.uri) : undefined;
      return { r, i, uri, relative: typeof art?.uriBaseId === "string" };
    });
    const base = commonDir(located.filter((x) => x.uri && !x.relative).map((x) => x.uri!));
    for (const { r, i, uri } of located) {
      const field = `sarif.runs[${ri}].results[${i}]`;
      const rule = typeof r.ruleIndex === "number" ? rules[r.ruleIndex] : rules.find((x) => x?.id === r.ruleId);
      const msg = obj(r.message);
      let text = typeof msg?.text === "string" ? msg.text : undefined;
      if (text === undefined && typeof msg?.id === "string") {
        const s = obj(obj(rule?.messageStrings)?.[msg.id]);
        if (typeof s?.text === "string") text = s.text;
      }
      if (Array.isArray(msg?.arguments) && text) {
        const args = msg.arguments as unknown[];
        text = text.replace(/\{(\d+)\}/g, (m, n) => (args[Number(n)] !== undefined ? String(args[Number(n)]) : m));
      }
      if (!text) throw new InputError(`${field}.message`, "required field is missing");
      const level = typeof r.level === "string" ? r.level
        : typeof obj(rule?.defaultConfiguration)?.level === "string" ? String(obj(rule?.defaultConfiguration)?.level) : "warning";
      const severity = LEVELS[level];
      if (!severity) throw new InputError(`${field}.level`, `unknown value ${JSON.stringify(level)} (expected error, warning, note or none)`);
      let p = uri ?? "unknown-location";
      if (base && p.startsWith(base + "/")) p = p.slice(base.length + 1);
      issues.push({
        path: joinPath(meta.path_prefix, p),
        severity,
        message: text,
        category: typeof r.ruleId === "string" ? r.ruleId : null,
      });
    }
  });
  return applyMeta({ issues }, meta);
}

/** Whether a parsed JSON document looks like a SARIF log rather than a native report. */
export function looksLikeSarif(doc: unknown): boolean {
  const root = obj(doc);
  return !!root && Array.isArray(root.runs) && (typeof root.version === "string" || typeof root.$schema === "string");
}
