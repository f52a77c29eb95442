// Plain build logs → issues. Recognised lines:
//   Unreal:    [timestamp][frame]LogCategory: Error: message   (Warning too)
//   MSVC:      path\file.cpp(123): error C2065: message         (also "(123,45)", "fatal error", "warning")
//              LINK : fatal error LNK1181: message
//   clang/gcc: path/file.cpp:12:34: error: message [-Wflag]    (warning, fatal error)
// Everything else (Display lines, notes, progress) is not an issue. Line numbers are
// dropped from the location, so the same diagnostic keeps its identity when code
// moves. An Unreal message that names an asset (/Game/..., /Engine/...) or a source
// file is filed under that path, otherwise under unreal/<LogCategory>.
import { joinPath, type ReportIssue, type ReportMeta } from "./types.js";

const UNREAL = /^(?:\[[^\]]*\])*\s*(Log\w+):\s+(Error|Warning):\s+(.*)$/;
const MSVC = /^\s*(?:\d+>)?\s*(.+?)\((\d+)(?:,\d+)?\)\s*:\s*(fatal error|error|warning)\s+([A-Z]+\d+)\s*:\s*(.*)$/;
const MSVC_TOOL = /^\s*(?:\d+>)?\s*(LINK|[A-Za-z0-9_.-]+\.(?:exe|lib|obj|dll))\s*:\s*(fatal error|error|warning)\s+([A-Z]+\d+)\s*:\s*(.*)$/;
const GCC = /^(.+?):(\d+):(?:(\d+):)?\s+(fatal error|error|warning):\s+(.*)$/;
const ASSET = /(\/(?:Game|Engine|Plugins)\/[A-Za-z0-9_\-/]+)(?:\.[A-Za-z0-9_]+)?/;
const SOURCE = /((?:[A-Za-z]:)?[\w.\-/\\]+\.(?:cpp|h|hpp|c|cs|usf|ush|ini|uasset|umap))\b/;

const sev = (s: string) => (s.toLowerCase().includes("error") ? "error" : "warning");

export function logToIssues(text: string, meta: ReportMeta): ReportIssue[] {
  const issues: ReportIssue[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line) continue;
    let m: RegExpExecArray | null;
    if ((m = UNREAL.exec(line))) {
      const [, cat, level, message] = m;
      const where = ASSET.exec(message)?.[1] ?? SOURCE.exec(message)?.[1] ?? `unreal/${cat}`;
      issues.push({ path: joinPath(meta.path_prefix, where), severity: sev(level), category: cat, message });
    } else if ((m = MSVC.exec(line))) {
      const [, file, , level, code, message] = m;
      issues.push({ path: joinPath(meta.path_prefix, file), severity: sev(level), category: code, message: `${code}: ${message}` });
    } else if ((m = MSVC_TOOL.exec(line))) {
      const [, tool, level, code, message] = m;
      issues.push({ path: joinPath(meta.path_prefix, `link/${tool}`), severity: sev(level), category: code, message: `${code}: ${message}` });
    } else if ((m = GCC.exec(line))) {
      const [, file, , , level, message] = m;
      const flag = /\[(-W[\w=-]+)\]\s*$/.exec(message)?.[1];
      issues.push({ path: joinPath(meta.path_prefix, file), severity: sev(level), category: flag ?? "compiler", message });
    }
  }
  return issues;
}
