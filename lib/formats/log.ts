// Plain build logs → issues, read as a grammar of layers rather than one regular
// expression per tool:
//   1. decoding: UTF-8, or UTF-16 (LE/BE, with or without BOM — Unreal writes it); CRLF;
//      terminal colour codes removed wherever they stand in a line;
//   2. wrappers peeled off the front of each line, repeatedly: ANSI colours,
//      timestamps (ISO, `[hh:mm:ss]`, Unreal `[2024.12.04-03.59.55:123][  0]`), TeamCity
//      `[Step x/y]` and `E:`/`W:` markers, Ant `[exec]`, MSBuild `12>`, bracketed agent
//      labels (`[Build on CentOS 7]`), `UATHelper: <stage> (<platform>):`,
//      `ProcessResult.StdOut:`, Jenkins `[Pipeline]`, GitHub Actions `##[error]`, Docker
//      BuildKit `#10 184.3` …;
//   3. recognisers, first match wins (GRAMMAR below): CI annotations (GitHub's `::error …::`,
//      Azure's `##vso[task.logissue …]`, TeamCity's `##teamcity[buildProblem …]`), rustc (a
//      header, then its place on the next line), CMake's blocks (a header, the message
//      indented under it), compilers and linkers (MSVC with or
//      without a code, clang-cl `(line,col)`, FXC, gcc/clang/clang-tidy, the Go toolchain and
//      golangci-lint, cppcheck, javac/Maven, Android Studio's `Error:(l, c)` messages, ESLint and stylelint stylish, unix and compact
//      output, Bazel's rule lines), then log channels of any name
//      (`LogCook: Warning: …`, `UnrealBuildTool: ERROR: …`, `PackagingResults: Error: …`);
//   4. context: make's / ninja's "Entering directory" places the relative paths after it;
//      MSBuild's closing summary repeats the build's lines; an Unreal crash report
//      (`=== Critical error: ===`, `[Callstack]` frames, "Crash in runnable thread X") is one
//      error, a handled ensure (`=== Handled ensure: ===`, "Ensure condition failed: …",
//      `Stack:` and its frames) one diagnostic at the file it names; a driver's "ld
//      returned 1 exit status" and NMAKE's U1077 are summaries of the errors above them (kept when there are none); `note:`, "In instantiation of", "required
//      from", "In file included from", source excerpts are never issues; Unreal's "Warning/Error Summary" echoes
//      (`LogInit: Display: LogCook: Warning: …`) count once with their primary line and
//      stand in for it when it is absent.
// Line numbers are dropped from identity (they stay out of the path), and
// `(compiling source file …)` / `[….vcxproj]` suffixes are context, not message (a
// diagnostic raised in an MSBuild toolset file is placed at that project, see toolsetFile).
// To read an in-house tool's lines, add a Recogniser to GRAMMAR (see the README).
import { placeMessagePaths, placePath, prefixed } from "./paths.js";
import type { ReportIssue, ReportMeta } from "./types.js";

// ---- 1. decoding ---------------------------------------------------------------------

/** Decodes a log's bytes: UTF-16 when it says so (BOM) or looks so (NUL every other byte), else strict UTF-8. */
export function decodeLog(buf: Uint8Array, decodeUtf8: (b: Uint8Array) => string): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder("utf-16le").decode(buf.subarray(2));
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder("utf-16be").decode(buf.subarray(2));
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return decodeUtf8(buf.subarray(3));
  const n = Math.min(buf.length, 512) & ~1;
  if (n >= 4) {
    let evenNul = 0, oddNul = 0;
    for (let i = 0; i < n; i += 2) { if (buf[i] === 0) evenNul++; if (buf[i + 1] === 0) oddNul++; }
    if (oddNul > n / 4 && evenNul === 0) return new TextDecoder("utf-16le").decode(buf);
    if (evenNul > n / 4 && oddNul === 0) return new TextDecoder("utf-16be").decode(buf);
  }
  return decodeUtf8(buf);
}

// ---- 2. wrappers -----------------------------------------------------------------------

const WRAPPERS: RegExp[] = [
  /^\uFEFF/,
  /^\x1b\[[0-9;]*[A-Za-z]/,                                                   // ANSI colour
  /^\[\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}:\d{3}\]\[\s*\d+\]/,            // Unreal [2024.12.04-03.59.55:123][  0]
  /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s*/, // ISO timestamps
  /^\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?(?:[EWi]:)?\s*/,                        // [10:23:45] and TeamCity [10:23:45]W:
  /^\[Step \d+\/\d+\]\s*/i,                                                   // TeamCity steps
  /^\[(?:exec|javac|cc|apply|java|echo|sshexec|msbuild)\]\s*/i,               // Ant tasks
  /^\[Pipeline\]\s*/,                                                         // Jenkins pipeline
  /^#\d+ \d+(?:\.\d+)? /,                                                       // Docker BuildKit plain progress: #10 184.3 …
  /^##\[(?:error|warning|notice|debug|command|section|group|endgroup)\]/,       // GitHub Actions ##[error] … as a job log shows annotations
  /^\s*\d+>\s*/,                                                              // MSBuild node prefix 12>
  /^(?:UATHelper|MainFrameActions):\s+[^:()]*?\((?:[^()]|\([^()]*\))*\):\s*/, // UATHelper: Packaging (Windows (64-bit)):
  /^(?:UATHelper|MainFrameActions):\s+[^:]{1,60}:\s+/,
  /^(?:Cook|Stage|Package|Archive|Build|Run|CookResults|Log):\s+(?=[A-Za-z_][\w.]*:\s+(?:Error|Warning|ERROR|WARNING|Fatal|Display|Log|Verbose):)/, // UAT step labels
  /^ProcessResult\.StdOut:\s*/,
  /^(?:LogAutomationController|LogUObjectGlobals): Display:\s+(?=\S+:\s+(?:Error|Warning):)/, // nested channel echoes that are not summaries
  /^\[(?!(?:ERROR|WARNING|WARN|INFO|error|warning)\])[^\][]{1,80}\]\s+/,       // [Build on CentOS 7] agent labels
  /^\s+/,
];

/** Terminal control sequences anywhere in a line (gcc's and clang's colours colour the middle of a line too). */
const CONTROL = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>]/g;

/** A line that is nothing but a prefix CI put on an empty line (`[2026-11-22T10:15:02.113Z]`, `[Build on CentOS 7]`). */
function isBare(line: string): boolean {
  if (line.length > 100) return false;
  if (/^\[[^\][]{1,80}\]$/.test(line)) return true;
  return WRAPPERS.some((re) => { const m = re.exec(line); return m !== null && m[0].length === line.length; });
}

/** A job log's `##[error]` / `##[warning]` / `##[notice]`: GitHub's annotation, its text the line (see GH_JOB_LOG). */
const GH_JOB_LEVEL = /^##\[(error|warning|notice)\]/;

