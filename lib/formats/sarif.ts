// SARIF 2.1.0 → native report. One issue per result that reports a problem: the
// path is the result's first physical location placed under the source root — a
// `uriBaseId` location is already relative to its root; an absolute URI has the
// run's `originalUriBaseIds` roots, the caller's source roots and the CI workspace
// shapes stripped (lib/formats/paths.ts), never the folder the report's findings
// happen to share. The message is its text, the severity its level, the category
// its rule id. Results of level `note` or `none` and of kind pass / notApplicable /
// informational are context, not issues (as notes are in logs). Line and column are
// not part of an issue's identity.
import { InputError } from "../errors.js";
import { placePath, prefixed } from "./paths.js";
import { capMessage } from "./log.js";
import { type Report, type ReportIssue, type ReportMeta, applyMeta } from "./types.js";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

/** The absolute roots a run declares (originalUriBaseIds, following uriBaseId chains). */
function runRoots(run: Json): string[] {
  const bases = obj(run.originalUriBaseIds) ?? {};
  const resolve = (name: string, depth = 0): string | undefined => {
    const b = obj(bases[name]);
    if (!b || typeof b.uri !== "string" || depth > 8) return undefined;
    if (typeof b.uriBaseId === "string") {
      const parent = resolve(b.uriBaseId, depth + 1);
      return parent ? `${parent.replace(/\/+$/, "")}/${b.uri}` : undefined;
    }
    return b.uri;
  };
  return Object.keys(bases).map((k) => resolve(k)).filter((x): x is string => !!x);
}

const LEVELS: Record<string, string | null> = { error: "error", warning: "warning", note: null, none: null };
const NOT_PROBLEMS = new Set(["pass", "notApplicable", "informational"]);

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
    const roots = [...runRoots(run), ...(meta.source_roots ?? [])];
    const located = results.map((rV, i) => {
      const r = obj(rV);
      if (!r) throw new InputError(`sarif.runs[${ri}].results[${i}]`, "expected an object");
      const loc = obj(obj((r.locations as unknown[] | undefined)?.[0])?.physicalLocation);
      const art = obj(loc?.artifactLocation);
      let uri = typeof art?.uri === "string" ? art.uri : undefined;
      if (uri !== undefined && !/^file:/i.test(uri) && /%[0-9A-Fa-f]{2}/.test(uri)) {
        try { uri = decodeURIComponent(uri); } catch { /* keep as is */ }
      }
      return { r, i, uri };
    });
    for (const { r, i, uri } of located) {
      const field = `sarif.runs[${ri}].results[${i}]`;
      const rule = typeof r.ruleIndex === "number" ? rules[r.ruleIndex] : rules.find((x) => x?.id === r.ruleId);
      const level = typeof r.level === "string" ? r.level
        : typeof obj(rule?.defaultConfiguration)?.level === "string" ? String(obj(rule?.defaultConfiguration)?.level) : "warning";
      if (!(level in LEVELS)) throw new InputError(`${field}.level`, `unknown value ${JSON.stringify(level)} (expected error, warning, note or none)`);
      const severity = LEVELS[level];
      if (severity === null || (typeof r.kind === "string" && NOT_PROBLEMS.has(r.kind))) continue; // context, not an issue
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
      // A uriBaseId location is relative to its root already; an absolute one is placed.
      const p = uri === undefined ? "unknown-location" : placePath(uri, roots) || "unknown-location";
      issues.push({
        path: prefixed(meta.path_prefix, p),
        severity,
        message: capMessage(text),
        category: typeof r.ruleId === "string" ? r.ruleId : typeof rule?.id === "string" ? rule.id
          : typeof obj(r.rule)?.id === "string" ? String(obj(r.rule)!.id) : null,
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