/** The line without its wrappers; `annotation` is set to the level of a GitHub annotation peeled off it. */
function peel(line: string, out?: { annotation?: string }): string {
  let s = line;
  for (let guard = 0; guard < 16; guard++) {
    let changed = false;
    for (const re of WRAPPERS) {
      const m = re.exec(s);
      if (m && m[0].length > 0 && m[0].length < s.length) {
        if (out) { const gh = GH_JOB_LEVEL.exec(m[0]); if (gh) out.annotation = gh[1]; }
        s = s.slice(m[0].length);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return s;
}

// ---- 3. recognisers --------------------------------------------------------------------

export interface Diagnostic {
  /** the file as printed (placed and prefixed later), or undefined for a tool/channel diagnostic */
  file?: string;
  /** where a diagnostic without a file is filed (e.g. unreal/LogCook, tool/LINK) */
  where?: string;
  line?: number;
  severity: "error" | "warning" | "info";
  category: string | null;
  message: string;
  /** a summary echo of a primary line (counted only when the primary is absent) */
  echo?: boolean;
  /** the Maven run a javac line is of: its summary's echoes repeat only that run's lines */
  scope?: number;
}

export interface Recogniser {
  name: string;
  /** Returns diagnostics for the (peeled) line, or undefined when the line is not its kind. */
  match(line: string, state: ParseState): Diagnostic[] | undefined;
}

export interface ParseState {
  /** an Unreal crash report being printed, per channel (`LogWindows: Error: === Critical error: ===` …) */
  crash?: Map<string, { diag?: Diagnostic; stack: boolean; lines: number; ensure?: boolean }>;
  /** the errors crash reports gave (an echo of one may stop where the report went on) */
  crashes?: Diagnostic[];
  /** the file header of stylish-format output (ESLint, stylelint) */
  stylishFile?: string;
  /** the directories make / ninja said they entered, innermost last (relative paths are theirs) */
  dirs: string[];
  /** past MSBuild's closing "Build succeeded." / "Build FAILED.": its lines repeat the build's */
  msbuildSummary?: boolean;
  /** errors read since the last exit-status summary (`ld returned 1 exit status`, NMAKE U1077) */
  errorsSinceSummary?: number;
  /** white space before the peeled line (CMake indents a message under its header) */
  indent: number;
  /** that white space holds a tab (Go's continuation lines: `\tpkg/a.go:5:6: other declaration of Step`) */
  tabbed?: boolean;
  /** a shader file a log line named before FXC's errors about its in-memory source (`Failed to compile "x.fx":`) */
  fxcShader?: string;
  /**
   * Maven's failure summaries: repeat, in one ("Failed to execute goal … Compilation failure" to
   * its "-> [Help 1]"), whose `[ERROR] file:[l,c] …` lines repeat the compiler's; scope, the run
   * (or runs of modules) the summary closes; ended, a summary was read since that run's lines
   */
  maven?: { repeat: boolean; scope: number; ended: boolean };
  /** a CMake message block being read (`CMake Warning at CMakeLists.txt:12 (message):` + indented lines) */
  cmake?: CMakeBlock;
  /** the line before was a Unity shader error: its "Compiling … program" / "Platform defines:" lines are context */
  unityShader?: boolean;
  /** a Python traceback being read: its Traceback line's indentation, the innermost frame of the project's code so far */
  py?: { base: number; lines: number; file?: string; line?: number };
  /** Python tracebacks being printed through log channels (`LogPython: Error: …`), per channel */
  pyChannel?: Map<string, { file?: string; line?: number; lines: number }>;
  /** javac's last "cannot find symbol", waiting for its `symbol:` line */
  javaSymbol?: Diagnostic;
  /** a rustc header read on the line before, waiting for its ` --> file:line:col` */
  rustPending?: { level: string; code?: string; message: string };
  /** the last command the shell or CI echoed (see commandOf): the tool whose lines follow */
  command?: { tool: string; args: string };
  /** the tool the last lines showed: the echoed command's, or that of lines read as Bazel's, glslang's or pip's */
  tool?: string;
  /** a line marked the log as Unreal's (see UNREAL_TOOLS) */
  unreal?: boolean;
  /** Apple ld's list of undefined symbols being read: its heading's indentation, the symbols read (see APPLE_UNDEFINED) */
  appleLd?: { indent: number; symbols: number };
  /** the line was shown as a GitHub annotation in a job log, `##[error]text`: its level (see GH_JOB_LOG) */
  annotation?: string;
  /** bare `ERROR:` / `WARNING:` lines, with the tool the lines before them showed (see the channel recogniser) */
  bare?: { d: Diagnostic; tool?: string }[];
  /** AAPT2's errors at a file since its last "failed linking" summary, and their messages (see AAPT_LINE) */
  aapt?: { errors: number; messages: Set<string> };
}

const sevOf = (s: string): "error" | "warning" | "info" => {
  const l = s.toLowerCase();
  return l.includes("err") || l === "fatal" ? "error" : l.includes("warn") ? "warning" : "info"; // (`Command line warning`)
};

/** Strips context suffixes that vary by translation unit or project. */
function cleanMessage(m: string): string {
  return dropProject(dropCompiling(m)).trim();
}

const COMPILING = /^\(compiling source file [^)]*\)\s*$/i;
/**
 * Drops a trailing `(compiling source file …)`, found by position: as a pattern with a
 * leading `\s*`, a message with a long run of spaces took quadratic time.
 */
function dropCompiling(m: string): string {
  const at = m.toLowerCase().lastIndexOf("(compiling source file ");
  return at >= 0 && COMPILING.test(m.slice(at)) ? m.slice(0, at).trimEnd() : m;
}

const PROJECT_FILE = /\.(?:vcxproj|csproj|vbproj|fsproj|vcproj|proj|sln)$/i;
/**
 * Drops a trailing `[….vcxproj]`: its `[` is the first after the `]` before it. (Found by
 * position: a pattern `\[[^\]]*….vcxproj\]$` read a line of many `[` in quadratic time.)
 * A project built for several targets is named with the one it was built for,
 * `[…\x.csproj::TargetFramework=net8.0]`, and its diagnostics are printed once per target:
 * the same diagnostic, so what follows `::` goes with the project.
 */
function dropProject(m: string, found?: { project?: string }): string {
  // (a project built from another one's build — CMake's ExternalProject, a .sln's
  // nested build — is followed by its parent's: `… [C:\b\x.vcxproj] [C:\b\All.vcxproj]`;
  // the first is the project built, given in `found`)
  for (let guard = 0; guard < 8; guard++) {
    const t = m.trimEnd();
    if (!t.endsWith("]")) return m;
    const close = t.length - 1;
    const open = t.indexOf("[", t.lastIndexOf("]", close - 1) + 1);
    if (!(open >= 0 && open < close)) return m;
    const inner = t.slice(open + 1, close);
    const props = inner.indexOf("::");
    const project = props >= 0 ? inner.slice(0, props) : inner;
    if (!PROJECT_FILE.test(project)) return m;
    if (found) found.project = project.trim();
    m = t.slice(0, open).trimEnd();
  }
  return m;
}

/**
 * A file of the MSBuild toolset, whose path holds the Visual Studio edition and version or
 * the .NET SDK's version (`C:\Program Files\Microsoft Visual Studio\2022\Enterprise\MSBuild\
 * Microsoft\VC\v170\Microsoft.MakeFile.Targets`, Visual Studio 2017's `…\2017\Community\Common7\
 * IDE\VC\VCTargets\Microsoft.CppCommon.targets`, Visual Studio 2010 to 2015's `C:\Program Files (x86)\
 * MSBuild\Microsoft.Cpp\v4.0\V140\Microsoft.CppCommon.targets` (V110, V120, or v4.0 itself),
 * `…\MSBuild\Current\Bin\Microsoft.Common.CurrentVersion.targets`, `/usr/share/dotnet/sdk/8.0.100/Sdks/…/Microsoft.NET.EolTargetFrameworks.
 * targets`, a local install's `…/dotnet/x64/sdk/<version>/…`): its name, or undefined. Read by
 * segments (linear).
 */
const SDK_VERSION = /^\d+\.\d+\.\d+(?:[-+.][\w.+-]*)?$/;
function toolsetFile(file: string): string | undefined {
  const segs = file.split(/[\\/]/);
  const name = segs[segs.length - 1];
  if (!/\.(?:targets|props)$/i.test(name)) return undefined;
  const low = segs.map((x) => x.toLowerCase());
  for (let i = 0; i < low.length - 1; i++) {
    const x = low[i];
    if (x === "microsoft visual studio" && /^\d{4}$/.test(low[i + 1] ?? "") && low[i + 3] === "msbuild" && i + 3 < low.length - 1) return name;
    // (Visual Studio 2017 kept the C++ targets in …/<edition>/Common7/IDE/VC/VCTargets/)
    if (x === "microsoft visual studio" && /^\d{4}$/.test(low[i + 1] ?? "") && low[i + 3] === "common7" && low[i + 4] === "ide"
        && low[i + 5] === "vc" && low[i + 6] === "vctargets" && i + 6 < low.length - 1) return name;
    // (Visual Studio 2010 to 2015 in the machine's MSBuild folder: …/MSBuild/Microsoft.Cpp/v4.0/, its V110/, V120/, V140/)
    if (x === "msbuild" && low[i + 1] === "microsoft.cpp" && /^v\d+(?:\.\d+)*$/.test(low[i + 2] ?? "") && i + 2 < low.length - 1) return name;
    if (x === "msbuild" && (low[i + 1] === "current" || /^\d+(?:\.\d+)*$/.test(low[i + 1] ?? "")) && low[i + 2] === "bin" && i + 2 < low.length - 1) return name;
    if (x === "dotnet" || x === ".dotnet") {
      const at = low[i + 1] === "sdk" ? i + 2 : /^(?:x64|x86|arm64|arm)$/.test(low[i + 1] ?? "") && low[i + 2] === "sdk" ? i + 3 : -1;
      if (at > 0 && at < low.length - 1 && SDK_VERSION.test(low[at])) return name;
    }
  }
  return undefined;
}

/**
 * MSBuild's console logger wraps long lines at the console width, so the trailing
 * `[C:\…\x.vcxproj]` of a line can be cut short (`… library [C`, `… [D:\build\pro`):
 * an unclosed bracket that starts like a path is that suffix, not message.
 */
const cutProject = (m: string) => dropProject(m.replace(/\s\[(?:[A-Za-z](?::(?:[\\/][^\][]*)?)?|[\\/][^\][]*)$/, "")).trim();

/**
 * A diagnostic's code as MSVC-shaped tools print it: up to four letters for the compilers and
 * linkers (C4996, LNK2019, CS0103, MSB3073), more for the .NET SDK and analyzers (NETSDK1138,
 * SYSLIB0014, VSTHRD200, xUnit1004). Written in capitals when printed in lower case only (one
 * code either way); a mixed-case code is kept as printed (as the analyzer's own SARIF names it).
 */
const codeOf = (c: string | undefined) => c && /^[a-z]+\d+$/.test(c) ? c.toUpperCase() : c;

/** Tool names without their version (`ld.lld-15`, `clang-14`, `x86_64-linux-gnu-g++-12`): one tool across upgrades. */
const toolName = (t: string) => t.replace(/(?:-\d+(?:\.\d+)*)+(?=$|\.exe$)/i, "").replace(/\.exe$/i, "");

/** A relative file as printed, placed in the directory make or ninja said it entered. */
function inDir(file: string, state: ParseState): string {
  const dir = state.dirs[state.dirs.length - 1];
  // (absolute: a drive, a leading separator, or a URI such as Kotlin's file:///…)
  if (!dir || /^(?:[A-Za-z]:)?[\\/]/.test(file) || /^[A-Za-z][\w+.-]*:\/\//.test(file)) return file;
  return `${dir.replace(/[\\/]+$/, "")}/${file}`;
}

/** A category from a trailing `[-Wflag]`, `[-Werror,-Wflag]` or `[check-name]`. */
/** cppcheck's ids that are one lower-case word (its others are camelCase). */
const CPPCHECK_LOWER_IDS = new Set(["uninitvar", "uninitdata", "uninitstring", "memleak", "zerodiv", "zerodivcond",
  "deallocret", "deallocuse", "toomanyconfigs", "moduloofone"]);

/**
 * cppcheck 2's `--template=gcc` is `{file}:{line}:{column}: warning: {message} [{id}]`: every
 * finding says `warning:`, its severity is not in the line. An id that is only ever information
 * (about the run: include files not found, a library not loaded, its checkers report) is read as
 * information whatever its line says (in any template: only such a template prints it so). An
 * error is read back only where the log shows the template (a cppcheck command with
 * `--template=gcc` echoed before its lines, see commandOf), for the ids cppcheck 2.10's own
 * `--errorlist` gives as errors, and syntaxError: ids whose findings it reports as errors,
 * but at `warning` for a value that is only possible — said "Possible null pointer
 * dereference" (read as a warning, as the default template prints it) or, for a few
 * (arrayIndexOutOfBounds from a default argument), in words not told apart here: read as
 * errors. Left out as the line cannot tell: uninitvar (`Uninitialized variable: x` is its
 * text at both levels) and zerodivcond (a warning, though `--errorlist` says error). Without
 * the command, a `warning:` line is a warning, as printed (the default template prints
 * warnings so too).
 */
const CPPCHECK_INFORMATION_IDS = new Set(["missingInclude", "missingIncludeSystem", "toomanyconfigs", "purgedConfiguration",
  "failedToLoadCfg", "unmatchedSuppression", "checkersReport", "normalCheckLevelMaxBranches"]);
const CPPCHECK_ERROR_IDS = new Set([
  "autoVariables", "returnReference", "danglingReference", "returnTempReference", "danglingTempReference",
  "autovarInvalidDeallocation", "returnDanglingLifetime", "invalidLifetime", "danglingLifetime", "danglingTemporaryLifetime",
  "assignBoolToPointer", "pointerArithBool", "boostForeachError", "arrayIndexOutOfBounds", "negativeIndex",
  "bufferAccessOutOfBounds", "objectIndex", "negativeMemoryAllocationSize", "negativeArraySize", "invalidFunctionArg",
  "invalidFunctionArgBool", "invalidFunctionArgStr", "missingReturn", "memsetClass", "memsetClassReference",
  "mallocOnClassError", "virtualDestructor", "operatorEqMissingReturnStatement", "selfInitialization",
  "throwInNoexceptFunction", "rethrowNoCurrentException", "coutCerrMisusage", "IOWithoutPositioning",
  "readWriteOnlyFile", "writeReadOnlyFile", "useClosedFile", "wrongPrintfScanfArgNum", "invalidScanfFormatWidth",
  "deallocret", "doubleFree", "leakNoVarFunctionCall", "leakReturnValNotUsed", "memleak", "resourceLeak", "deallocuse",
  "mismatchAllocDealloc", "memleakOnRealloc", "nullPointer", "nullPointerArithmetic", "zerodiv", "shiftNegative",
  "raceAfterInterlockedDecrement", "invalidFree", "overlappingWriteUnion", "overlappingWriteFunction",
  "unknownEvaluationOrder", "comparePointers", "containerOutOfBounds", "invalidIterator1", "iterators1", "iterators2",
  "iterators3", "invalidContainerLoop", "invalidContainer", "mismatchingContainerIterator", "mismatchingContainers",
  "eraseDereference", "stlOutOfBounds", "negativeContainerIndex", "stlBoundaries", "stlcstr", "stlcstrthrow",
  "stringLiteralWrite", "sprintfOverlappingData", "strPlusChar", "shiftTooManyBits", "shiftTooManyBitsSigned",
  "integerOverflow", "floatConversionOverflow", "uninitdata", "uninitStructMember", "va_start_referencePassed",
  "va_end_missing", "va_list_usedBeforeStarted", "va_start_subsequentCalls", "preprocessorErrorDirective", "syntaxError"]);
/** The severity of a cppcheck finding printed at `warning:` (see CPPCHECK_ERROR_IDS). */
function cppcheckWarning(id: string, message: string, state: ParseState): "error" | "warning" | "info" {
  if (CPPCHECK_INFORMATION_IDS.has(id)) return "info";
  const gcc = state.command?.tool === "cppcheck" && /(?:^|\s)--template[= ]["']?gcc["']?(?=\s|$)/.test(state.command.args);
  return gcc && CPPCHECK_ERROR_IDS.has(id) && !message.startsWith("Possible ") ? "error" : "warning";
}

/** Words before a command that only run it (`sudo`, `env X=1`, `time`). */
const COMMAND_PREFIX = new Set(["sudo", "env", "time", "nice", "nohup", "command", "exec"]);
/** Commands that are the script's own steps, not a tool printing diagnostics. */
const SHELL_BUILTIN = new Set(["cd", "pushd", "popd", "echo", "printf", "export", "set", "unset", "true", "false", "test", "[", "[[",
  "exit", "source", ".", "mkdir", "rm", "cp", "mv", "ls", "cat", "pwd", "sleep", "chmod", "touch", "tee"]);
/**
 * A command the shell or CI echoed before running it: `+ cppcheck --template=gcc src` (set -x),
 * `$ go vet ./...`, GitHub's `Run go vet ./...` step header (its `##[group]` peeled), or a
 * `go …` / `cppcheck …` line make echoed. Its tool (the first word that is no prefix, without
 * folder or version) is the one whose lines follow, up to the next command; a shell builtin
 * names none. Found by position, a few words at most (linear).
 */
const ECHOED_COMMAND = /^(?:\++|\$|Run) +(?=\S)/;
const MAKE_ECHOED = /^(?:\S*[\\/])?(?:go|cppcheck)(?:\.exe)? +\S/;
function commandOf(line: string): { tool: string; args: string } | null | undefined {
  const e = ECHOED_COMMAND.exec(line);
  if (!e && !MAKE_ECHOED.test(line)) return undefined;
  let rest = e ? line.slice(e[0].length) : line;
  for (let guard = 0; guard < 8; guard++) {
    const sp = rest.indexOf(" ");
    const word = sp < 0 ? rest : rest.slice(0, sp);
    const args = sp < 0 ? "" : rest.slice(sp + 1).trimStart();
    if (COMMAND_PREFIX.has(word) || /^[A-Za-z_]\w*=/.test(word)) { rest = args; continue; }
    const tool = toolName(word.replace(/^.*[\\/]/, ""));
    return !tool || SHELL_BUILTIN.has(tool) ? null : { tool, args };
  }
  return null;
}

function trailingCategory(m: string): { message: string; category: string | null } {
  // (gcc before 4.8 said `[enabled by default]` where later ones name no flag: the same
  // diagnostic across a compiler upgrade)
  if (m.endsWith(" [enabled by default]")) return { message: m.slice(0, -" [enabled by default]".length).trimEnd(), category: null };
  const b = /\s\[([^\][\s]+)\]$/.exec(m);
  if (!b) return { message: m, category: null };
  const parts = b[1].split(",").filter((x) => x !== "-Werror");
  const cat = parts.find((x) => x.startsWith("-W") || x.startsWith("-f")) ?? parts[0];
  // (cppcheck's ids are one camelCase word, `[arrayIndexOutOfBounds]`, some with a `_type`
  // suffix, or one of its few lower-case ones: any lower-case word is not taken, since
  // `#error bad config [x86]` and `[arm]` are two issues, and mypy's `[assignment]` is text)
  if (!/^(?:-[Wf][\w+=#-]+|[a-z][\w.-]*(?:-[\w.]+)+|[a-z]+\.[\w.-]+|clang-diagnostic-[\w-]+|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+(?:_[A-Za-z0-9]+)*)$/.test(cat)
      && !CPPCHECK_LOWER_IDS.has(cat)) return { message: m, category: null };
  // The flag or check is the category, an attribute: not part of the message (so the
  // same diagnostic from a log and from SARIF, which keeps it apart, is one issue).
  return { message: m.slice(0, b.index).trimEnd(), category: cat };
}

const FILE = String.raw`((?:[A-Za-z]:)?[^\s:()<>"|?*][^:<>"|?*]*?)`;
const GCC_LINE = new RegExp(String.raw`^${FILE}:(\d+)(?::(\d+))?:\s+(fatal error|error|warning|note|remark|Error|Warning)\s*:(\s+)(.*)$`);
// The level is matched without case: C# and some MSBuild tasks print `Warning CS0168` / `Error`.
const MSVC_LINE = new RegExp(String.raw`^${FILE}\s?\((\d+)(?:,\d+)?(?:-\d+)?\)\s*:\s*(fatal error|error|warning|note|Command line warning)\s*([A-Z]{1,9}\d{2,5})?\s*:\s*(.*)$`, "i");

// (folders may hold spaces, the name itself none; segments split at separators: linear)
const MSVC_TOOL = /^((?:[A-Za-z]:)?(?:[^\\/:*?"<>|]*[\\/])*[A-Za-z0-9_.\-]+(?:\([^()]*\))?)\s+:\s*(fatal error|error|warning|command line warning|command line error)(?:\s+([A-Za-z]{1,9}\d{2,5}))?\s*:\s*(.*)$/i;

/** Files whose name a tool line gives without a line number, yet which are sources or projects (not a tool's output). */
const SOURCE_OR_PROJECT = /\.(?:c|cc|cpp|cxx|c\+\+|h|hh|hpp|hxx|inl|ipp|tpp|cs|vb|fs|fsx|csproj|vcxproj|vbproj|fsproj|vcproj|proj|props|targets|sln|xaml|resx|rc|idl|def|asm|cmake|ispc|hlsl|usf|ush|py|java|kt|swift|m|mm|js|ts|json|xml|config|ini|uproject|uplugin)$/i;

// (the message starts and ends at a non-space: `(.*?)\s+\[` backtracked over a long run of
// spaces in quadratic time, and so did `\s+(.*\S)` over spaces right after the place)
const LINT_UNIX = new RegExp(String.raw`^${FILE}:(\d+):(\d+):\s+(\S(?:.*\S)?)\s+\[(Error|Warning)(?:\/([@\w/.-]+))?\]$`);
const STYLELINT_UNIX = new RegExp(String.raw`^${FILE}:(\d+):(\d+):\s+(\S(?:.*\S)?)\s+\(([@\w/.-]+)\)\s+\[(error|warning)\]$`);
const LINT_COMPACT = new RegExp(String.raw`^${FILE}: line (\d+), col \d+, (Error|Warning|error|warning) - (.*?)(?: \(([@\w/.-]+)\))?$`);

/**
 * glslang's place and message after its level: `shaders/water.frag:7: 'x' : …`, `0:7: …` (a
 * drive, else no colon in the file: linear). Only a shader's name or a string number is
 * glslang's: `ERROR: host:22: …` or a Python warning at `foo.py:12` stays what it was.
 */
const GLSLANG = /^((?:[A-Za-z]:[\\/])?[^:]*):(\d+): (.*)$/;
const GLSL_SOURCE = /^(?:\d+|.*\.(?:vert|frag|comp|geom|tesc|tese|glsl|hlsl|rgen|rint|rahit|rchit|rmiss|rcall|mesh|task|vs|fs|gs|spv))$/i;
/** Kotlin's diagnostics: `e: file:///…/Foo.kt:12:5 message` and `e: /…/Foo.kt: (12, 5): message`. */
const KOTLIN_URI = /^([ewiv]): (file:\/\/\S+):(\d+):(\d+) (.*)$/;
const KOTLIN_OLD = /^([ewiv]): ((?:[A-Za-z]:)?[^:]+\.(?:kts?|java)): \((\d+), (\d+)\): (.*)$/;

/** pip's notices about itself (`WARNING: Running pip as the 'root' user …`, `WARNING: You are using pip version 21.2.4; …`). */
const PIP_NOTICE = /^(?:Running pip as (?:the )?'root' user|You are using pip version|pip is being invoked by an old script wrapper|Retrying \(Retry\(total=|There was an error checking the latest version of pip|Ignoring invalid distribution)/;

/** A file as captured, without a command line printed before it on the same line. */
function fileOf(captured: string): string {
  const f = captured.trim();
  return / -\S/.test(f) ? f.slice(f.lastIndexOf(" ") + 1) : f;
}

/** xcodebuild about a target: `[file: ]error|warning|note: message (in target 'T' from project 'P')` (no line number; the file part has no `: `). */
const XCODE_SUFFIX = /\(in target '[^']*' from project '[^']*'\)\s*$/;
const XCODE_LEVEL = /(?:^|:\s)(error|warning|note):\s/;
/** xcodebuild about a target, found by position: the suffix, then the first level word (linear). */
function xcodeTarget(line: string): { file?: string; level: string; text: string } | undefined {
  if (!line.includes("(in target '") || !XCODE_SUFFIX.test(line.slice(-400))) return undefined;
  const lv = XCODE_LEVEL.exec(line);
  if (!lv) return undefined;
  const file = lv.index > 0 ? line.slice(0, lv.index) : undefined;
  // (a file names a path: `clang: error: …` is the tool's own line, read as its channel)
  if (file !== undefined && (/^\s|\s$/.test(file) || !/[\\/.]/.test(file) || file.includes(": "))) return undefined;
  const text = line.slice(lv.index + lv[0].length).trim();
  return text ? { file, level: lv[1], text } : undefined;
}

/**
 * CI annotations as tools print them for the runner: GitHub Actions' workflow command
 * `::error file=src/a.cpp,line=12,col=5,title=T::message` and Azure Pipelines'
 * `##vso[task.logissue type=error;sourcepath=src/a.cpp;linenumber=12;code=C2065;]message`.
 * Their fields are escaped (`%0A`, `%2C`, `%3A`, `%3B`, `%25`, …); Azure's code is the category
 * and starts the message, as in MSVC's own line, so both give one issue; GitHub's title is
 * the category. A job log shows a GitHub annotation as `##[error]text`: a wrapper, peeled
 * (the text is read as any line; see GH_JOB_LOG for a text no recogniser reads). The runner's
 * own "Process completed with exit code 1." and "The operation was canceled." are no issues.
 */
const GH_COMMAND = /^::(error|warning|notice)(?=[\s:])/;
/**
 * GH_JOB_LOG: a job log's `##[error]text` / `##[warning]text` is an annotation as the runner shows
 * it (the command `::error::text` consumed): when no recogniser reads its text (`##[error]src/a.c:1:2:
 * error: x` is gcc's, one issue), it is what `::error::text` is, an issue at tool/github-actions;
 * `##[notice]` is none, as `::notice` is. (Its text goes through the command's unescaping too,
 * though the runner printed it unescaped: only a literal `%2C`-like sequence reads otherwise.)
 */
const AZ_LOGISSUE = /^##vso\[task\.logissue(?=[\s\]])/i;
/** The runner's own closing status, also as a raw command: no issue. */
const CI_STATUS = /^(?:Process completed with exit code \d+|The operation was canceled)\.?$/;
const unescapeCi = (x: string) => x.replace(/%(0D|0A|25|2C|3A|3B|5D)/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  .replace(/%AZP25/g, "%");
function ciFields(list: string, sep: string): Map<string, string> {
  const f = new Map<string, string>();
  for (const part of list.split(sep)) {
    const eq = part.indexOf("=");
    if (eq > 0) f.set(part.slice(0, eq).trim().toLowerCase(), unescapeCi(part.slice(eq + 1).trim()));
  }
  return f;
}
/**
 * A value's lines as one, each trimmed, blank ones dropped. (Joined by splitting: a pattern
 * `\s*[\r\n]+\s*` read a long run of spaces in quadratic time.)
 */
const joinLines = (x: string) => x.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean).join(" ");
function ciDiagnostic(tool: string, level: string, file: string | undefined, line: string | undefined, code: string | undefined,
                      text: string, state: ParseState): Diagnostic[] {
  const body = cleanMessage(joinLines(unescapeCi(text)));
  if (!body) return [];
  const message = code ? `${code}: ${body}` : body;
  const d: Diagnostic = { severity: sevOf(level), category: code ?? tool, message };
  if (file) { d.file = inDir(file, state); if (line && /^\d+$/.test(line)) d.line = Number(line); } else d.where = `tool/${tool}`;
  return [d];
}

/**
 * TeamCity's service messages, as a build script prints them for the agent:
 * `##teamcity[buildProblem description='…' identity='…']` (an error), `##teamcity[message
 * text='…' status='ERROR' errorDetails='…']` (ERROR or FAILURE an error, WARNING a warning, NORMAL
 * none; the details, a stack trace, are context) and `##teamcity[inspection typeId='…' message='…'
 * file='src/a.cpp' line='12' SEVERITY='ERROR']` (at its file, the type its category; WARNING and
 * WEAK WARNING warnings, INFO information). A problem's or message's text is at tool/teamcity,
 * unless it is itself a diagnostic another recogniser reads at a file (`src/a.cpp(12): error
 * C2065: …`): then it is that one, an echo of the tool's own line (one issue with it). TeamCity's
 * identity is its own (a hash, often) and not taken. Other service messages are no issues.
 * Values are escaped with `|` (`|'`, `|n`, `|r`, `||`, `|[`, `|]`, `|0x20AC`); the
 * attributes are read by position (linear).
 */
const TEAMCITY = /^##teamcity\[([A-Za-z][\w.-]*)(?=[\s\]])/;
function teamcityValue(v: string): string {
  return v.replace(/\|(0x[0-9A-Fa-f]{4}|.)/g, (_, c: string) => c.length > 1 ? String.fromCharCode(parseInt(c.slice(2), 16))
    : c === "n" ? "\n" : c === "r" ? "\r" : c);
}
/** A service message's attributes (`name='value'`, escaped values kept as printed), or undefined when it is not one. */
function teamcityAttributes(line: string, from: number): Map<string, string> | undefined {
  const attrs = new Map<string, string>();
  let i = from;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (line[i] === "]") return attrs;
    const eq = line.indexOf("='", i);
    if (eq < 0 || !/^[A-Za-z][\w.-]*$/.test(line.slice(i, eq))) return undefined;
    let j = eq + 2;
    while (j < line.length && line[j] !== "'") j += line[j] === "|" ? 2 : 1;
    if (j >= line.length) return undefined;
    attrs.set(line.slice(i, eq).toLowerCase(), line.slice(eq + 2, j));
    i = j + 1;
  }
}
function teamcityLine(line: string, state: ParseState): Diagnostic[] | undefined {
  const m = TEAMCITY.exec(line);
  if (!m) return undefined;
  const a = teamcityAttributes(line, m[0].length);
  if (!a) return [];
  const text = (k: string) => joinLines(teamcityValue(a.get(k) ?? ""));
  const kind = m[1];
  if (kind === "inspection") {
    const type = text("typeid");
    const sev = text("severity").toUpperCase();
    const message = cleanMessage(text("message")) || type;
    const file = text("file");
    if (!message) return [];
    const severity = sev === "ERROR" ? "error" : sev === "INFO" ? "info" : "warning";
    const ln = text("line");
    return [file ? { file: inDir(file, state), line: /^\d+$/.test(ln) ? Number(ln) : undefined, severity, category: type || "teamcity", message }
      : { where: "tool/teamcity", severity, category: type || "teamcity", message }];
  }
  let level: "error" | "warning";
  let body: string;
  if (kind === "buildProblem") { level = "error"; body = text("description"); }
  else if (kind === "message") {
    const status = text("status").toUpperCase();
    if (status !== "ERROR" && status !== "FAILURE" && status !== "WARNING") return [];
    level = status === "WARNING" ? "warning" : "error";
    body = text("text");
  } else return [];
  const message = cleanMessage(body);
  if (!message) return [];
  // (a text that is itself a tool's diagnostic at a file is that diagnostic, repeated)
  const scratch: ParseState = { dirs: state.dirs, indent: 0, unreal: state.unreal };
  for (const r of GRAMMAR) {
    if (r.name === "teamcity") continue;
    const found = r.match(message, scratch);
    if (!found) continue;
    const at = found.filter((d) => d.file);
    if (at.length) return at.map((d) => ({ ...d, severity: level, echo: true }));
    break;
  }
  return [{ where: "tool/teamcity", severity: level, category: "teamcity", message }];
}

/**
 * One Unity shader compiler line: `Shader error|warning in '<shader>': <message> at <where>
 * (on <platform>)`, where is `line N` (the shader's own source: placed at
 * `unity-shader/<shader>`), or a file with its line, after `kernel K at` for a compute
 * shader (placed at the file: an error in an include is one issue whichever shader
 * includes it). The line, kernel and platform are context: one error on d3d11 and metal is
 * one issue. Found by position from the end (linear in the line's length).
 */
function unityShaderLine(line: string, state: ParseState): Diagnostic | undefined {
  const head = /^Shader (error|warning) in '([^']*)':\s+/i.exec(line);
  if (!head) return undefined;
  let rest = line.slice(head[0].length);
  // (by position: patterns with a leading \s+ took quadratic time on a long run of spaces)
  const onAt = rest.lastIndexOf(" (on ");
  if (onAt >= 0 && /^ \(on [\w ]{1,40}\)\s*$/.test(rest.slice(onAt))) rest = rest.slice(0, onAt).trimEnd();
  const at = rest.lastIndexOf(" at ");
  let file: string | undefined;
  if (at >= 0) {
    const where = rest.slice(at + 4);
    const f = /^(.*\S)\((\d+)\)$/.exec(where);
    if (/^line \d+$/.test(where) || f) {
      rest = rest.slice(0, at);
      if (f) file = f[1];
      const k = rest.lastIndexOf(" at kernel ");
      if (k >= 0 && /^ at kernel \S+$/.test(rest.slice(k))) rest = rest.slice(0, k).trimEnd();
    }
  }
  const message = cleanMessage(rest);
  if (!message) return undefined;
  const name = head[2].trim().replace(/\\/g, "/").replace(/^\/+|\/+$/g, "") || "(unnamed)";
  return file ? { file: inDir(file, state), severity: sevOf(head[1]), category: "unity-shader", message }
    : { where: `unity-shader/${name}`, severity: sevOf(head[1]), category: "unity-shader", message };
}

const PY_TRACEBACK = /^Traceback \(most recent call last\):$/;
const PY_FRAME = /^File "([^"]+)", line (\d+)(, in .*)?$/;
/** A frame in Python's own library or installed packages, or in no file (`<string>`, `<frozen …>`). */
const PY_LIBRARY = new RegExp([
  String.raw`[\\/](?:site-packages|dist-packages)[\\/]`,                  // installed packages
  String.raw`[\\/]lib(?:64)?[\\/]python\d[\d.]*[\\/]`,                     // /usr/lib64/python3.9/…
  String.raw`[\\/]python[\d.]*(?:[\\/][^\\/]+){0,3}[\\/]Lib[\\/]`,          // …\Python\3.11.9\x64\Lib\, …\Python3\Win64\Lib\
  String.raw`^<`,                                                       // <string>, <frozen …>
].join("|"), "i");
/** The exception line: a (dotted) type name, then its message. */
const PY_EXCEPTION = /^((?:[A-Za-z_]\w*\.)*([A-Z][A-Za-z0-9_]+))(?::\s*(.*))?$/;
/** An exception line that says so: a message after the type, or a type named as one. */
function pyException(text: string): { type: string; message: string } | undefined {
  const ex = PY_EXCEPTION.exec(text);
  if (!ex || (ex[3] === undefined && !/(?:Error|Exception|Exit|Interrupt|Iteration|Warning)$/.test(ex[2]))) return undefined;
  return { type: ex[2], message: cleanMessage(ex[3] ? `${ex[1]}: ${ex[3]}` : ex[1]) };
}
/**
 * A Python exception printed through a log channel, one channel line per traceback line
 * (`LogPython: Error: Traceback (most recent call last):`, `LogPython: Error:   File "…",
 * line 12, in <module>`, the source line, `LogPython: Error: ModuleNotFoundError: No module
 * named 'x'`): one error, as for a plain traceback (the channel's prefix hides the
 * indentation, so the exception is the first line after the frames that reads as one).
 * Returns undefined for a line that is no part of a traceback on that channel.
 */
function pythonChannelLine(channel: string, rest: string, echo: boolean, state: ParseState): Diagnostic[] | undefined {
  const open = (state.pyChannel ??= new Map());
  const text = rest.trim();
  const key = `${echo ? "e" : "p"}\u0000${channel}`;
  if (PY_TRACEBACK.test(text)) { open.set(key, { lines: 0 }); return []; }
  const tb = open.get(key);
  if (!tb) return undefined;
  const fr = PY_FRAME.exec(text);
  if (fr) {
    if (!PY_LIBRARY.test(fr[1])) { tb.file = fr[1]; tb.line = Number(fr[2]); }
    return [];
  }
  const ex = pyException(text);
  if (ex) {
    open.delete(key);
    return [tb.file ? { file: tb.file, line: tb.line, severity: "error", category: ex.type, message: ex.message, echo }
      : { where: "tool/python", severity: "error", category: ex.type, message: ex.message, echo }];
  }
  // (a source line or its ^^^^ markers; a traceback that never ends stops being one)
  if (++tb.lines > 200) { open.delete(key); return undefined; }
  return [];
}

/**
 * javac's own shapes of a compiler diagnostic (read as gcc's or Maven's line): a leading
 * `[deprecation]` / `[unchecked]` lint name is the category, not the message (so the plain
 * and the Maven form of one warning are one issue); "cannot find symbol" waits for its
 * `symbol:` line (see the javac-symbol recogniser).
 */
function javac(d: Diagnostic, state: ParseState): Diagnostic {
  state.javaSymbol = /^cannot find symbol$/i.test(d.message) && d.file && /\.java$/i.test(d.file) ? d : undefined;
  const lint = d.file && /\.java$/i.test(d.file) ? /^\[([a-z][a-z-]*)\]\s+(\S.*)$/.exec(d.message) : null;
  if (lint) { d.category = lint[1]; d.message = lint[2]; }
  if (d.category === "compiler" && d.file && /\.java$/i.test(d.file)) d.category = "javac";
  return d;
}

/** tsc's pretty diagnostic line (no `(`, `:` but a drive's, or ` - ` in the file: linear). */
const TSC_PRETTY = /^((?:[A-Za-z]:[\\/])?[^:()]+?):(\d+):\d+ - (error|warning|message) (TS\d+): (.*)$/;
/** rustc's header line: `error[E0425]: …`, `warning: …`, `error: …` (the place follows on the next line). */
const RUST_HEAD = /^(error|warning)(?:\[([A-Z]\d{4})\])?: (\S.*)$/;
/** rustc's place line: ` --> src/main.rs:2:5` (indented by the width of the line numbers). */
const RUST_AT = /^(.*\S):(\d+):\d+$/;   // (on the trimmed text after `-->`)

/**
 * The Go toolchain's diagnostics (`go build`, `go vet`, `go test`'s build, gopls-based linters):
 * `netcode/packet.go:10:10: undefined: headerSize`, no level word (an error), after a
 * `# example.com/pkg` header (context); golangci-lint and staticcheck add the linter or check,
 * `… is not checked (errcheck)`, `… (SA4006)`: the category. The path has no colon (a drive's
 * aside); its folders may hold spaces (`my dir/main.go`, `/home/u/my project/x.go`: Go prints
 * the folder as it is), its name none (`In file main.go:3:4: …` is prose). Split into segments
 * at each separator, then at its first colon: linear.
 */
const GO_LINE = /^(vet: )?((?:[A-Za-z]:)?(?:[^:\\/]*[\\/])*[^:\s\\/]*\.go):(\d+):(?:(\d+):)? (\S.*)$/;
/**
 * The compiler's optimisation notes, printed in the diagnostics' shape under `-gcflags=-m` (and
 * `-d=ssa/check_bce`): `./a.go:5:6: can inline add`, `./a.go:8:2: moved to heap: x`,
 * `… does not escape`, `… escapes to heap`: reports of a build that went well, no issues.
 */
const GO_OPTIMISATION = /^(?:can inline |cannot inline |inlining call to |moved to heap: |leaking param(?: content)?: |devirtualizing |Found Is(?:Slice)?InBounds$)|(?:\bescapes to heap|\bdoes not escape):?$/;
/** A trailing `(linter)` / `(SA4006)` of golangci-lint and staticcheck (found from the end). */
const GO_LINTER = /^[a-z][a-z0-9-]*$|^[A-Z]{1,3}\d{3,5}$/;

/**
 * cppcheck's severities that are no compiler's (its `error` and `warning` lines are gcc's shape,
 * read by that recogniser with the `[id]` as category): `style`, `performance`, `portability`
 * (warnings) and `information` (info; at `nofile:0:0` when about the run itself).
 */
const CPPCHECK_LINE = new RegExp(String.raw`^${FILE}:(\d+):\d+:\s+(style|performance|portability|information):\s+(.*)$`);
/** cppcheck's levels in its old default template, `[src/a.cpp:12]: (error) …` (`(warning, inconclusive)` too). */
const CPPCHECK_OLD_LEVEL = /^\((error|warning|style|performance|portability|information)(?:, inconclusive)?\) (\S.*)$/;
const cppcheckSeverity = (l: string): "error" | "warning" | "info" => l === "error" ? "error" : l === "information" ? "info" : "warning";
/**
 * cppcheck's default template marks an inconclusive finding after its level,
 * `a.cpp:3:5: warning: inconclusive: Possible null pointer dereference: p [nullPointer]`, where
 * the old one says `(warning, inconclusive)`: not part of the message (one finding, one identity).
 */
const cppcheckMessage = (m: string) => m.startsWith("inconclusive: ") ? m.slice("inconclusive: ".length).trimStart() : m;

/**
 * FXC / D3DCompile names an in-memory source by no file: `memory(85,22)` (D3DX, after the
 * working folder), `Shader@0x0000000085E565C0(1310,19)` (an address, another each run),
 * ANGLE's `C:\fakepath(2369,1-2)`, an engine's `Boo HLSL Source(352,21-37)`: a last segment
 * without an extension, or an address. Such an error is the shader's that a line before it
 * named (`Failed to compile "…\cFlow.fx":`), else fxc's own (tool/fxc): never a made-up file.
 */
function fxcPseudoFile(file: string): boolean {
  const base = file.replace(/^.*[\\/]/, "").trim();
  return /^Shader@0x[0-9A-Fa-f]+$/.test(base) || !/\.[A-Za-z0-9]{1,8}$/.test(base);
}
/** A line naming a shader file last, in quotes, as a heading for the errors after it. */
function fxcHeading(line: string): string | undefined {
  let end = line.trimEnd();
  if (end.endsWith(":")) end = end.slice(0, -1).trimEnd();
  const q = end[end.length - 1];
  if (q !== '"' && q !== "'") return undefined;
  const open = end.lastIndexOf(q, end.length - 2);
  const name = open >= 0 ? end.slice(open + 1, -1) : "";
  return /\.(?:fx|fxh|hlsl|hlsli|usf|ush|vsh|psh|slang)$/i.test(name) ? name : undefined;
}

/**
 * Apple's ld lists the symbols it could not resolve under one heading, `Undefined symbols for
 * architecture arm64:` (ld64) or `ld: Undefined symbols:` (Xcode 15's linker), each indented
 * under it, `  "_foo", referenced from:` (ld64 quotes it, the new linker does not), with the
 * functions that reference it indented deeper (context); its closing `ld: symbol(s) not found
 * for architecture arm64` repeats them.
 */
const APPLE_UNDEFINED = /^(?:(?:\S*[\\/])?ld: )?Undefined symbols(?: for architecture [\w-]+)?:$/;
const APPLE_NOT_FOUND = /^(?:\S*[\\/])?ld: symbol\(s\) not found for architecture [\w-]+$/;
/** A symbol line of that list (found by position: a C++ symbol holds commas and spaces). */
function appleSymbol(line: string): string | undefined {
  if (!line.endsWith(", referenced from:")) return undefined;
  let sym = line.slice(0, -", referenced from:".length).trim();
  if (sym.length > 1 && sym.startsWith('"') && sym.endsWith('"')) sym = sym.slice(1, -1);
  return sym || undefined;
}

/**
 * Android's resource compiler, AAPT2, as the Android Gradle plugin prints it under "Android
 * resource linking failed": `ERROR:/…/res/layout/x.xml:12: AAPT: error: '@string/foo' is
 * incompatible with attribute text`, `/…/res/values/values.xml:105:5-114:25: AAPT: error: resource
 * android:attr/lStar not found.` (a line, or a range of lines and columns: context), with or
 * without `ERROR:` before it. A file of a library's resources is in Gradle's transforms cache
 * (`~/.gradle/caches/transforms-3/<hash>/transformed/core-1.7.0/res/…`), placed as that library's
 * (see WORKSPACE_ROOTS). The file has no colon but a drive's: linear.
 */
const AAPT_LINE = /^(?:ERROR: ?)?((?:[A-Za-z]:)?[^:]+):(\d+)(?::\d+(?:-\d+(?::\d+)?)?)?: AAPT: (error|warning): (\S.*)$/;
/**
 * AAPT2's lines without a file: its closing `error: failed linking references.` (or `… file
 * resources.`), a summary of the errors at files above it, and a message it repeats without its
 * place (`error: resource android:attr/lStar not found.`). Only its own wording is read so: a bare
 * `error: …` is also rustc's and xcodebuild's.
 */
const AAPT_SUMMARY = /^error: failed linking (?:references|file resources)\.?$/;
const AAPT_BARE = /^error: ((?:resource|attribute) \S+ not found\.?|style attribute '[^']*' not found\.?)$/;
/** A resource file of an Android build (AAPT2 before the Android Gradle plugin 3.2 printed no `AAPT:`). */
const ANDROID_RESOURCE = /(?:^|[\\/])(?:res|merged\.dir|merged_res[\\/][^\\/]+)[\\/][\w-]+[\\/][\w.-]+\.xml$/;

/**
 * Android Studio's (and IntelliJ's) Messages view before Android Studio 3.1, as its build output
 * was copied: a compiler's diagnostic as `Error:(24, 45) error: cannot find symbol class
 * BuildConfig` (javac's own level after the place), `Error:(6, 40) Unresolved reference: x`
 * (Kotlin), `Error:(40, 25) java: cannot find symbol` (the builder named, then javac's `symbol:`
 * line), `Warning:(l, c) …`; the file is the path printed alone on a line before them (see
 * STYLISH_FILE), if any. Place and prefixes read by position (linear).
 */
const STUDIO_LINE = /^(Error|Warning):\((\d+), ?\d+\) /;
/** Its closing summary of the task that failed, `Error:Execution failed for task ':app:compileDebugJavaWithJavac'.` */
const STUDIO_TASK_FAILED = /^Error:\s*Execution failed for task '[^']*'\.?$/;
/** Its lines about the build, `Information:Gradle tasks [:app:assembleDebug]`, `Information:BUILD FAILED`: no issues. */
const STUDIO_INFORMATION = /^Information:/;
/**
 * The message of an Android Studio line: its builder (`java:`, `kotlin:`) and javac's level
 * (`error:`, `warning:`) off the front, javac's "cannot find symbol class Foo" written as javac
 * prints it with its `symbol:` line, "cannot find symbol: class Foo" (one issue with the same
 * error from a command-line build).
 */
function studioMessage(rest: string): { builder?: string; message: string } {
  let m = rest.trimStart();
  let builder: string | undefined;
  const b = /^(java|kotlin):\s/i.exec(m);
  if (b) { builder = b[1].toLowerCase(); m = m.slice(b[0].length).trimStart(); }
  const lv = /^(?:error|warning):\s/.exec(m);
  if (lv) m = m.slice(lv[0].length).trimStart();
  return { builder, message: cleanMessage(m) };
}

/** The end of a Maven failure summary, `… -> [Help 1]` (on the summary's first line when it lists nothing). */
const MAVEN_HELP = /\s-> \[Help \d+\]$/;

/**
 * Bazel's own lines about a rule, placed at its BUILD file (or .bzl, WORKSPACE, MODULE.bazel):
 * `ERROR: /…/src/BUILD.bazel:12:8: Compiling src/foo.cc failed: (Exit 1): gcc failed: error
 * executing CppCompile command (from target //src:foo) /usr/bin/gcc …`. The command after
 * "error executing … command" is cut (its flags and sandbox paths are no identity); the target
 * stays. The compiler's own diagnostics after it are read by their recognisers.
 */
const BAZEL_LINE = /^(ERROR|WARNING): ((?:[A-Za-z]:)?[^:]*):(\d+):(\d+):? (\S.*)$/;
const BAZEL_FILE = /(?:^|[\\/])(?:BUILD(?:\.bazel)?|WORKSPACE(?:\.bazel|\.bzlmod)?|MODULE\.bazel|[\w.+-]+\.(?:bzl|BUILD))$/;
/** Bazel's closing lines: summaries of the errors above them. */
const BAZEL_SUMMARY = /^(?:Build did NOT complete successfully\b|Analysis of target '[^']*' failed; build aborted\b|Analysis failed$|Couldn't start the build\. Unable to run tests$)/;
function bazelMessage(m: string): string {
  const at = m.indexOf(": error executing ");
  if (at < 0) return m;
  const cmd = /^: error executing (?:\w+ )?command\b/.exec(m.slice(at));
  if (!cmd) return m;
  const head = m.slice(0, at + cmd[0].length);
  const rest = m.slice(at + cmd[0].length);
  const target = /^ \(from target [^()\s]+\)/.exec(rest);
  return target ? head + target[0] : head;
}

/** An AAPT2 error at a file: its summary and its repeats without a place after it are no issues. */
function aaptError(state: ParseState, message: string): void {
  const a = (state.aapt ??= { errors: 0, messages: new Set() });
  a.errors++;
  if (a.messages.size < 1000) a.messages.add(message);
}

export const GRAMMAR: Recogniser[] = [
  {
    // (first: it sees every line, so a header waits for the very next one only)
    // rustc / cargo / clippy: `error[E0425]: cannot find value `x` in this scope` or
    // `warning: unused variable: `y``, then its place on the next line, ` --> src/main.rs:2:5`.
    // The excerpt and `= note:` / `help:` lines after it are context; a header without a place
    // ("aborting due to 2 previous errors", "could not compile `x`", "N warnings emitted") is
    // a summary, no issue.
    name: "rustc",
    match(line, state) {
      const pending = state.rustPending;
      state.rustPending = undefined;
      const at = line.startsWith("-->") ? RUST_AT.exec(line.slice(3).trim()) : null;
      if (at) {
        if (!pending) return [];
        return [{ file: inDir(at[1].trim(), state), line: Number(at[2]), severity: sevOf(pending.level),
                  category: pending.code ?? "rustc", message: pending.message }];
      }
      // (the header itself is left to the other recognisers: a bare `error: …` is also
      // xcodebuild's, and what no one reads is dropped as before)
      const h = RUST_HEAD.exec(line);
      if (h) state.rustPending = { level: h[1], code: h[2], message: h[3].trim() };
      return undefined;
    },
  },
  {
    // (sees every line) a command echoed before its output: the tool whose lines follow (see commandOf)
    name: "command",
    match(line, state) {
      const c = commandOf(line);
      if (c !== undefined) { state.command = c ?? undefined; state.tool = c?.tool; }
      return undefined;
    },
  },
  {
    // (sees every line) Maven's failure summary ends at its "-> [Help 1]", or at a line that is
    // not Maven's `[ERROR]` (see the maven recogniser)
    name: "maven-summary",
    match(line, state) {
      if (state.maven?.repeat && (!line.startsWith("[ERROR]") || MAVEN_HELP.test(line))) state.maven.repeat = false;
      return undefined;
    },
  },
  {
    // (sees every line) a shader named as the heading of FXC's errors about its in-memory
    // source is where they go, until a line that is no FXC diagnostic (see fxcPseudoFile)
    name: "fxc-context",
    match(line, state) {
      const named = fxcHeading(line);
      if (named) state.fxcShader = named;
      else if (state.fxcShader && !/\b(?:error|warning) X\d{4}\b/.test(line)) state.fxcShader = undefined;
      return undefined;
    },
  },
  {
    // javac's "cannot find symbol" names the symbol on a line of its own after the excerpt,
    // `  symbol:   class Foo` (Maven: `[ERROR]   symbol:   class Foo`): it is the identity
    // (two missing symbols in one file are two issues), appended to the message
    name: "javac-symbol",
    match(line, state) {
      const d = state.javaSymbol;
      if (!d) return undefined;
      const m = /^(?:\[(?:ERROR|WARNING)\]\s+)?symbol:\s+(\S.*)$/.exec(line);
      if (!m) return undefined;
      state.javaSymbol = undefined;
      d.message = `${d.message}: ${m[1].replace(/\s+/g, " ").trim()}`;
      return [];
    },
  },
  {
    // A Python exception that ends a build script: `Traceback (most recent call last):`, its
    // `File "…", line N, in f` frames and source lines (context), then the exception at the
    // start of a line, `RuntimeError: Missing audio cue UI_Click_03`: one error at the
    // innermost frame in the project's own code (a frame in the interpreter's library or
    // site-packages is where it was raised, not where the build went wrong; with no such
    // frame, tool/python), the exception type its category; a chained exception's
    // "During handling …" starts the next one
    name: "python-traceback",
    match(line, state) {
      // (indentation counts from the Traceback line's own: a CI prefix, or a tool that
      // indents what it relays, shifts every line of it alike)
      if (PY_TRACEBACK.test(line)) { state.py = { base: state.indent, lines: 0 }; return []; }
      const fr = PY_FRAME.exec(line);
      // (a syntax error is reported without "Traceback", by one frame that names no function)
      if (!state.py && fr && fr[3] === undefined && state.indent >= 2) state.py = { base: state.indent - 2, lines: 0 };
      const tb = state.py;
      if (!tb) return undefined;
      if (state.indent > tb.base && ++tb.lines <= 400) {
        // a frame, or the frame's source line and ^^^^ markers (context)
        if (fr && !PY_LIBRARY.test(fr[1])) { tb.file = fr[1]; tb.line = Number(fr[2]); }
        return [];
      }
      state.py = undefined;
      // (the exception stands where the Traceback line stood; anything else ends the
      // traceback without one and is read as itself)
      const ex = state.indent === tb.base ? pyException(line) : undefined;
      if (!ex) return undefined;
      return [tb.file ? { file: inDir(tb.file, state), line: tb.line, severity: "error", category: ex.type, message: ex.message }
        : { where: "tool/python", severity: "error", category: ex.type, message: ex.message }];
    },
  },
  {
    // Apple's ld (see APPLE_UNDEFINED): one error per undefined symbol at tool/ld, as GNU ld's
    // and lld's lines are (one symbol more is one issue more); the list ends at a line no
    // deeper than its heading, or at a tool's own line (`ld: …`, `clang: error: …`)
    name: "apple-ld",
    match(line, state) {
      if (APPLE_UNDEFINED.test(line)) { state.appleLd = { indent: state.indent, symbols: 0 }; return []; }
      const b = state.appleLd;
      if (!b) return undefined;
      if (state.indent > b.indent && !/^[\w.+-]+: /.test(line)) {
        const sym = appleSymbol(line);
        if (!sym) return []; // (the functions that reference it, `...`, `(maybe you meant: …)`)
        b.symbols++;
        return [{ where: "tool/ld", severity: "error", category: "ld", message: `Undefined symbol: ${sym}` }];
      }
      state.appleLd = undefined;
      return b.symbols > 0 && APPLE_NOT_FOUND.test(line) ? [] : undefined;
    },
  },
  {
    // tsc with --pretty (its default on a terminal): `src/a.ts:28:16 - error TS2322: Type '0' is
    // not assignable to type 'X'.`, the same diagnostic as `src/a.ts(28,16): error TS2322: …`
    // (read by the MSVC recogniser); the excerpt, the indented elaboration and the closing
    // "Found N errors" / "Errors  Files" table are context
    name: "tsc",
    match(line, state) {
      const m = TSC_PRETTY.exec(line);
      if (!m) return undefined;
      const [, file, ln, level, code, msg] = m;
      if (level === "message") return [];
      return [{ file: inDir(file, state), line: Number(ln), severity: sevOf(level), category: code, message: `${code}: ${cleanMessage(msg)}` }];
    },
  },
  {
    // CI annotations printed by a tool for the runner (see GH_COMMAND, AZ_LOGISSUE)
    name: "ci-annotation",
    match(line, state) {
      // (found by position: the properties end at the first `::`)
      const gh = GH_COMMAND.exec(line);
      if (gh) {
        const end = line.indexOf("::", gh[0].length);
        if (end < 0) return undefined;
        const text = line.slice(end + 2);
        if (gh[1] === "notice" || CI_STATUS.test(text.trim())) return [];
        const f = ciFields(line.slice(gh[0].length, end), ",");
        const d = ciDiagnostic("github-actions", gh[1], f.get("file") || undefined, f.get("line"), undefined, text, state);
        // (a title is a heading, often the rule or check: the category, not the message)
        const title = f.get("title");
        if (title) for (const x of d) x.category = title;
        return d;
      }
      const az = AZ_LOGISSUE.exec(line);
      if (az) {
        const close = line.indexOf("]", az[0].length);
        if (close < 0) return undefined;
        const f = ciFields(line.slice(az[0].length, close), ";");
        const type = (f.get("type") ?? "").toLowerCase();
        if (type !== "error" && type !== "warning") return [];
        return ciDiagnostic("azure-pipelines", type, f.get("sourcepath") || undefined, f.get("linenumber"), f.get("code") || undefined,
                            line.slice(close + 1), state);
      }
      return undefined;
    },
  },
  {
    // TeamCity's service messages (see TEAMCITY)
    name: "teamcity",
    match: teamcityLine,
  },
  {
    // CMake: `CMake Warning at CMakeLists.txt:12 (message):`, `CMake Warning (dev) at …`,
    // `CMake Deprecation Warning at …`, `CMake Error at path:line (func):`, `CMake Error in x:`,
    // `CMake Warning:`, then the message indented under it (see cmakeLine)
    name: "cmake",
    match: cmakeLine,
  },
  {
    // AAPT2 (see AAPT_LINE): an error at its resource file, category aapt; its closing "failed
    // linking references" after them is a summary, and so is a message it repeats without its
    // place; alone, either is an error at tool/aapt
    name: "aapt",
    match(line, state) {
      const m = AAPT_LINE.exec(line);
      if (m) {
        const [, file, ln, level, rest] = m;
        const message = cleanMessage(rest);
        if (level === "error") aaptError(state, message);
        return [{ file: inDir(file.trim(), state), line: Number(ln), severity: sevOf(level), category: "aapt", message }];
      }
      if (AAPT_SUMMARY.test(line)) {
        const seen = (state.aapt?.errors ?? 0) > 0;
        state.aapt = undefined;
        return seen ? [] : [{ where: "tool/aapt", severity: "error", category: "aapt", message: line.slice("error: ".length) }];
      }
      const bare = AAPT_BARE.exec(line);
      if (!bare) return undefined;
      const message = cleanMessage(bare[1]);
      return state.aapt?.messages.has(message) ? [] : [{ where: "tool/aapt", severity: "error", category: "aapt", message }];
    },
  },
  {
    // Android Studio's Messages view (see STUDIO_LINE): at the file printed alone before it (javac's
    // for a .java file, Kotlin's for a .kt), else at tool/gradle (javac's or Kotlin's when the line
    // names its builder, else gradle's); its "Execution failed for task" after them is a summary, as
    // Gradle's own "* What went wrong: Execution failed for task …" is (no issue), and its
    // `Information:` lines are none
    name: "android-studio",
    match(line, state) {
      // (its summary and its `Information:` lines end a build's messages: a file named before them is no later line's)
      if (STUDIO_TASK_FAILED.test(line) || STUDIO_INFORMATION.test(line)) { state.stylishFile = undefined; return []; }
      const m = STUDIO_LINE.exec(line);
      if (!m) return undefined;
      const { builder, message } = studioMessage(line.slice(m[0].length));
      if (!message) return undefined;
      const file = state.stylishFile;
      const kind = file ? (/\.java$/i.test(file) ? "javac" : /\.kts?$/i.test(file) ? "kotlin" : undefined) : undefined;
      const category = kind ?? (builder === "java" ? "javac" : builder === "kotlin" ? "kotlin" : "gradle");
      const severity = sevOf(m[1]);
      if (category === "javac") {
        const sym = /^cannot find symbol (\S.*)$/.exec(message);
        const d: Diagnostic = { file: file && inDir(file, state), where: file ? undefined : "tool/gradle", line: file ? Number(m[2]) : undefined,
                                severity, category, message: sym ? `cannot find symbol: ${sym[1]}` : message };
        // (javac's `symbol:` line after "cannot find symbol" is its identity, with or without a file)
        const j = javac(d, state);
        state.javaSymbol = /^cannot find symbol$/i.test(j.message) ? j : undefined;
        return [j];
      }
      return [file ? { file: inDir(file, state), line: Number(m[2]), severity, category, message }
        : { where: "tool/gradle", severity, category, message }];
    },
  },
  {
    // FXC's own line about a run, with no place: `warning X4717: Effects deprecated for D3DCompiler_47`
    name: "fxc",
    match(line) {
      const m = /^(error|warning) (X\d{4}): (\S.*)$/.exec(line);
      return m ? [{ where: "tool/fxc", severity: sevOf(m[1]), category: m[2], message: `${m[2]}: ${cleanMessage(m[3])}` }] : undefined;
    },
  },
  {
    // MSVC and clang-cl: file(line[,col]): [fatal] error|warning [CODE]: message
    name: "msvc",
    match(line, state) {
      const m = MSVC_LINE.exec(line);
      if (!m) return undefined;
      const [, rawFile, ln, level, rawCode, rest] = m;
      const file = inDir(fileOf(rawFile), state);
      if (/^note$/i.test(level)) return [];
      const code = codeOf(rawCode);
      const msg = cutProject(cleanMessage(rest));
      if (code && /^X\d{4}$/.test(code) && fxcPseudoFile(fileOf(rawFile))) {
        const shader = state.fxcShader;
        return [{ file: shader, where: shader ? undefined : "tool/fxc", line: shader ? Number(ln) : undefined,
                  severity: sevOf(level), category: code, message: `${code}: ${msg}` }];
      }
      // a diagnostic raised in a toolset file (an MSBuild task's, the .NET SDK's targets) is the
      // project's it names in its suffix, its file's name before the message; without a project,
      // MSBuild's: the file's folder is the agent's edition and the toolset's version
      const toolset = toolsetFile(file);
      if (toolset) {
        const found: { project?: string } = {};
        dropProject(dropCompiling(rest), found);
        const text = code ? `${toolset}: ${code}: ${msg}` : `${toolset}: ${msg}`;
        return [{ file: found.project ? inDir(found.project, state) : undefined, where: found.project ? undefined : "tool/msbuild",
                  severity: sevOf(level), category: code ?? "msbuild", message: text }];
      }
      if (code) return [{ file, line: Number(ln), severity: sevOf(level), category: code, message: `${code}: ${msg}` }];
      const t = trailingCategory(msg);
      // UnrealHeaderTool reports on headers with its level capitalised and no code
      // (`…\Public\Foo.h(12): Error: Unrecognized type 'FBar' …`): the tool is its category
      const uht = !t.category && /^(?:Error|Warning)$/.test(level) && /\.h$/i.test(file) ? "UnrealHeaderTool" : t.category;
      // clang-cl (and clang's -fdiagnostics-format=msvc) prints clang's diagnostics in this shape,
      // with no code, its level in lower case and the colon right after it: one without a flag is the
      // compiler's, as in clang's own shape (`src\a.cpp(12,5): error: use of undeclared identifier 'x'`).
      // (MSBuild's canonical form of a tool's line without a code has a space before the colon,
      // `….h(16): error : …`, as UnrealBuildTool relays UnrealHeaderTool's: not the compiler's)
      const head = line.slice(0, line.length - rest.length).trimEnd();
      const clang = /^(?:fatal error|error|warning)$/.test(level) && /\S:$/.test(head.slice(-2));
      const category = uht ?? (clang ? "compiler" : null);
      return [{ file, line: Number(ln), severity: sevOf(level), category, message: t.message }];
    },
  },
  {
    // Tools and linkers: LINK : fatal error LNK1181: …, foo.lib(bar.obj) : error LNK2019: …,
    // cl : Command line warning D9025 : … (MSBuild prints `command line warning`), an output
    // named by its path (`C:\…\Release\app.exe : fatal error LNK1120: …`, filed under its
    // name: the folder is the agent's), and MSBuild's canonical form without a code
    // (`clang-cl : error : …`, `EXEC : error : …`)
    name: "msvc-tool",
    match(line, state) {
      const m = MSVC_TOOL.exec(line);
      if (!m) return undefined;
      const [, tool, level, rawCode, rest] = m;
      const bare = tool.replace(/\(.*$/, "");
      const name = bare.replace(/^.*[\\/]/, "");
      const code = codeOf(rawCode);
      const msg = cutProject(cleanMessage(rest));
      // a source or project file named without a line (`C:\ws\src\util.h : warning : …`,
      // NuGet's `C:\src\Tests\Tests.csproj : warning NU1603: …`) is that file's issue,
      // placed like any other: under the tool, two files of one name would be one issue
      if (SOURCE_OR_PROJECT.test(name)) {
        return msg ? [{ file: inDir(fileOf(bare), state), severity: sevOf(level), category: code ?? null, message: code ? `${code}: ${msg}` : msg }] : undefined;
      }
      if (!code) return msg ? [{ where: `tool/${name}`, severity: sevOf(level), category: name, message: msg }] : undefined;
      const d: Diagnostic = { where: `tool/${name}`, severity: sevOf(level), category: code, message: `${code}: ${msg}` };
      // NMAKE's U1077 gives a failed command's return code: the command's own errors are above it
      if (EXIT_CODE.test(code)) return summary(state, d);
      // the linker's count of the unresolved symbols it listed above (`app.exe : fatal error
      // LNK1120: 2 unresolved externals`): one more symbol would make it another issue. The
      // link's failure is still the errors' (an NMAKE U1077 after it repeats them: the count
      // goes on)
      if (LINK_COUNT.test(code)) return (state.errorsSinceSummary ?? 0) > 0 ? [] : [d];
      return [d];
    },
  },
  {
    // gcc, clang, clang-tidy, javac: file:line[:col]: [fatal] error|warning|note: message [flag]
    name: "gcc",
    match(line, state) {
      const m = GCC_LINE.exec(line);
      if (!m) return undefined;
      const [, rawFile, ln, , level, gap, rest] = m;
      const file = inDir(fileOf(rawFile), state);
      // (gcc 4 went on with a diagnostic's context at its level, indented:
      // `x.cc:6: warning:   in call to …`, `error:   initializing argument 1 of …`)
      if (/^(note|remark)$/i.test(level) || gap.length >= 3) return [];
      const t = trailingCategory(cleanMessage(rest));
      // (cppcheck's `warning: inconclusive: … [id]`: see cppcheckMessage)
      const message = t.category && !t.category.startsWith("-") ? cppcheckMessage(t.message) : t.message;
      // cppcheck names no file for a finding about the run itself, at any level
      // (`nofile:0:0: warning: Failed to load the library nolib [failedToLoadCfg]`): cppcheck's
      // own, as its information lines are (see the cppcheck recogniser), not a file's
      // (cppcheck's --template=gcc says `warning:` whatever the severity: see CPPCHECK_ERROR_IDS)
      const severity = t.category && sevOf(level) === "warning" ? cppcheckWarning(t.category, message, state) : sevOf(level);
      if (fileOf(rawFile) === "nofile" && ln === "0") {
        if (t.category === "checkersReport") return [];
        return [{ where: "tool/cppcheck", severity, category: t.category ?? "cppcheck", message }];
      }
      // (AAPT2 before the Android Gradle plugin 3.2 printed its errors at a resource file in
      // this shape, without `AAPT:`: aapt's, see AAPT_LINE)
      if (!t.category && ANDROID_RESOURCE.test(file)) {
        if (severity === "error") aaptError(state, message);
        return [{ file, line: Number(ln), severity, category: "aapt", message }];
      }
      return [javac({ file, line: Number(ln), severity, category: t.category ?? "compiler", message }, state)];
    },
  },
  {
    // the Go toolchain and its linters (see GO_LINE); a line indented by a tab goes on with the
    // diagnostic above (`\tpkg/a.go:5:6: other declaration of Step`), and go test's own
    // `    a_test.go:8: got 1` (no column) is a test's output: neither is an issue
    name: "go",
    match(line, state) {
      if (state.tabbed) return undefined;
      const m = GO_LINE.exec(line);
      if (!m) return undefined;
      const [, vet, file, ln, col, rest] = m;
      if (/^too many errors$/.test(rest) || GO_OPTIMISATION.test(rest)) return [];
      let message = cleanMessage(rest);
      // (go vet prints its analyzers' findings in the compiler's shape, under the package's
      // `# pkg` header: vet's where the log shows the go vet command, as a later command ends it
      // (see commandOf). Under it, a dependency that does not compile is reported by the compiler
      // in the same shape: read as vet's too, the line cannot tell. Without the command, and
      // under go test, whose vet checks print as its build's errors do, they are go's. Type
      // errors vet reports itself say so, `vet: `.)
      const vetting = state.command?.tool === "go" && /^vet(?:\s|$)/.test(state.command.args);
      let category = vet || vetting ? "vet" : "go";
      // (golangci-lint's and staticcheck's linter, found from the end: linear)
      let linter = false;
      if (message.endsWith(")")) {
        const open = message.lastIndexOf(" (");
        const name = open > 0 ? message.slice(open + 2, -1) : "";
        if (GO_LINTER.test(name)) { category = name; message = message.slice(0, open).trimEnd(); linter = true; }
      }
      // (golangci-lint leaves out a column it does not know, `pkg/a.go:1: File is not
      // \`gofmt\`-ed (gofmt)`, `a.go:12: G104: Errors unhandled. (gosec)`: a linter's line at the
      // start of its line; go test's own `    a_test.go:8: …` is indented and no issue)
      if (col === undefined && (!linter || state.indent > 0)) return undefined;
      return [{ file: inDir(file, state), line: Number(ln), severity: "error", category, message }];
    },
  },
  {
    // cppcheck: `src/a.cpp:27:5: style: Class 'Bag' has a constructor … [noExplicitConstructor]`
    // (see CPPCHECK_LINE), and its old default template `[src/a.cpp:27]: (style) …`, where a
    // diagnostic with a path names each place, `[a.cpp:13] -> [a.cpp:15]: (error) …`, the last
    // the one it is about (the new template's place). Its summary about the run ("Active
    // checkers") is no issue.
    name: "cppcheck",
    match(line, state) {
      const m = CPPCHECK_LINE.exec(line);
      if (m) {
        const [, rawFile, ln, level, rest] = m;
        const t = trailingCategory(cleanMessage(rest));
        if (t.category === "checkersReport") return [];
        t.message = cppcheckMessage(t.message);
        const file = fileOf(rawFile);
        return [file === "nofile" ? { where: "tool/cppcheck", severity: cppcheckSeverity(level), category: t.category ?? "cppcheck", message: t.message }
          : { file: inDir(file, state), line: Number(ln), severity: cppcheckSeverity(level), category: t.category ?? "cppcheck", message: t.message }];
      }
      // (found by position: the places end at the first `]: (`; a chain's first place may have
      // been peeled as an agent label, leaving `-> [b.cpp:15]: …`)
      if (line[0] !== "[" && !line.startsWith("-> [")) return undefined;
      const end = line.indexOf("]: (");
      if (end < 0) return undefined;
      const places = line.slice(line.startsWith("-> ") ? 3 : 0, end + 1);
      if (!/^\[[^\][]+\](?: -> \[[^\][]+\])*$/.test(places)) return undefined;
      const last = places.slice(places.lastIndexOf("[") + 1, -1);
      const colon = last.lastIndexOf(":");
      if (colon <= 0 || !/^\d+$/.test(last.slice(colon + 1))) return undefined;
      const lv = CPPCHECK_OLD_LEVEL.exec(line.slice(end + 3));
      if (!lv) return undefined;
      const file = last.slice(0, colon);
      return [{ file: inDir(file, state), line: Number(last.slice(colon + 1)), severity: cppcheckSeverity(lv[1]), category: "cppcheck", message: cleanMessage(lv[2]) }];
    },
  },
  {
    // ESLint's and stylelint's one-line formats: unix (`/x/a.js:1:5: message [Warning/rule]`,
    // `/x/a.css:1:3: message (rule) [error]`) and compact (`/x/a.js: line 1, col 5, Warning -
    // message (rule)`, stylelint's with the level in lower case)
    name: "lint-line",
    match(line) {
      let m = LINT_UNIX.exec(line);
      if (m) {
        const [, file, ln, , msg, level, rule] = m;
        return [{ file: file.trim(), line: Number(ln), severity: sevOf(level), category: rule ?? null, message: msg.trim() }];
      }
      m = STYLELINT_UNIX.exec(line);
      if (m) {
        const [, file, ln, , msg, rule, level] = m;
        return [{ file: file.trim(), line: Number(ln), severity: sevOf(level), category: rule, message: msg.trim() }];
      }
      m = LINT_COMPACT.exec(line);
      if (m) {
        const [, file, ln, level, msg, rule] = m;
        return [{ file: file.trim(), line: Number(ln), severity: sevOf(level), category: rule ?? null, message: msg.trim() }];
      }
      return undefined;
    },
  },
  {
    // GNU ld, gold, lld, mold: `/usr/bin/ld: x.o: in function `main':` is context;
    // `a.cpp:(.text+0x5): undefined reference to `f()'` (or `a.cpp:12: …` with debug
    // information) is an error in that source; `ld.lld: error: …` and
    // `/usr/bin/ld: cannot find -lfoo` are the linker's own.
    name: "ld",
    match(line, state) {
      const pre = LD_PREFIX.exec(line);
      const body = pre ? line.slice(pre[0].length) : line;
      const tool = pre ? toolName(pre[1].replace(/^.*[\\/]/, "")) : "ld";
      if (/^(?:.+?:\s+)?in function [`'‘].*['’]:$/i.test(body) || /^\(\.[\w.$]+\+0x[0-9a-f]+\):\s+first defined here$/i.test(body)) return pre ? [] : undefined;
      // (the section's text after a nested `(…)` only: two runs of `[^()]*` side by side read a
      // long `x:(` without its `):` in quadratic time)
      const sect = /^(.+?):\(([^()]*(?:\([^()]*\)[^()]*)?)\):\s+(?:(warning|error):\s+)?(.*)$/i.exec(body);
      if (sect && (pre || LD_MESSAGE.test(sect[4]) || sect[3])) {
        const [, where, , level, rest] = sect;
        return [linkDiagnostic(where, tool, level ?? "error", rest, state)];
      }
      // (older GNU ld names a shared library or archive with unresolved symbols without its
      // own name first: `./libfoo.so: undefined reference to `bar'`)
      const lib = pre ? null : /^(\S+\.(?:so(?:\.\d+)*|a|dylib|dll)):\s+(.*)$/.exec(body);
      if (lib && LD_MESSAGE.test(lib[2])) return [linkDiagnostic(lib[1], tool, "error", lib[2], state)];
      const dbg = LD_DEBUG_LINE.exec(body);
      if (dbg && LD_MESSAGE.test(dbg[3])) return [linkDiagnostic(fileOf(dbg[1]), tool, "error", dbg[3], state)];
      if (!pre) return undefined;
      const lv = /^(fatal error|error|warning|note):\s+(.*)$/i.exec(body);
      if (lv) {
        if (/^note$/i.test(lv[1])) return [];
        return [{ where: `tool/${tool}`, severity: sevOf(lv[1]), category: tool, message: cleanMessage(lv[2]) }];
      }
      // (Apple's ld names what it could not find without a level: `ld: library not found for -lFoo`,
      // `ld: framework not found Foo`, `ld: symbol(s) not found for architecture arm64`)
      if (/^(?:cannot find|cannot open|final link failed|undefined reference|unrecognized option|unrecognised option|error:|library not found for|framework not found|symbol\(s\) not found for architecture)/i.test(body))
        return [{ where: `tool/${tool}`, severity: "error", category: tool, message: cleanMessage(body) }];
      return []; // "skipping incompatible …", "warning: …" already taken: the linker's chatter
    },
  },
  {
    // Maven: [ERROR] /path/X.java:[12,5] message ; [WARNING] …
    name: "maven",
    match(line, state) {
      // (after "Failed to execute goal … Compilation failure" Maven lists the compiler's errors
      // again, up to its "-> [Help 1]": echoes, counted once with the lines of the same run they
      // repeat. With -fae each failed module has its summary, after all modules' lines; under
      // mvn -q no [INFO] line tells one run from the next, so the run's lines after a summary
      // are another run's: its own issues, even where the text is the same)
      const mv = (state.maven ??= { repeat: false, scope: 0, ended: false });
      if (line.startsWith("[ERROR] Failed to execute goal ") && line.includes("Compilation failure")) {
        mv.repeat = !MAVEN_HELP.test(line);
        mv.ended = true;
        return [];
      }
      // (the file starts at a non-space: `\s+(.+?…)` read a line of `[ERROR]` and a long run of
      // spaces in quadratic time, the spaces shared between the two)
      const m = /^\[(ERROR|WARNING|WARN)\]\s+(\S.*?\.\w+):\[(\d+)(?:,\d+)?\]\s+(.*)$/.exec(line);
      if (!m) return undefined;
      const d = javac({ file: m[2], line: Number(m[3]), severity: sevOf(m[1]), category: "javac", message: m[4].trim() }, state);
      if (mv.repeat) d.echo = true;
      else if (mv.ended) { mv.scope++; mv.ended = false; }
      d.scope = mv.scope;
      return [d];
    },
  },
  {
    // ESLint / stylelint stylish: a file header line, then "  12:5  error  message  rule-id"
    name: "stylish",
    match(line, state) {
      const m = /^(\d+):(\d+)\s+(error|warning|✖|⚠|×)\s+(.*?)(?:\s{2,}([@\w/.-]+))?\s*$/.exec(line);
      if (!m || !state.stylishFile) return undefined;
      const sev = m[3] === "error" || m[3] === "✖" || m[3] === "×" ? "error" : "warning";
      let msg = m[4].trim();
      let rule = m[5] ?? null;
      if (!rule) {
        const r = /^(.*?)\s+\(([@\w/.-]+)\)$/.exec(msg); // stylelint: message (rule-name)
        if (r) { msg = r[1]; rule = r[2]; }
      }
      return [{ file: state.stylishFile, line: Number(m[1]), severity: sev, category: rule, message: msg }];
    },
  },
  {
    // Bazel about a rule (see BAZEL_LINE); its closing "Build did NOT complete successfully" and
    // "Analysis of target … failed; build aborted" repeat the errors above
    name: "bazel",
    match(line, state) {
      const c = /^(?:ERROR|FAILED): /.exec(line);
      if (c && BAZEL_SUMMARY.test(line.slice(c[0].length))) { state.tool = "bazel"; return []; }
      const m = BAZEL_LINE.exec(line);
      if (!m || !BAZEL_FILE.test(m[2])) return undefined;
      const [, level, file, ln, , rest] = m;
      state.tool = "bazel";
      return [{ file: inDir(file, state), line: Number(ln), severity: sevOf(level), category: "bazel", message: bazelMessage(cleanMessage(rest)) }];
    },
  },
  {
    // glslang / glslangValidator: `ERROR: shaders/water.frag:7: 'foamScale' : undeclared identifier`;
    // in its GL mode `ERROR: 0:7: …` (string 0: the file it printed alone on the line above);
    // `ERROR: Linking fragment stage: …`. Its "'' : compilation terminated" follows an error
    // and "N compilation errors.  No code generated." counts them: neither is an issue.
    name: "glslang",
    match(line, state) {
      const c = /^(ERROR|WARNING): /.exec(line);
      if (!c) return undefined;
      const rest = line.slice(c[0].length);
      if (/^\d+ compilation errors?\.\s+No code generated\.?$/.test(rest)) return [];
      const link = /^Linking [\w ]{1,40} stages?: (.*)$/.exec(rest);
      if (link) {
        state.tool = "glslang";
        return [{ where: "tool/glslang", severity: sevOf(c[1]), category: "glslang", message: link[1].trim() }];
      }
      const m = GLSLANG.exec(rest);
      if (!m || !GLSL_SOURCE.test(m[1].trim())) return undefined;
      const [, src, ln, msg] = m;
      state.tool = "glslang";
      if (/^''\s*:\s*compilation terminated$/.test(msg.trim())) return [];
      const file = /^\d+$/.test(src) ? state.stylishFile : inDir(src, state);
      return [{ file, where: file ? undefined : "tool/glslang", line: Number(ln), severity: sevOf(c[1]), category: "glslang", message: msg.trim() }];
    },
  },
  {
    // Kotlin (kotlinc, Gradle's Kotlin plugin): `e: file:///…/Foo.kt:12:5 Unresolved reference 'bar'.`
    // (1.7 on), `w: /…/Foo.kt: (12, 5): Parameter 'x' is never used` (before); `i:`/`v:` are chatter
    name: "kotlin",
    match(line, state) {
      const m = KOTLIN_URI.exec(line) ?? KOTLIN_OLD.exec(line);
      if (!m) return undefined;
      const [, level, file, ln, , msg] = m;
      if (level === "i" || level === "v") return [];
      return [{ file: inDir(file, state), line: Number(ln), severity: level === "e" ? "error" : "warning", category: "kotlin", message: msg.trim() }];
    },
  },
  {
    // Unity's shader compiler: `Shader error in 'Custom/Water': undeclared identifier 'x' at
    // line 42 (on d3d11)`, `… at Assets/Shaders/Foo.hlsl(354) (on d3d11)`, `… at kernel K at
    // /…/Sort.hlsl(67) (on glcore)` (see unityShaderLine); its "Compiling … program with",
    // "Platform defines:" and "Disabled keywords:" lines after it are context
    name: "unity-shader",
    match(line, state) {
      if (/^(?:Compiling (?:Subshader|Vertex|Fragment|Hull|Domain|Geometry|Compute|Pixel|\w+ program)\b|Platform defines:|Disabled keywords:)/.test(line)) {
        return state.unityShader ? [] : undefined;
      }
      state.unityShader = false;
      const d = unityShaderLine(line, state);
      if (d) state.unityShader = true;
      return d ? [d] : undefined;
    },
  },
  {
    // xcodebuild's own diagnostics about a target, with no line (`error: Signing for "App"
    // requires a development team. … (in target 'App' from project 'App')`), at the file
    // they name first when they do (a package manifest, a project file): the target and
    // project stay in the message (the same error in two targets is two issues)
    name: "xcodebuild",
    match(line, state) {
      const m = xcodeTarget(line);
      if (!m) return undefined;
      const { file, level, text } = m;
      if (level === "note") return [];
      const message = cleanMessage(text);
      return file ? [{ file: inDir(file.trim(), state), severity: sevOf(level), category: "xcodebuild", message }]
        : [{ where: "tool/xcodebuild", severity: sevOf(level), category: "xcodebuild", message }];
    },
  },
  {
    // Unreal log channels of any name, and UnrealBuildTool / AutomationTool: Channel: Error|Warning: message
    name: "channel",
    match(line, state) {
      const echo = /^([A-Za-z_][\w.]*):\s+(?:Display|Log|Verbose):\s+([A-Za-z_][\w.]*):\s+(Error|Warning|ERROR|WARNING|Fatal):\s+(.*)$/.exec(line);
      if (echo) {
        return pythonChannelLine(echo[2], echo[4], true, state) ?? crashLine(echo[2], echo[3], echo[4], true, state)
          ?? [channelDiagnostic(echo[2], echo[3], echo[4], true)];
      }
      // The editor's packaging summary repeats what UAT printed: an echo too.
      const pr = /^(PackagingResults|CookResults):\s+(Error|Warning):\s+(.*)$/.exec(line);
      if (pr) return crashLine(pr[1], pr[2], pr[3], true, state) ?? [channelDiagnostic(pr[1], pr[2], pr[3], true)];
      // a compiler driver that cannot start its compiler or assembler: `gcc: error trying to
      // exec 'cc1plus': execvp: No such file or directory` (no colon after its level)
      const ex = /^([a-z][\w.+-]*?)(?:\.exe)?: (error|fatal error) (trying to exec '[^']*': .*)$/.exec(line);
      if (ex) return [channelDiagnostic(toolName(ex[1]), ex[2], ex[3], false)];
      const m = /^([A-Za-z_][\w.+-]*?)(?:\.exe)?:\s+(Error|Warning|ERROR|WARNING|Fatal|Fatal error|fatal error|error|warning)\s*:\s+(.*)$/.exec(line);
      if (m) {
        // the driver's "ld returned 1 exit status" repeats the linker's errors above it
        if (EXIT_SUMMARY.test(m[3])) return summary(state, channelDiagnostic(m[1] === m[1].toLowerCase() ? toolName(m[1]) : m[1], m[2], m[3], false));
        const lower = m[1] === m[1].toLowerCase();
        const channel = lower ? toolName(m[1]) : m[1];
        const py = pythonChannelLine(channel, m[3], false, state);
        if (py) return py;
        const crash = crashLine(channel, m[2], m[3], false, state);
        if (crash) return crash;
        const d = channelDiagnostic(channel, m[2], m[3], false);
        // a compiler driver's own diagnostic (`clang: warning: argument unused during
        // compilation: '-L/x' [-Wunused-command-line-argument]`): the flag is its category
        const flag = lower ? trailingCategory(d.message) : undefined;
        if (flag?.category?.startsWith("-W")) { d.message = flag.message; d.category = flag.category; }
        return [d];
      }
      // UBT without a channel prints its level in capitals; a bare `Warning:` / `Error:` is
      // anyone's (ssh's known-hosts notice, a CI runner's step status): not a build issue
      const bare = /^(ERROR|WARNING):\s+(.*)$/.exec(line);
      // (pip prints its notices in the same capitals: about itself, never about the build)
      if (bare && PIP_NOTICE.test(bare[2])) { state.tool = "pip"; return []; }
      // (so do Bazel, pip and others: UnrealBuildTool's only in an Unreal log, else the tool
      // the lines before it showed, or tool/unknown; settled when the whole log is read, see
      // parseLog, as the line that shows a log is Unreal's may come after it)
      if (bare) {
        const d = channelDiagnostic("UnrealBuildTool", bare[1], bare[2], false);
        (state.bare ??= []).push({ d, tool: state.tool });
        return [d];
      }
      return undefined;
    },
  },
  {
    // (last) a job log's annotation whose text no recogniser read (see GH_JOB_LOG)
    name: "github-job-annotation",
    match(line, state) {
      const level = state.annotation;
      if (level !== "error" && level !== "warning") return level === "notice" ? [] : undefined;
      return CI_STATUS.test(line) ? [] : ciDiagnostic("github-actions", level, undefined, undefined, undefined, line, state);
    },
  },
];

// ---- CMake ----------------------------------------------------------------------------

export interface CMakeBlock {
  diag: Diagnostic;
  /** the header's indentation: the message is what is indented deeper */
  indent: number;
  /** message lines read so far */
  lines: number;
  /** text: the message's first paragraph (and the list a paragraph ending in ":" introduces);
   *  rest: further paragraphs (context); stack: the "Call Stack (most recent call first):" frames */
  mode: "text" | "rest" | "stack";
  /** the paragraph ended with ":" and the next one was taken into the message */
  joined?: boolean;
  /** the header names a file of CMake's own modules: the first project frame of the call stack is the place */
  inModules?: boolean;
}

const CMAKE_HEADER = /^CMake (Error|Warning|Deprecation Warning|Deprecation Error)(?: \(dev\))?(.*)$/;
/** CMake's own modules (`/usr/share/cmake-3.25/Modules/`, `C:/Program Files/CMake/share/cmake-3.27/Modules/`, Homebrew's `share/cmake/Modules/`) */
const CMAKE_MODULES = /(?:^|[\\/])share[\\/]cmake(?:-\d+(?:\.\d+)*)?[\\/]Modules[\\/]/i;

/** `path:line (command)`, `path:line` or `path` as CMake prints a place (split from the end: linear). */
function cmakePlace(body: string): { file: string; line?: number } {
  let b = body;
  const cmd = /\s\([^()]*\)$/.exec(b);
  if (cmd) b = b.slice(0, cmd.index);
  const ln = /:(\d+)$/.exec(b);
  return ln ? { file: b.slice(0, ln.index), line: Number(ln[1]) } : { file: b };
}

/**
 * CMake prints a diagnostic as a header line and its message indented under it, up to a
 * blank line (later paragraphs are advice, not identity), then possibly `Call Stack (most
 * recent call first):` with indented frames and "This warning is for project developers.
 * Use -Wno-dev to suppress it." — context. The place is the file CMake names (relative
 * to the source directory); when that is one of CMake's own modules (find_package's
 * `FindPackageHandleStandardArgs.cmake`), the first frame of the project in the call stack.
 */
function cmakeLine(line: string, state: ParseState): Diagnostic[] | undefined {
  const b = state.cmake;
  if (b) {
    if (state.indent > b.indent) {
      if (b.mode === "text") {
        // (past the longest message an issue may have, the rest is cut anyway)
        if (b.diag.message.length < 16384) b.diag.message = b.lines ? `${b.diag.message} ${line}` : line;
        b.lines++;
      } else if (b.mode === "stack" && b.inModules) {
        const f = cmakePlace(line);
        if (f.line !== undefined && f.file && !CMAKE_MODULES.test(f.file)) {
          b.diag.file = f.file;
          b.diag.line = f.line;
          b.diag.where = undefined;
          b.inModules = false;
        }
      }
      return [];
    }
    if (/^Call Stack \(most recent call first\):$/.test(line)) { b.mode = "stack"; return []; }
    state.cmake = undefined;
    if (/^This (?:warning|error) is for project developers\./.test(line)) return [];
  }
  const h = CMAKE_HEADER.exec(line);
  if (!h) return undefined;
  const [, kind, rest] = h;
  let place: { file: string; line?: number } | undefined;
  let inline: string | undefined;
  if (/^ (?:at|in) /.test(rest)) {
    if (!rest.endsWith(":")) return undefined;
    place = cmakePlace(rest.slice(4, -1));
  } else if (rest.startsWith(": ")) inline = rest.slice(2).trim();
  else if (rest !== ":") return undefined;
  const diag: Diagnostic = {
    file: place?.file || undefined, line: place?.line, where: place?.file ? undefined : "tool/cmake",
    severity: /Error$/.test(kind) ? "error" : "warning", category: "cmake", message: inline || `CMake ${kind}`,
  };
  state.cmake = { diag, indent: state.indent, lines: 0, mode: inline ? "rest" : "text", inModules: !!place && CMAKE_MODULES.test(place.file) };
  return [diag];
}

/** A blank line in a CMake message: the first paragraph is over (unless it ended with ":" and introduces a list). */
function cmakeBlank(b: CMakeBlock): void {
  if (b.mode !== "text" || b.lines === 0) return;
  if (!b.joined && b.diag.message.endsWith(":")) { b.joined = true; return; }
  b.mode = "rest";
}

/** The linker's name at the start of its line (`/usr/bin/ld:`, `ld.lld-15:`, `x86_64-linux-gnu-ld.gold:`, `mold:`). */
const LD_PREFIX = /^((?:[A-Za-z]:)?(?:[^\s:]*[\\/])?(?:[\w.+]+-)*(?:ld(?:\.(?:bfd|gold|lld))?|ld64\.lld|lld-link|lld|gold|mold)(?:-\d+(?:\.\d+)*)?(?:\.exe)?):\s+/i;
/** `file:line: message`: GNU ld's form for a symbol in an object with debug information. */
const LD_DEBUG_LINE = new RegExp(String.raw`^${FILE}:(\d+):\s+(.*)$`);
/** What GNU ld says of a symbol in an object, printed without a level. */
const LD_MESSAGE = /^(?:undefined reference to|more undefined references to|multiple definition of|relocation truncated to fit|undefined symbol)\b/i;

function linkDiagnostic(where: string, tool: string, level: string, rest: string, state: ParseState): Diagnostic {
  // `…; /tmp/ccX.o:m1.cpp:(.text+0x0): first defined here` names a temporary object: not identity
  const message = cleanMessage(rest.replace(/;\s+\S.*:\(.*\):\s+first defined here$/i, ""));
  const obj = where.replace(/\(.*\)$/, "");
  // an object file (often a temporary /tmp/ccXXXX.o) or an archive member is no source: the linker's
  const source = !/\.(?:o|obj|a|lib|so(?:\.\d+)*|dll|dylib|exe)$/i.test(obj);
  return source
    ? { file: inDir(where, state), severity: sevOf(level), category: tool, message }
    : { where: `tool/${tool}`, severity: sevOf(level), category: tool, message };
}

/** A driver's closing line for a failed sub-command: a summary of diagnostics printed above, not one. */
const EXIT_SUMMARY = /^(?:ld returned \d+ exit status|(?:linker|clang frontend|assembler|dsymutil) command failed (?:with exit code \d+|due to signal))/i;
/** Tool codes that report a sub-command's exit status (`NMAKE : fatal error U1077: 'cl.exe' : return code '0x2'`). */
const EXIT_CODE = /^U1077$/;
/** The MSVC linker's count of the unresolved externals it printed (LNK2019, LNK2001) above it. */
const LINK_COUNT = /^LNK1120$/;

/**
 * A line that only repeats a failed sub-command's status is a summary of the errors
 * printed since the previous one: no issue of its own. With no error above it (the
 * command failed in words no recogniser reads: `'c:\Program' is not recognized …`,
 * `m4 subprocess failed`) it is the only trace of the failure and stays.
 */
function summary(state: ParseState, d: Diagnostic): Diagnostic[] {
  const repeats = (state.errorsSinceSummary ?? 0) > 0;
  state.errorsSinceSummary = 0;
  // (kept, it is an error an outer summary repeats: nmake's own U1077 for a nested nmake)
  return repeats ? [] : [d];
}

const ASSET = /(\/(?:Game|Engine|Plugins|Script)\/[A-Za-z0-9_\-/]+)(?:\.[A-Za-z0-9_]+)?/;
// a drive (`C:\`, not the `e:` of `[File:…`) or a leading separator keeps the path absolute, so it is placed like any other
const SOURCE = /((?:(?<![A-Za-z])[A-Za-z]:[/\\]|[/\\](?=[\w.]))?(?:[\w.\-+ ]*[\w.\-+][/\\])*[\w.\-]+\.(?:cpp|cc|cxx|c|h|hpp|hxx|inl|cs|usf|ush|ini|uasset|umap|uproject|uplugin))\b/;

/** `[AssetLog] <file or package>: ` before a channel's message (the name ends before the first `: `). */
const ASSET_LOG = /^\[AssetLog\]\s+([^\s][^:]*?(?::[\\/][^:]*?)?):\s+/;

/**
 * An Unreal crash is one error however many lines it takes: `=== Critical error: ===`,
 * the assertion or exception (its lines joined; an assertion's `[File:…] [Line: N]` places
 * it, see unrealLocation), then `[Callstack] 0x…` frames and
 * `begin:/end: stack for UAT` markers, which are context; `appError called: X` before the
 * block repeats X. A handled ensure is read the same way: `=== Handled ensure: ===`, the
 * "Ensure condition failed: X [File:…] [Line: N]" line joined with the message lines
 * after it (placed at that file, the line kept out of the message: it moves with the
 * code), then `Stack:` and its frames (with or without `[Callstack]`), context; the
 * condition printed alone before the block (UE 5) and "Script Stack (N frames)" are its echo
 * and context.
 * Returns undefined for a line that is no part of a crash or ensure.
 */
function crashLine(channel: string, level: string, rest: string, echo: boolean, state: ParseState): Diagnostic[] | undefined {
  const crash = (state.crash ??= new Map());
  const msg = rest.trim();
  let open = crash.get(channel);
  if (/^===\s*Critical error:?\s*===$/i.test(msg)) { crash.set(channel, { stack: false, lines: 0 }); return []; }
  if (/^===\s*Handled ensure:?\s*===$/i.test(msg)) { crash.set(channel, { stack: false, lines: 0, ensure: true }); return []; }
  if (/^(?:begin|end):\s+stack for\b/i.test(msg)) { if (/^end/i.test(msg)) crash.delete(channel); return []; }
  if (/^\[Callstack\]/.test(msg)) { if (open) open.stack = true; return []; }
  // (an ensure's frames follow its "Stack:" line; some are printed without `[Callstack]`)
  if (open?.ensure && /^Stack:?$/i.test(msg)) { open.stack = true; return []; }
  if (open?.stack && FRAME.test(msg)) return [];
  const called = /^appError called:\s+(.*)$/i.exec(msg);
  if (called) return [channelDiagnostic(channel, level, called[1], true)];
  if (open?.stack) {
    // After its frames a report only names the thread that crashed (the engine appends
    // "Crash in runnable thread X" to the error history it prints); anything else is
    // the log going on, so the report is over and the line is read as itself.
    if (/^Crash in runnable thread\b/i.test(msg)) return [];
    crash.delete(channel);
    open = undefined;
  }
  if (!open) {
    // Before an ensure's block the engine prints its Blueprint frames ("Script Stack (0
    // frames) :", context) and, in UE 5, its condition alone: an echo the block repeats.
    if (/^Script Stack \(\d+ frames?\)\s*:?$/i.test(msg)) return [];
    if (/^Ensure condition failed:/i.test(msg)) return [channelDiagnostic(channel, level, msg, true)];
    return undefined;
  }
  if (open.lines >= 8) return undefined; // (a report without frames ends somewhere)
  open.lines++;
  if (open.diag) { // a further line of the same report
    open.diag.message = `${open.diag.message} ${cleanMessage(msg)}`;
    return [];
  }
  if (/^Fatal error!?$/i.test(msg)) return [];
  open.diag = channelDiagnostic(channel, level, msg, echo);
  if (!echo) (state.crashes ??= []).push(open.diag);
  return [open.diag];
}

/** A stack frame printed without `[Callstack]`: `0x00007ff… UnrealEditor-Core.dll!FFoo::Bar() [D:\…\Foo.cpp:12]`. */
const FRAME = /^0x[0-9A-Fa-f]+\s+[^\s!]+!/;

/**
 * Unreal's source location in a check, ensure or assertion message, "Assertion failed: X
 * [File:D:\…\Foo.cpp] [Line: 12]": the file is the place and the line is no identity (it
 * moves with the code), and neither stays in the message (the file holds the workspace of
 * the machine that built the engine: another agent, another text). Found by position
 * rather than by a pattern (linear in the line's length).
 */
function unrealLocation(msg: string): { message: string; file: string; line?: number } | undefined {
  const at = msg.indexOf("[File:");
  const close = at < 0 ? -1 : msg.indexOf("]", at);
  if (close < 0) return undefined;
  const file = msg.slice(at + 6, close).trim();
  const after = msg.slice(close + 1);
  const ln = /^\s*\[Line:\s*(\d+)\]/.exec(after);
  const message = `${msg.slice(0, at).trimEnd()} ${ln ? after.slice(ln[0].length) : after}`.trim();
  return file && message ? { message, file, line: ln ? Number(ln[1]) : undefined } : undefined;
}

/** A shader's place at the start of a channel line: `/Engine/Private/Foo.usf(12,5): `, `D:\…\Foo.usf(810:95): ` (no `(`, `:` or tab in the path but a drive's: linear). */
const SHADER_AT = /^((?:[A-Za-z]:)?[^():\t]*\.(?:usf|ush|hlsl|hlsli|fx|fxh))\((\d+)(?:[,:] ?\d+(?:-\d+)?)?\):\s*/i;
/** The shader and permutation Unreal names after the place: context, one error in many permutations is one issue. */
const SHADER_JOB = /^Shader \w+, Permutation \d+, VF [^:\t]*:\s*/;

/**
 * A shader compile error as Unreal's shader compilers print it in a channel line
 * (`LogShaderCompilers: Error: D:\…\Engine\Shaders\Private\Foo.usf(810:95): Shader FFooCS,
 * Permutation 95, VF None:\t/Engine/Private/Foo.usf(810:95): error X3004: …`): placed at the
 * file, line, column, shader and permutation out of the message (they move, or repeat one
 * error), the compiler's `error X3004:` as MSVC's. A virtual `/Engine/…` path printed alone is
 * the engine's `Engine/Shaders/…` (its fixed mapping); other virtual roots are kept as printed.
 */
function shaderDiagnostic(channel: string, level: string, message: string, echo: boolean): Diagnostic | undefined {
  const at = SHADER_AT.exec(message);
  if (!at) return undefined;
  let rest = message.slice(at[0].length);
  const job = SHADER_JOB.exec(rest);
  let virtual: RegExpExecArray | null = null;
  if (job) {
    rest = rest.slice(job[0].length);
    virtual = SHADER_AT.exec(rest);
    if (virtual) rest = rest.slice(virtual[0].length);
  }
  // (with the shader named, Unreal prints the file on disk, then its virtual path: the first is the place)
  const printed = at[1].trim();
  const file = !virtual && /^\/Engine\//.test(printed) ? `Engine/Shaders/${printed.slice("/Engine/".length)}` : printed;
  const coded = /^(?:fatal error|error|warning)\s+([A-Z]{1,4}\d{3,5})\s*:\s*(.*)$/i.exec(rest);
  const text = coded ? `${coded[1]}: ${coded[2]}` : rest.replace(/^(?:fatal error|error|warning)\s*:\s*/i, "");
  if (!text) return undefined;
  return { file, line: Number(at[2]), severity: sevOf(level), category: channel, message: text, echo };
}

function channelDiagnostic(channel: string, level: string, rest: string, echo: boolean): Diagnostic {
  let message = cleanMessage(rest);
  const shader = shaderDiagnostic(channel, level, message, echo);
  if (shader) return shader;
  const loc = unrealLocation(message);
  if (loc) message = loc.message;
  // (a path is looked for in the first 2 KB: SOURCE backtracks along a long run of
  // word characters and spaces, so the window bounds a hostile line's cost)
  const head = message.length > 2048 ? message.slice(0, 2048) : message;
  // UE 5 names the asset a line is about first: `[AssetLog] D:\…\Content\Maps\L1.umap: Failed
  // to load '/Game/Props/SM_Chair': …` is L1's issue, not that of the asset it failed to load
  const al = ASSET_LOG.exec(head);
  const named = al?.[1].trim();
  let asset = named ? ASSET.exec(named)?.[1] : undefined;
  let src: string | undefined;
  if (named && (/\.(?:uasset|umap)$/i.test(named) || !asset)) { asset = undefined; src = SOURCE.exec(named)?.[1] ?? named; }
  else if (!asset) {
    asset = ASSET.exec(head)?.[1];
    src = asset ? undefined : SOURCE.exec(head)?.[1];
  }
  // (the [AssetLog] name is where the issue goes, not part of its message: as a file it
  // holds the agent's workspace, which must not change the identity)
  if (al && message.length > al[0].length) message = message.slice(al[0].length);
  const lower = channel === channel.toLowerCase();
  const d: Diagnostic = {
    file: src, where: asset ?? `${lower ? "tool" : "unreal"}/${channel}`,
    severity: sevOf(level), category: channel, message, echo,
  };
  if (loc) { d.file = loc.file; d.line = loc.line; }
  return d;
}

/** A stylish-format file header: an absolute or relative path alone on its line. */
/** GNU make's and ninja's directory changes: relative paths printed after them are relative to that directory. */
const ENTERING = /^(?:[\w.+/\\-]*make(?:\.exe)?(?:\[\d+\])?|ninja):\s+(Entering|Leaving) directory\s+[`'‘"]([^`'’"]+)[`'’"]\s*$/;
/**
 * MSBuild closes with "Build succeeded." / "Build FAILED." and then lists every warning
 * and error of the build once more (up to its "N Warning(s)" / "Time Elapsed"): repeats.
 */
const MSBUILD_DONE = /^Build (?:succeeded|FAILED)\.\s*$/;
// (its end: the error count or the elapsed time, or the start of another build)
const MSBUILD_END = /^(?:Time Elapsed \d|\d+ Error\(s\)\s*$|Build started\b|Microsoft \(R\) Build Engine|MSBuild version\b)/;
// (segments split at each separator, once: with a first part that could hold separators
// too, a long line of them took seconds of backtracking)
const STYLISH_FILE = /^((?:[A-Za-z]:[\\/]|\/|\.{0,2}[\\/]?)[^\s:\\/]+(?:[\\/][^\\/]+)*\.[A-Za-z0-9]+)\s*$/;
const UNREAL_SUMMARY = /(?:Success|Failure)\s*-\s*(\d+)\s+error\(s\),\s*(\d+)\s+warning\(s\)/;

/**
 * What marks a log as Unreal's (UnrealBuildTool, AutomationTool, the editor, a cook): its tools
 * or a project file named anywhere in a line, its timestamps, a `LogX: Error:`-shaped channel
 * line (see UNREAL_LINE). Then its bare `ERROR:` lines are UnrealBuildTool's.
 */
const UNREAL_TOOLS = /\b(?:UnrealBuildTool|AutomationTool|UnrealHeaderTool|UATHelper|RunUAT|BuildCookRun|UnrealEditor|UE4Editor|UnrealPak|ShaderCompileWorker)\b|\.u(?:project|plugin)\b/;
const UNREAL_LINE = /^(?:\[\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}:\d{3}\]\[\s*\d+\]|(?:Log[A-Z]\w*|PackagingResults|CookResults):\s+(?:Error|Warning|Display|Log|Verbose|Fatal):)/;

export interface LogSummary { reported_errors: number; reported_warnings: number; parsed_errors: number; parsed_warnings: number; mismatch: boolean }

export interface ParsedLog { diagnostics: Diagnostic[]; summary?: LogSummary }

/** Runs the grammar over a whole log: wrappers peeled, recognisers applied, echoes merged. */
export function parseLog(text: string, grammar: Recogniser[] = GRAMMAR): ParsedLog {
  const state: ParseState = { dirs: [], indent: 0 };
  const primaries: Diagnostic[] = [];
  const echoes: Diagnostic[] = [];
  let reported: { errors: number; warnings: number } | undefined;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const plain = raw.includes("\x1b") ? raw.replace(CONTROL, "") : raw;
    const trimmed = plain.trimEnd();
    const wrapped: { annotation?: string } = {};
    const line = trimmed ? peel(trimmed, wrapped) : "";
    state.annotation = wrapped.annotation;
    if (!line || isBare(line)) { // (a line of nothing but a CI prefix is blank too)
      state.stylishFile = undefined;
      state.fxcShader = undefined;
      if (state.cmake) cmakeBlank(state.cmake);
      continue;
    }
    let k = trimmed.length - line.length;
    const start = k;
    while (k > 0 && (trimmed[k - 1] === " " || trimmed[k - 1] === "\t")) k--;
    state.indent = start - k;
    state.tabbed = trimmed.slice(k, start).includes("\t");
    if (!state.unreal && (UNREAL_LINE.test(trimmed) || UNREAL_LINE.test(line) || UNREAL_TOOLS.test(trimmed))) state.unreal = true;
    const s = UNREAL_SUMMARY.exec(line);
    if (s) { reported = { errors: Number(s[1]), warnings: Number(s[2]) }; continue; }
    const dir = ENTERING.exec(line);
    if (dir) {
      if (dir[1] === "Entering") state.dirs.push(dir[2]);
      else if (state.dirs.length) {
        const at = state.dirs.lastIndexOf(dir[2]);
        state.dirs.splice(at >= 0 ? at : state.dirs.length - 1);
      }
      continue;
    }
    if (MSBUILD_DONE.test(line)) { state.msbuildSummary = true; continue; }
    if (state.msbuildSummary && MSBUILD_END.test(line)) { state.msbuildSummary = false; continue; }
    let found: Diagnostic[] | undefined;
    for (const r of grammar) {
      found = r.match(line, state);
      if (found) break;
    }
    if (found) {
      for (const d of found) {
        (d.echo || state.msbuildSummary ? echoes : primaries).push(d);
        if (d.severity === "error") state.errorsSinceSummary = (state.errorsSinceSummary ?? 0) + 1;
      }
      continue;
    }
    const f = STYLISH_FILE.exec(raw.trim());
    if (f && !/^\s/.test(raw)) state.stylishFile = f[1];
  }
  // A bare `ERROR:` outside an Unreal log is not UnrealBuildTool's: the tool the lines before it
  // showed, or tool/unknown (a file or asset it names is still its place).
  if (!state.unreal) {
    for (const { d, tool } of state.bare ?? []) {
      d.category = tool ?? null;
      if (d.where === "unreal/UnrealBuildTool") d.where = `tool/${tool ?? "unknown"}`;
    }
  }
  // An echo repeats a primary line's severity, file and text (its channel may differ).
  // (a Maven summary's echoes repeat their own run's lines: the run is part of the key)
  const key = (d: Diagnostic) => `${d.severity}\u0000${d.file ?? ""}\u0000${d.message}\u0000${d.scope ?? ""}`;
  const seen = new Set(primaries.map(key));
  // (a crash report's primary may go on where its echo stopped: the echo is its start)
  // (only crash reports join lines, so only they are compared: never echoes x primaries)
  const startOf = (e: Diagnostic) => (state.crashes ?? []).some((p) => p.severity === e.severity && p.file === e.file
    && p.message.length > e.message.length && p.message.startsWith(`${e.message} `));
  // (an echo names no file where its primary named one: `PackagingResults: Error: Unrecognized
  // type 'FBar' …` after UnrealHeaderTool's `…\Foo.h(12) : Error: Unrecognized type 'FBar' …`)
  const located = new Set(primaries.filter((p) => p.file).map((p) => `${p.severity}\u0000${p.message}`));
  for (const e of echoes) {
    if (seen.has(key(e)) || startOf(e) || (!e.file && located.has(`${e.severity}\u0000${e.message}`))) continue;
    seen.add(key(e));
    primaries.push({ ...e, echo: true });
  }
  const out: ParsedLog = { diagnostics: primaries };
  if (reported) {
    const pe = primaries.filter((d) => d.severity === "error").length;
    const pw = primaries.filter((d) => d.severity === "warning").length;
    out.summary = { reported_errors: reported.errors, reported_warnings: reported.warnings, parsed_errors: pe, parsed_warnings: pw,
                    mismatch: pe !== reported.errors || pw !== reported.warnings };
  }
  return out;
}

/** Messages of tool output: a single trailing period dropped, cut at 8,000 characters (the ledger refuses more than 16 KB). */
export function capMessage(m: string): string {
  // one trailing period is punctuation, not identity (ESLint's SARIF adds it, its text output does not)
  const t = /[^.]\.$/.test(m) ? m.slice(0, -1) : m;
  return t.length > 8000 ? `${t.slice(0, 8000)}… (${t.length - 8000} more characters)` : t;
}

/** Diagnostics → native report issues (paths placed under the source roots, prefixed). */
export function diagnosticsToIssues(ds: Diagnostic[], meta: ReportMeta): ReportIssue[] {
  const roots = meta.source_roots ?? [];
  return ds.map((d) => ({
    path: prefixed(meta.path_prefix, placePath(d.file ?? d.where!, d.file ? roots : [])),
    severity: d.severity,
    category: d.category,
    message: placeMessagePaths(capMessage(d.message), roots),   // (capped first: placing is per path found)
  }));
}

export function logToIssues(text: string, meta: ReportMeta): ReportIssue[] {
  return diagnosticsToIssues(parseLog(text).diagnostics, meta);
}
