// The corpus of real build output (test/corpus, sources in its README and manifest):
// every file gives exactly its expected diagnostics — nothing missing, nothing
// invented from context lines — and identities survive what real builds do: line
// shifts, one file of a multi-file report fixed, another agent's workspace, and the
// same compiler run as a log and as SARIF.
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLog, diagnosticsToIssues, parseLog } from "../lib/formats/log.js";
import { placePath } from "../lib/formats/paths.js";
import { sarifToReport } from "../lib/formats/sarif.js";
import type { ReportIssue } from "../lib/formats/types.js";
import { ROOT } from "../lib/migrate.js";
import { decodeUtf8, parseJson } from "../lib/text.js";
import { cloneDatabase } from "./helpers/db.js";

const DIR = path.join(ROOT, "test", "corpus");
/** `message` is the start of the message, or all of it with `exact` (for a suffix that must not be there). */
interface Expected { severity: string; path: string; category: string | null; message: string; exact?: boolean }
interface Entry { file: string; format: "log" | "sarif"; source: string; expected: Expected[]; summary_mismatch?: boolean }
const manifest: { files: Entry[] } = JSON.parse(readFileSync(path.join(DIR, "manifest.json"), "utf8"));

function read(file: string, opts: { roots?: string[] } = {}): { issues: ReportIssue[]; mismatch?: boolean } {
  const bytes = readFileSync(path.join(DIR, file));
  if (file.endsWith(".sarif")) {
    const r = sarifToReport(parseJson(decodeUtf8(bytes)), { source_roots: opts.roots });
    return { issues: r.issues ?? [] };
  }
  const parsed = parseLog(decodeLog(bytes, decodeUtf8));
  return { issues: diagnosticsToIssues(parsed.diagnostics, { source_roots: opts.roots }), mismatch: parsed.summary?.mismatch };
}

describe("every corpus file gives exactly its expected diagnostics", () => {
  it("has a source for every file and covers the formats", () => {
    expect(manifest.files.length).toBeGreaterThanOrEqual(20);
    for (const f of manifest.files) expect(f.source.length, f.file).toBeGreaterThan(20);
  });
  for (const entry of manifest.files) {
    it(entry.file, () => {
      const { issues, mismatch } = read(entry.file);
      const left = [...issues];
      for (const e of entry.expected) {
        const i = left.findIndex((x) => x.severity === e.severity && x.path === e.path && (x.category ?? null) === e.category
          && (e.exact ? x.message === e.message : x.message.startsWith(e.message)));
        expect(i, `${entry.file}: missing ${JSON.stringify(e)}`).toBeGreaterThanOrEqual(0);
        left.splice(i, 1);
      }
      expect(left, `${entry.file}: invented`).toEqual([]);
      if (entry.summary_mismatch !== undefined) expect(mismatch).toBe(entry.summary_mismatch);
    });
  }
});

describe("identities that survive real builds", () => {
  let db: Awaited<ReturnType<typeof cloneDatabase>>;
  let sql: pg.Pool;
  beforeAll(async () => {
    db = await cloneDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
  });
  afterAll(async () => {
    await sql.end();
    await db.drop();
  });
  const hashes = async (issues: ReportIssue[]) => {
    const { rows } = await sql.query(
      `select encode(ledger.issue_hash(ledger.normalise_message(i->>'message'), ledger.normalise_path(i->>'path')), 'hex') as h
         from jsonb_array_elements($1::jsonb) i order by 1`, [JSON.stringify(issues)]);
    return rows.map((r) => r.h as string);
  };

  it("a line shift keeps every issue", async () => {
    const text = readFileSync(path.join(DIR, "gcc12-physics.log"), "utf8");
    const shifted = text.replace(/^(src\/core\/physics\.cpp):(\d+):(\d+):/gm, (_, f, l, c) => `${f}:${Number(l) + 12}:${c}:`);
    expect(shifted).not.toEqual(text);
    const a = diagnosticsToIssues(parseLog(text).diagnostics, {});
    const b = diagnosticsToIssues(parseLog(shifted).diagnostics, {});
    expect(await hashes(b)).toEqual(await hashes(a));
  });

  it("an ensure keeps its identity when the code around it moves (its [Line: N], the frames' addresses)", async () => {
    const text = readFileSync(path.join(DIR, "unreal-uat-handled-ensure.log"), "utf8");
    const shifted = text.replace(/\[Line: (\d+)\]/g, (_, l) => `[Line: ${Number(l) + 12}]`).replace(/0x[0-9a-f]{16}/g, "0x00007ff6a1b2c3d4");
    expect(shifted).not.toEqual(text);
    const a = diagnosticsToIssues(parseLog(text).diagnostics, {});
    expect(a.length).toBe(1);
    expect(await hashes(diagnosticsToIssues(parseLog(shifted).diagnostics, {}))).toEqual(await hashes(a));
  });

  it("the same file built on two agents (Jenkins and GitHub Actions workspaces) is the same issue", async () => {
    const a = await hashes(read("clang14-agent-jenkins.log").issues);
    expect(a.length).toBe(4);
    expect(await hashes(read("clang14-agent-github.log").issues)).toEqual(a);
    expect(await hashes(read("clang16-agent-github.sarif").issues)).toEqual(await hashes(read("clang16-agent-jenkins.sarif").issues));
  });

  it("an Unreal [AssetLog] line cooked on two agents (different workspace folders and drives) is the same issue", async () => {
    const text = readFileSync(path.join(DIR, "unreal-assetlog-turbolink.log"), "utf8");
    const moved = text.replace(/E:\\GameWorking\\TestGrpcTruboLink\\/g, "D:\\build\\agent-7\\ws\\TestGrpcTruboLink\\");
    expect(moved).not.toEqual(text);
    const a = diagnosticsToIssues(parseLog(text).diagnostics, {});
    expect(a.length).toBeGreaterThan(0);
    expect(a.every((i) => !/GameWorking/.test(i.message))).toBe(true);
    expect(await hashes(diagnosticsToIssues(parseLog(moved).diagnostics, {}))).toEqual(await hashes(a));
  });

  it("gcc 4's '[enabled by default]' is not part of the message: the same warning after a compiler upgrade", async () => {
    // the wording of gcc 4.6 (before 4.8 named no flag) and of gcc 12 for one diagnostic
    const old = diagnosticsToIssues(parseLog("src/net/packet.c:41:3: warning: passing argument 1 of 'send_all' discards 'const' qualifier from pointer target type [enabled by default]").diagnostics, {});
    const now = diagnosticsToIssues(parseLog("src/net/packet.c:41:3: warning: passing argument 1 of 'send_all' discards 'const' qualifier from pointer target type").diagnostics, {});
    expect(old.map((i) => i.message)).toEqual(["passing argument 1 of 'send_all' discards 'const' qualifier from pointer target type"]);
    expect(await hashes(old)).toEqual(await hashes(now));
  });

  it("one compiler run as a log and as SARIF gives the same issues", async () => {
    const log = await hashes(read("clang16-agent-jenkins.log").issues);
    expect(log.length).toBe(4);
    expect(await hashes(read("clang16-agent-jenkins.sarif").issues)).toEqual(log);
    const eslint = await hashes(read("eslint9-stylish-jenkins.log").issues);
    expect(eslint.length).toBe(7);
    expect(await hashes(read("eslint9-jenkins.sarif").issues)).toEqual(eslint);
  });

  it("one ESLint or stylelint run in any of its formats gives the same issues", async () => {
    // (the problem an eslint-disable comment suppressed is in the SARIF, marked so, and in no text format;
    // the parse error is a result in the text formats and a notification of the run in the SARIF)
    const stylish = await hashes(read("eslint9-stylish-disable-jenkins.log").issues);
    expect(stylish.length).toBe(8);
    for (const f of ["eslint9-unix-jenkins.log", "eslint9-compact-jenkins.log", "eslint9-disable-jenkins.sarif"])
      expect(await hashes(read(f).issues), f).toEqual(stylish);
    const unix = await hashes(read("stylelint16-unix-jenkins.log").issues);
    expect(unix.length).toBe(8);
    expect(await hashes(read("stylelint16-compact-jenkins.log").issues)).toEqual(unix);
  });

  it("a source root given by the caller places paths the same way as a known workspace shape", async () => {
    const known = read("clang14-agent-jenkins.log").issues.map((i) => i.path);
    const given = read("clang14-agent-jenkins.log", { roots: ["/var/lib/jenkins/workspace/atlas-main"] }).issues.map((i) => i.path);
    expect(given).toEqual(known);
    expect(new Set(known)).toEqual(new Set(["src/core/physics.cpp"]));
  });

  it("fixing one file of a multi-file SARIF report resolves only that file's issues", async () => {
    const physics = JSON.parse(readFileSync(path.join(DIR, "clang16-agent-jenkins.sarif"), "utf8"));
    const broken = JSON.parse(readFileSync(path.join(DIR, "clang16-agent-jenkins-broken.sarif"), "utf8"));
    const both = structuredClone(physics);
    both.runs[0].results.push(...broken.runs[0].results);
    const report = (cl: number, doc: unknown) => ({ ...sarifToReport(doc, { path_prefix: "srv/atlas" }), project: "sarifix", changelist: cl });
    await sql.query("select ledger.ingest_report($1)", [report(1, both)]);
    await sql.query("select ledger.ingest_report($1)", [report(2, physics)]);
    const { rows } = await sql.query(
      `select d.status, ii.path, count(*)::int as n from ledger.diff('sarifix', 1, 2) d
         join ledger.issue_instance ii using (issue_id) group by 1, 2 order by 1, 2`);
    expect(rows).toEqual([
      { status: "resolved", path: "srv/atlas/src/core/broken.cpp", n: 2 },
      { status: "unchanged", path: "srv/atlas/src/core/physics.cpp", n: 4 },
    ]);
  });
  it("cppcheck's default template and its old one give one identity per finding; Maven's javac line that of plain javac", async () => {
    const all = read("cppcheck210-templates-jenkins.log").issues;
    const now = all.filter((i) => i.category !== "cppcheck" && i.severity !== "info");
    const old = all.filter((i) => i.category === "cppcheck");
    expect(now.length).toBe(12);
    expect(await hashes(old)).toEqual(await hashes(now));
    const maven = diagnosticsToIssues(parseLog("[ERROR] /var/lib/jenkins/workspace/atlas-main/tools/src/main/java/com/atlas/Packer.java:[9,9] cannot find symbol\n[ERROR]   symbol:   class Foo").diagnostics, {});
    const plain = diagnosticsToIssues(parseLog("tools/src/main/java/com/atlas/Packer.java:9: error: cannot find symbol\n        Foo a = new Foo();\n        ^\n  symbol:   class Foo").diagnostics, {});
    expect(maven).toEqual(plain);
    expect(await hashes(maven)).toEqual(await hashes(plain));
  });

  it("a Go error keeps its identity when its line moves, and Bazel's output base is no part of a BUILD file's path", async () => {
    const text = readFileSync(path.join(DIR, "go119-build-vet-test-jenkins.log"), "utf8");
    const shifted = text.replace(/^(\S+\.go):(\d+):(\d+):/gm, (_, f, l, c) => `${f}:${Number(l) + 7}:${c}:`);
    expect(shifted).not.toEqual(text);
    const a = diagnosticsToIssues(parseLog(text).diagnostics, {});
    expect(a.length).toBe(23);
    expect(await hashes(diagnosticsToIssues(parseLog(shifted).diagnostics, {}))).toEqual(await hashes(a));
    const at = (base: string) => diagnosticsToIssues(parseLog(`ERROR: ${base}/external/curlpp/BUILD.bazel:3:1: C++ compilation of rule '@curlpp//:curlpp' failed: gcc failed: error executing command /usr/bin/gcc -MD`).diagnostics, {});
    expect(at("/home/jintian/.cache/bazel/_bazel_jintian/d1c80f2469ad0b5bc66edb51c88be305")).toEqual(at("/private/var/tmp/_bazel_ci/0123456789abcdef0123456789abcdef"));
    expect(placePath("/home/ci/.cache/bazel/_bazel_ci/0123456789abcdef0123456789abcdef/execroot/_main/src/BUILD")).toBe("src/BUILD");
    // (on Windows the output base is a short name: C:/users/<user>/_bazel_<user>/<8 characters>/)
    expect(at("C:/users/runneradmin/_bazel_runneradmin/t32zp6hb")).toEqual(at("/home/jintian/.cache/bazel/_bazel_jintian/d1c80f2469ad0b5bc66edb51c88be305"));
    expect(placePath("C:\\users\\ci\\_bazel_ci\\2a_d8ear\\execroot\\__main__\\src\\BUILD")).toBe("src/BUILD");
  });

  it("a dev container's workspace and the Go and Cargo dependency caches are build roots: another agent's home is no part of the path", () => {
    expect(placePath("/workspaces/atlas/src/net/packet.go")).toBe("src/net/packet.go");
    const mod = "github.com/klauspost/compress@v1.17.4/zstd/decoder.go";
    expect(placePath(`/home/runner/go/pkg/mod/${mod}`)).toBe(mod);
    expect(placePath(`/root/go/pkg/mod/${mod}`)).toBe(mod);
    expect(placePath(`C:\\Users\\builder\\go\\pkg\\mod\\${mod.replace(/\//g, "\\")}`)).toBe(mod);
    expect(placePath("/home/ci/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.193/src/de/mod.rs")).toBe("serde-1.0.193/src/de/mod.rs");
    expect(placePath("/var/lib/jenkins/.cargo/registry/src/github.com-1ecc6299db9ec823/serde-1.0.193/src/de/mod.rs")).toBe("serde-1.0.193/src/de/mod.rs");
    // an Azure Pipelines self-hosted agent's default work folder is _work (hosted ones: D:\a\1\s, /home/vsts/work/1/s)
    expect(placePath("C:\\agent\\_work\\1\\s\\src\\x.vcxproj")).toBe("src/x.vcxproj");
    expect(placePath("/opt/azagent/_work/12/s/Source/Game/Foo.cpp")).toBe("Source/Game/Foo.cpp");
    expect(placePath("D:\\a\\1\\s\\src\\x.cpp")).toBe(placePath("/home/vsts/work/1/s/src/x.cpp"));
    // Gradle 4's transforms cache names the library before the hash (paths as quoted in public build logs and
    // notes: a C:\Users\<user>\ home, a service account's): the library's, as transforms-2 and transforms-3 place it
    expect(placePath("C:\\Users\\montoya\\.gradle\\caches\\transforms-1\\files-1.1\\support-media-compat-26.1.0.aar\\0695d2bc707728ee73235d4ce336341b\\res\\values\\values.xml"))
      .toBe("support-media-compat-26.1.0/res/values/values.xml");
    expect(placePath("C:\\Windows\\System32\\config\\systemprofile\\.gradle\\caches\\transforms-1\\files-1.1\\appcompat-v7-27.0.0.aar\\192971c5e8296a0a2330dc28124a19bf\\res\\layout\\tooltip.xml"))
      .toBe("appcompat-v7-27.0.0/res/layout/tooltip.xml");
    expect(placePath("/home/ci/.gradle/caches/transforms-1/files-1.1/core-1.0.0.aar/0123456789abcdef0123456789abcdef/res/values/values.xml"))
      .toBe(placePath("/home/ci/.gradle/caches/transforms-3/fedcba9876543210fedcba9876543210/transformed/core-1.0.0/res/values/values.xml"));
    expect(diagnosticsToIssues(parseLog("C:\\Users\\yueyue\\.gradle\\caches\\transforms-1\\files-1.1\\support-compat-27.0.2.aar\\fc870247ce067e1074f7b2d3c7d2ca6c\\res\\values\\values.xml:5: AAPT: error: x").diagnostics, {})
      .map((i) => i.path)).toEqual(["support-compat-27.0.2/res/values/values.xml"]);
    // (a workspace's own folder named go/ is untouched)
    expect(placePath("/home/runner/work/atlas/atlas/tools/go/pkg/x.go")).toBe("tools/go/pkg/x.go");
  });

  it("a warning in an MSVC or Windows SDK header is one issue across Visual Studio editions, toolset and SDK versions", async () => {
    // the lines of test/corpus/msvc-system-headers.log, with another edition, year, toolset and SDK version put in (made here)
    const text = readFileSync(path.join(DIR, "msvc-system-headers.log"), "utf8");
    const moved = text.replace(/2017\\Community\\VC\\Tools\\MSVC\\14\.11\.25503/g, "2022\\Enterprise\\VC\\Tools\\MSVC\\14.38.33130")
      .replace(/d:\\build\\AutoSDK\\Sync\\HostWin64\\Win64\\Windows Kits\\10\\include\\10\.0\.18362\.0/g, "C:\\Program Files (x86)\\Windows Kits\\10\\Include\\10.0.22621.0");
    expect(moved).not.toEqual(text);
    const a = diagnosticsToIssues(parseLog(text).diagnostics, {});
    expect(a.map((i) => i.path)).toEqual(["MSVC/include/xutility", "Windows Kits/Include/um/winnt.h", "Windows Kits/Include/um/winnt.h"]);
    expect(await hashes(diagnosticsToIssues(parseLog(moved).diagnostics, {}))).toEqual(await hashes(a));
    // (Visual Studio 2015 and older, lower-cased as MSVC prints them; the 8.1 kit without an SDK version; under a workspace or a caller's root)
    expect(placePath("c:\\program files (x86)\\microsoft visual studio 14.0\\vc\\include\\xutility")).toBe("MSVC/include/xutility");
    expect(placePath("C:\\BuildTools\\VC\\Tools\\MSVC\\14.29.30133\\atlmfc\\include\\afx.h")).toBe("MSVC/atlmfc/include/afx.h");
    expect(placePath("C:\\Program Files (x86)\\Windows Kits\\8.1\\Include\\um\\winnt.h")).toBe("Windows Kits/Include/um/winnt.h");
    expect(placePath("D:\\a\\1\\s\\toolchain\\VC\\Tools\\MSVC\\14.29.30133\\include\\vector", ["D:\\a\\1\\s"])).toBe("MSVC/include/vector");
    // (a project's own VC/ or include/ folders stay where they are)
    expect(placePath("D:\\a\\1\\s\\VC\\Tools\\x.h")).toBe("VC/Tools/x.h");
    expect(placePath("/home/ci/Windows Kits/include/x.h")).toBe("home/ci/Windows Kits/include/x.h");
  });
});

describe("context that is no issue, and what is one after it", () => {
  const issues = (lines: string[]) => diagnosticsToIssues(parseLog(lines.join("\n")).diagnostics, {});

  it("a thread crash names its thread after the frames: still one error; a later line is its own", () => {
    // The engine appends "Crash in runnable thread <name>" to the error history it prints
    // after the [Callstack] frames (FRunnableThreadWin::GuardedRun); lines as UE 5 prints them.
    const crash = [
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: === Critical error: ===",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: Fatal error!",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: Unhandled Exception: EXCEPTION_ACCESS_VIOLATION reading address 0x0000000000000038",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: [Callstack] 0x00007ff98c3f8448 UnrealEditor-Core.dll!UnknownFunction []",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: [Callstack] 0x00007ffa686fe8d7 KERNEL32.DLL!UnknownFunction []",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: Crash in runnable thread Foreground Worker #1",
    ];
    expect(issues(crash).map((i) => i.message)).toEqual(["Unhandled Exception: EXCEPTION_ACCESS_VIOLATION reading address 0x0000000000000038"]);
    const after = issues([...crash, "[2026.03.23-09.43.40:001][  3]LogWindows: Error: Failed to write crash context"]);
    expect(after.map((i) => i.message)).toEqual([
      "Unhandled Exception: EXCEPTION_ACCESS_VIOLATION reading address 0x0000000000000038", "Failed to write crash context"]);
  });

  it("a Python traceback ends where its exception stands: under a CI prefix, or indented by a tool, the lines after it are their own", () => {
    const got = issues([
      "2026-01-12T10:22:31.1234567Z Traceback (most recent call last):",
      "2026-01-12T10:22:31.1234567Z   File \"/home/runner/work/atlas/atlas/Tools/cook.py\", line 11, in cook",
      "2026-01-12T10:22:31.1234567Z     raise RuntimeError(\"x\")",
      "2026-01-12T10:22:31.1234567Z RuntimeError: Missing audio cue",
      "2026-01-12T10:22:32.1234567Z src/a.cpp:12:5: error: 'foo' was not declared in this scope",
      // (relayed indented; frames in the interpreter's library are where it was raised, not the place)
      "  Traceback (most recent call last):",
      "    File \"C:\\ws\\Tools\\gen.py\", line 3, in <module>",
      "      main()",
      "    File \"/usr/lib64/python3.9/subprocess.py\", line 3, in run",
      "    File \"C:\\hostedtoolcache\\windows\\Python\\3.11.9\\x64\\Lib\\subprocess.py\", line 5, in x",
      "  ValueError: bad input",
      "C:\\ws\\b.cpp(4): error C2065: 'y': undeclared identifier",
      // (a traceback cut short: the next line at its level that is no exception is read as itself)
      "Traceback (most recent call last):",
      "  File \"/x/Tools/build.py\", line 2, in <module>",
      "src/c.cpp:1:1: warning: unused variable 'z' [-Wunused-variable]",
    ]).map((i) => [i.path, i.category, i.message]);
    expect(got).toEqual([
      ["Tools/cook.py", "RuntimeError", "RuntimeError: Missing audio cue"],
      ["src/a.cpp", "compiler", "'foo' was not declared in this scope"],
      ["ws/Tools/gen.py", "ValueError", "ValueError: bad input"],
      ["ws/b.cpp", "C2065", "C2065: 'y': undeclared identifier"],
      ["src/c.cpp", "-Wunused-variable", "unused variable 'z'"],
    ]);
  });

  it("CI annotations printed for the runner are issues at their file; a job log's ##[error] prefix is peeled", () => {
    // the examples of GitHub's workflow-command documentation ("Setting an error message") and
    // of Azure Pipelines' logging-command documentation (task.logissue), as tools print them,
    // and a job log as GitHub shows it (timestamps, the annotation as ##[warning], the runner's
    // own closing status)
    const got = issues([
      "::error file=app.js,line=1,col=5,endColumn=7::Missing semicolon",
      "::warning file=src/a%2Cb.cpp,line=3,title=Define Sanity::X is defined locally%0Abut not undefined",
      "##vso[task.logissue type=error;sourcepath=consoleapp/main.cs;linenumber=1;columnnumber=1;code=100;]this is an error",
      "##vso[task.logissue type=warning]Found 3 flake8 violation(s)",
      "2026-01-12T10:22:31.1234567Z ##[warning]src/core/render.cpp(40,3): warning C4244: conversion from 'double' to 'float', possible loss of data",
      "2026-01-12T10:22:33.0000000Z ##[error]Process completed with exit code 1.",
      // (the same status as a raw command, and a notice: no issue)
      "::error::Process completed with exit code 2.",
      "::notice file=a.c::just saying",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    expect(got).toEqual([
      ["error", "app.js", "github-actions", "Missing semicolon"],
      ["warning", "src/a,b.cpp", "Define Sanity", "X is defined locally but not undefined"],
      ["error", "consoleapp/main.cs", "100", "100: this is an error"],
      ["warning", "tool/azure-pipelines", "azure-pipelines", "Found 3 flake8 violation(s)"],
      ["warning", "src/core/render.cpp", "C4244", "C4244: conversion from 'double' to 'float', possible loss of data"],
    ]);
  });

  it("TeamCity's service messages: a build problem and an ERROR or WARNING message at tool/teamcity (or the file of the diagnostic they repeat), an inspection at its file", () => {
    // (shapes of TeamCity's "Build Script Interaction" documentation; escapes unescaped)
    const got = issues([
      "##teamcity[buildProblem description='Shader |'Water|' failed:|n  |[d3d11|] 2 errors |0x20AC || done' identity='shaders']",
      "[10:23:45]E:\t [Step 2/3] ##teamcity[message text='Failed to build solution Atlas.sln' status='ERROR' errorDetails='at Build()|r|n  at Main()']",
      "##teamcity[message text='Low disk space' status='WARNING']",
      "##teamcity[message text='Compiling' status='NORMAL']",
      "##teamcity[inspection typeId='CppUnusedIncludeDirective' message='Possibly unused #include directive' file='src/a.cpp' line='12' SEVERITY='ERROR']",
      "##teamcity[inspection typeId='RedundantCast' message='Redundant cast' file='src/b.cpp' SEVERITY='WEAK WARNING']",
      "##teamcity[testFailed name='t1' message='expected 1']",
      // (a problem that repeats the compiler's own line is that line: one issue; alone, at its file)
      "src/c.cpp(4): error C2065: 'y': undeclared identifier",
      "##teamcity[buildProblem description='src/c.cpp(4): error C2065: |'y|': undeclared identifier' identity='c2065']",
      "##teamcity[message text='src/d.cpp:3:1: warning: unused variable |'x|' |[-Wunused-variable|]' status='WARNING']",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    expect(got).toEqual([
      ["error", "tool/teamcity", "teamcity", "Shader 'Water' failed: [d3d11] 2 errors \u20ac | done"],
      ["error", "tool/teamcity", "teamcity", "Failed to build solution Atlas.sln"],
      ["warning", "tool/teamcity", "teamcity", "Low disk space"],
      ["error", "src/a.cpp", "CppUnusedIncludeDirective", "Possibly unused #include directive"],
      ["warning", "src/b.cpp", "RedundantCast", "Redundant cast"],
      ["error", "src/c.cpp", "C2065", "C2065: 'y': undeclared identifier"],
      ["warning", "src/d.cpp", "-Wunused-variable", "unused variable 'x'"],
    ]);
  });

  it("a job log's ##[error] / ##[warning] whose text no recogniser reads is what ::error:: is: one issue at tool/github-actions; a text that is read stays one issue", () => {
    const got = issues([
      "2026-01-12T10:22:31.1234567Z ##[error]Unity license activation failed",
      "2026-01-12T10:22:31.2234567Z ##[warning]Cache save failed.",
      "2026-01-12T10:22:32.1234567Z ##[error]src/a.c:1:2: error: 'x' undeclared",
      "2026-01-12T10:22:32.2234567Z ##[error]src/core/render.cpp(40,3): error C2065: 'y': undeclared identifier",
      // (context a recogniser reads is still none; a notice, the runner's own status and a group are none)
      "2026-01-12T10:22:32.3234567Z ##[error]src/a.c:1:2: note: declared here",
      "2026-01-12T10:22:32.4234567Z ##[notice]Deploying to staging",
      "2026-01-12T10:22:33.0000000Z ##[error]The operation was canceled.",
      "2026-01-12T10:22:33.1000000Z ##[error]Process completed with exit code 1.",
      "2026-01-12T10:22:33.2000000Z ##[group]Run make -j4",
      "2026-01-12T10:22:33.3000000Z make: Nothing to be done for 'all'.",
      "::error::Unity license activation failed",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    expect(got).toEqual([
      ["error", "tool/github-actions", "github-actions", "Unity license activation failed"],
      ["warning", "tool/github-actions", "github-actions", "Cache save failed"],
      ["error", "src/a.c", "compiler", "'x' undeclared"],
      ["error", "src/core/render.cpp", "C2065", "C2065: 'y': undeclared identifier"],
      ["error", "tool/github-actions", "github-actions", "Unity license activation failed"],
    ]);
  });

  it("a workspace path quoted in a message is taken relative to its root: the agent is no part of the identity", () => {
    const at = (root: string, sep: string) => issues([
      `LINK : fatal error LNK1104: cannot open file '${root}${sep}Libs${sep}fmod${sep}fmod_vc.lib'`,
      `ld: warning: directory not found for option '-L${root}${sep}Libs${sep}ios'`,
      // (a path under no known root is the machine's own: left as printed)
      "ld: warning: directory not found for option '-L/opt/sdk/ios/lib'",
    ]).map((i) => i.message);
    const teamcity = at("C:\\BuildAgent\\work\\5f2e9a1b2c3d4e5f", "\\");
    expect(teamcity).toEqual([
      "LNK1104: cannot open file 'Libs/fmod/fmod_vc.lib'",
      "directory not found for option '-LLibs/ios'",
      "directory not found for option '-L/opt/sdk/ios/lib'",
    ]);
    expect(at("/var/lib/jenkins/workspace/atlas-main", "/")).toEqual(teamcity);
    expect(at("/Users/runner/work/atlas/atlas", "/")).toEqual(teamcity);
  });

  it("xcodebuild's diagnostics about a target have no line: each is an issue of xcodebuild, or of the file it names first", () => {
    // quoted in github.com/microsoft/appcenter-sdk-apple/issues/2502 and
    // github.com/sindresorhus/LaunchAtLogin-Legacy/issues/85; both were dropped before
    const got = issues([
      `error: Signing for "AppCenter_AppCenterDistribute" requires a development team. Select a development team in the Signing & Capabilities editor. (in target 'AppCenter_AppCenterDistribute' from project 'AppCenter')`,
      `~/myapp/derived_data/SourcePackages/checkouts/LaunchAtLogin/Package.swift: error: Signing for "LaunchAtLogin_LaunchAtLogin" requires a development team. Select a development team in the Signing & Capabilities editor. (in target 'LaunchAtLogin_LaunchAtLogin' from project 'LaunchAtLogin')`,
      "** BUILD FAILED **",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    const text = (t: string, p: string) =>
      `Signing for "${t}" requires a development team. Select a development team in the Signing & Capabilities editor. (in target '${t}' from project '${p}')`;
    expect(got).toEqual([
      ["error", "tool/xcodebuild", "xcodebuild", text("AppCenter_AppCenterDistribute", "AppCenter")],
      ["error", "~/myapp/derived_data/SourcePackages/checkouts/LaunchAtLogin/Package.swift", "xcodebuild",
        text("LaunchAtLogin_LaunchAtLogin", "LaunchAtLogin")],
    ]);
  });

  it("an assertion is placed at the file its [File:…] names: another build machine's engine path, or a moved line, is the same issue", () => {
    // the assertion as UE 5 prints it (test/corpus/unreal-uat-crash-callstack.log), from an
    // engine built by Epic and from the same engine built from source on a studio's agent
    const crash = (file: string, line: number) => issues([
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: === Critical error: ===",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      `[2026.03.23-09.43.39:308][  3]LogWindows: Error: Assertion failed: Enum [File:${file}] [Line: ${line}] `,
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: ",
      "[2026.03.23-09.43.39:308][  3]LogWindows: Error: [Callstack] 0x00007ffbb1c31950 UnrealEditor-CoreUObject.dll!UnknownFunction []",
    ]).map((i) => `${i.path}|${i.message}`);
    const epic = crash("D:\\build\\++UE5\\Sync\\Engine\\Source\\Runtime\\CoreUObject\\Private\\UObject\\EnumProperty.cpp", 315);
    expect(epic).toEqual(["Engine/Source/Runtime/CoreUObject/Private/UObject/EnumProperty.cpp|Assertion failed: Enum"]);
    expect(crash("C:\\BuildAgent\\work\\5f2e\\Engine\\Source\\Runtime\\CoreUObject\\Private\\UObject\\EnumProperty.cpp", 318)).toEqual(epic);
    // outside a crash block (a check that only logs), the same
    expect(issues([`LogWindows: Error: Assertion failed: Enum [File:E:\\ws\\Engine\\Source\\Runtime\\CoreUObject\\Private\\UObject\\EnumProperty.cpp] [Line: 9]`])
      .map((i) => `${i.path}|${i.message}`)).toEqual(epic);
  });

  it("a handled ensure is one diagnostic at the file it names; its frames are context, a later line is its own", () => {
    // UE 5.7 editor log as quoted in github.com/mlslabs/MLSLabsGaussianSplattingRenderer-UE/issues/8
    // (first frames), with the "Script Stack" warning the engine prints before the block
    // (single-line, as UE 5.3 prints it in github.com/Cycling74/RNBOMetasound/issues/18)
    const ensure = [
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Warning: Script Stack (0 frames) :",
      "[2026.03.12-11.12.59:513][249]LogStats: FPlatformStackWalk::StackWalkAndDump -  0.039 s",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: === Handled ensure: ===",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: ",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: Ensure condition failed: false  [File:D:\\build\\++UE5\\Sync\\Engine\\Source\\Runtime\\RenderCore\\Private\\RenderingThread.cpp] [Line: 1505] ",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: UE::RenderCommandPipe::FCommandList was released without consuming commands. You must call ConsumeCommands first.",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: Stack: ",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: [Callstack] 0x00007fff3a6009fb UnrealEditor-RenderCore.dll!UnknownFunction []",
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: [Callstack] 0x00007ff89e6c423a VCRUNTIME140_1.dll!UnknownFunction []",
      // (the same frame as some platforms print it, without the marker)
      "[2026.03.12-11.12.59:513][249]LogOutputDevice: Error: 0x00007ff89e6c2bb3 VCRUNTIME140_1.dll!UnknownFunction []",
    ];
    const one = {
      path: "Engine/Source/Runtime/RenderCore/Private/RenderingThread.cpp", severity: "error", category: "LogOutputDevice",
      message: "Ensure condition failed: false UE::RenderCommandPipe::FCommandList was released without consuming commands. You must call ConsumeCommands first",
    };
    expect(issues(ensure)).toEqual([one]);
    const after = issues([...ensure, "[2026.03.12-11.13.02:001][250]LogOutputDevice: Error: Failed to submit the ensure report"]);
    expect(after.map((i) => i.message)).toEqual([one.message, "Failed to submit the ensure report"]);
    // UE 5 prints the condition alone before the block (github.com/HaywireInteractive/OnAllFronts-Public/issues/336,
    // github.com/ShrimpSquadStudios/ProjectDragon/issues/32): the block repeats it; alone it stands for the ensure
    const alone = "[2026.03.12-11.12.59:480][249]LogOutputDevice: Error: Ensure condition failed: false  [File:D:\\build\\++UE5\\Sync\\Engine\\Source\\Runtime\\RenderCore\\Private\\RenderingThread.cpp] [Line: 1505] ";
    expect(issues([alone, "UE::RenderCommandPipe::FCommandList was released without consuming commands. You must call ConsumeCommands first.", ...ensure]))
      .toEqual([one]);
    expect(issues([alone])).toEqual([{ ...one, message: "Ensure condition failed: false" }]);
  });

  it("a bare 'Warning:' or 'Error:' from the CI runner or ssh is no issue; UnrealBuildTool's bare ERROR: is", () => {
    // ssh's known-hosts notice in a checkout step and GitHub Actions' step failure line,
    // as they appear in CI logs; UnrealBuildTool prints its own errors in capitals
    expect(issues([
      "Warning: Permanently added 'github.com' (ED25519) to the list of known hosts.",
      "Error: Process completed with exit code 1.",
    ])).toEqual([]);
    // (in an Unreal log: here UnrealBuildTool's own invocation line as Build.bat prints it)
    expect(issues(["Running UnrealBuildTool: dotnet \"..\\..\\Engine\\Binaries\\DotNET\\UnrealBuildTool\\UnrealBuildTool.dll\" MyGameEditor Win64 Development -WaitMutex",
                   "ERROR: Unable to instantiate module 'OnlineSubsystemSteam': System.Exception: Unable to find file"])
      .map((i) => [i.category, i.severity])).toEqual([["UnrealBuildTool", "error"]]);
  });

  it("a bare ERROR: is UnrealBuildTool's in an Unreal log only; elsewhere the tool the log shows, or tool/unknown", () => {
    const bare = "ERROR: something failed";
    const at = (lines: string[]) => issues(lines).map((i) => [i.path, i.category, i.severity]);
    expect(at([bare])).toEqual([["tool/unknown", null, "error"]]);
    expect(at(["WARNING: something is odd"])).toEqual([["tool/unknown", null, "warning"]]);
    // an Unreal log, whatever line says so, before or after it: a tool named, a channel, a timestamp, UAT's prefix
    for (const sign of ["Running AutomationTool...", "LogInit: Display: Engine is initialized.", "[2024.12.04-03.59.55:123][  0]LogTemp: hello",
                        "UATHelper: Packaging (Windows): Parsing command line: BuildCookRun -project=D:/G/G.uproject"]) {
      expect(at([sign, bare]), sign).toEqual([["unreal/UnrealBuildTool", "UnrealBuildTool", "error"]]);
      expect(at([bare, sign]), sign).toEqual([["unreal/UnrealBuildTool", "UnrealBuildTool", "error"]]);
    }
    // elsewhere, under the command the shell echoed, or after the lines of a tool that prints its own so
    expect(at(["+ bazel build //src:app", bare])).toEqual([["tool/bazel", "bazel", "error"]]);
    expect(at(["$ python3 -m pip install -r requirements.txt", "+ pip install foo==9.9", "ERROR: No matching distribution found for foo==9.9"]))
      .toEqual([["tool/pip", "pip", "error"]]);
    expect(at(["+ cd src", bare])).toEqual([["tool/unknown", null, "error"]]);
    expect(at(["ERROR: /w/src/BUILD.bazel:3:1: Compiling src/a.cc failed: (Exit 1)", "ERROR: no such target '//src:b'"]).slice(1))
      .toEqual([["tool/bazel", "bazel", "error"]]);
    // (a file it names is still its place)
    expect(at(["ERROR: /home/ci/src/main.cpp:12:1: something failed"])).toEqual([["home/ci/src/main.cpp", null, "error"]]);
  });

  it("glslang's pattern takes only shaders; a Kotlin file URI is not placed under make's or ninja's directory", () => {
    const other = issues(["WARNING: /usr/lib/python3/dist-packages/foo.py:12: DeprecationWarning: x", "ERROR: host:22: connection refused"]);
    expect(other.map((i) => [i.path, i.category])).toEqual([["tool/unknown", null], ["tool/unknown", null]]);
    expect(issues(["ERROR: shaders/water.frag:7: 'foamScale' : undeclared identifier"]).map((i) => [i.path, i.category]))
      .toEqual([["shaders/water.frag", "glslang"]]);
    const kt = issues(["ninja: Entering directory `/home/ci/app/.cxx/Debug/abc/arm64-v8a'",
                       "e: file:///home/ci/app/src/main/kotlin/Foo.kt:12:5 Unresolved reference 'bar'.",
                       "e: /home/ci/app/src/main/kotlin/Foo.kt: (12, 5): Unresolved reference 'bar'."]);
    expect(kt.map((i) => i.path)).toEqual(["home/ci/app/src/main/kotlin/Foo.kt", "home/ci/app/src/main/kotlin/Foo.kt"]);
  });

  it("NMAKE's U1077 after the failed command's own error repeats it; alone it stays", () => {
    // the pair of lines a Microsoft build script quotes as typical (MSBuild node prefix kept)
    const cl = "3>d:\\vbl\\clr_next\\src\\ndp\\clr\\src\\vm\\class.h(32) : error C2061: syntax error : identifier 'the'";
    const nmake = "3>NMAKE : fatal error U1077: 'D:\\vbl\\clr_next\\src\\tools\\x86\\vc\\bin\\cl.EXE' : return code '0x2'";
    expect(issues([cl, nmake]).map((i) => i.category)).toEqual(["C2061"]);
    expect(issues([nmake]).map((i) => i.category)).toEqual(["U1077"]);
  });

  it("an Unreal shader compile error is one issue at the shader, whatever its line, permutation or agent", () => {
    // the line as Epic's Horde issue tests quote a cook's shader error (UE 5, a PS5 shader
    // compiler: a file on disk, the shader and permutation, then the virtual path again), from
    // another agent, and with the virtual path alone (`/Engine/…` is the engine's Shaders folder)
    const horde = "LogShaderCompilers: Error: D:\\build\\U5M+Inc\\Sync\\Engine\\Shaders\\Private\\Lumen\\LumenScreenProbeTracing.usf(810:95): Shader FScreenProbeTraceMeshSDFsCS, Permutation 95, VF None:\t/Engine/Private/Lumen/LumenScreenProbeTracing.usf(810:95): (error, code:5476) - ambiguous call to 'select_internal'. Found 88 possible candidates:";
    const one = { path: "Engine/Shaders/Private/Lumen/LumenScreenProbeTracing.usf", severity: "error", category: "LogShaderCompilers",
      message: "(error, code:5476) - ambiguous call to 'select_internal'. Found 88 possible candidates:" };
    expect(issues([horde])).toEqual([one]);
    const moved = horde.replace("D:\\build\\U5M+Inc\\Sync", "/mnt/horde/U5M+Inc/Sync").replace(/\\/g, "/").replace(/810:95/g, "822:7").replace("Permutation 95", "Permutation 12");
    expect(issues([moved])).toEqual([one]);
    // (the same error with its virtual path alone, as the one-place form prints it)
    expect(issues([`LogShaderCompilers: Error: ${horde.slice(horde.indexOf("\t") + 1)}`])).toEqual([one]);
  });

  it("glslang's GL-mode `0:N` and its file-named form give the same issues", () => {
    const named = read("glslang12-gl-and-spirv-github.log").issues;
    expect(named.slice(0, 2)).toEqual(named.slice(3, 5));
  });

  it("a lower-cased Windows engine path is placed under Engine/, the rest as printed", () => {
    expect(placePath("e:\\epic games\\ue_4.22\\engine\\source\\runtime\\core\\public\\hal\\fmemory.inl"))
      .toBe("Engine/source/runtime/core/public/hal/fmemory.inl");
    // an exact-case marker still wins over a lower-case folder of the same name further left
    expect(placePath("D:\\dev\\source\\UE5\\Engine\\Source\\Runtime\\Core\\Private\\Misc\\AssertionMacros.cpp"))
      .toBe("Engine/Source/Runtime/Core/Private/Misc/AssertionMacros.cpp");
    // POSIX paths are case-sensitive: a lower-case "engine" there is no Unreal tree
    expect(placePath("/home/ci/engine/src/a.cpp")).toBe("home/ci/engine/src/a.cpp");
  });
  it("go vet's findings are vet's where the log shows the go vet command (or vet's own `vet:` prefix); the compiler's stay go's", () => {
    // as Go 1.19.8 prints them here (a module with a printf mistake and an undefined name)
    const vet = ["# example.com/spaced/vetme", "vetme/v.go:6:2: fmt.Printf format %d has arg s of wrong type string",
                 "# example.com/spaced", "vet: ./main.go:6:14: undeclared name: x"];
    const build = ["# example.com/spaced", "./main.go:6:14: undefined: x"];
    const cats = (lines: string[]) => issues(lines).map((i) => `${i.category} ${i.path}`);
    for (const cmd of ["+ go vet ./...", "$ go vet ./...", "Run go vet ./...", "go vet ./...", "++ /usr/lib/go-1.19/bin/go vet -tags x ./..."])
      expect(cats([cmd, ...vet]), cmd).toEqual(["vet vetme/v.go", "vet main.go"]);
    // the next command ends it: go build's errors, and go test's (its vet checks are not told
    // apart from its build's), are go's
    expect(cats(["+ go vet ./...", ...vet, "+ go build ./...", ...build])).toEqual(["vet vetme/v.go", "vet main.go", "go main.go"]);
    expect(cats(["+ go vet ./...", ...vet, "+ go test ./...", ...vet.slice(0, 2)])).toEqual(["vet vetme/v.go", "vet main.go", "go vetme/v.go"]);
    // without the command a finding is not told from a compiler error: go; the `vet:` prefix is vet's anyway
    expect(cats(vet)).toEqual(["go vetme/v.go", "vet main.go"]);
    // (golangci-lint's linter is its category under any command)
    expect(cats(["+ go vet ./...", "main.go:11:2: should use for range instead of for { select {} } (S1000)"])).toEqual(["S1000 main.go"]);
  });

  it("Go: a file in folders with spaces is placed there; a name with a space, or a colon before it, is no Go file", () => {
    // as Go 1.19.8 prints them here for a module under /tmp/gox/my project (a relative path
    // without ./ when shorter, else absolute; vet's own lines alike), and the brief's ./ form
    const got = issues([
      "# command-line-arguments",
      "my dir/main.go:6:14: undefined: x",
      "./my dir/main.go:5:2: undefined: x",
      "gox/my project/m/cmd/c.go:3:23: undefined: y",
      "/tmp/gox/my project/m/main.go:6:14: undefined: x",
      "vet: /tmp/gox/my project/m/cmd/c.go:3:23: undeclared name: y",
      "C:\\Users\\build agent\\src\\a.go:3:1: undefined: z",
      "/home/u/my project/x.go:1: File is not `gofmt`-ed (gofmt)",
    ]).map((i) => [i.path, i.category, i.message]);
    expect(got).toEqual([
      ["my dir/main.go", "go", "undefined: x"],
      ["my dir/main.go", "go", "undefined: x"],
      ["gox/my project/m/cmd/c.go", "go", "undefined: y"],
      ["tmp/gox/my project/m/main.go", "go", "undefined: x"],
      ["tmp/gox/my project/m/cmd/c.go", "vet", "undeclared name: y"],
      ["Users/build agent/src/a.go", "go", "undefined: z"],
      ["home/u/my project/x.go", "gofmt", "File is not `gofmt`-ed"],
    ]);
    // prose: a space in the name itself, a colon before the path, a test's own indented line
    expect(issues(["In file main.go:3:4: something odd", "note: see ./my dir/main.go:5:2: undefined: x",
                   "my file.go:1:2: undefined: q", "    my dir/mixer_test.go:8: Gain(0) = 1, want 0.5"])).toEqual([]);
  });

  it("Go: a tab-indented line goes on with the diagnostic above, a test's own output and go test's FAIL lines are no issues", () => {
    expect(issues([
      "# example.com/atlas/tools/physics",
      "physics/body.go:7:6: Step redeclared in this block",
      "\tphysics/body.go:5:6: other declaration of Step",
      "physics/body.go:20:2: too many errors",
      "--- FAIL: TestGain (0.00s)",
      "    mixer_test.go:8: Gain(0) = 1, want 0.5",
      "FAIL\texample.com/atlas/tools/audio\t0.003s",
      "main.go:11:2: should use for range instead of for { select {} } (S1000)",
      "cmd/root.go:52:12: Error return value of `cmd.Help` is not checked (errcheck)",
      "vet: netcode/packet.go:10:10: undeclared name: headerSize",
    ]).map((i) => [i.path, i.category, i.message])).toEqual([
      ["physics/body.go", "go", "Step redeclared in this block"],
      ["main.go", "S1000", "should use for range instead of for { select {} }"],
      ["cmd/root.go", "errcheck", "Error return value of `cmd.Help` is not checked"],
      ["netcode/packet.go", "vet", "undeclared name: headerSize"],
    ]);
    // go build -gcflags=-m: the compiler's notes on inlining and escape analysis are no errors
    expect(issues(["# example.com/x", "./main.go:5:6: can inline add", "./main.go:9:13: inlining call to fmt.Println",
      "./main.go:9:13: ... argument does not escape", "./main.go:8:2: moved to heap: x", "./main.go:7:10: &T{} escapes to heap",
      "./main.go:3:10: leaking param: p", "./main.go:11:6: cannot inline run: function too complex: cost 95 exceeds budget 80",
      "./main.go:12:2: undefined: y"]).map((i) => [i.path, i.message])).toEqual([["main.go", "undefined: y"]]);
    // golangci-lint without a column (the linter knows none); a test's own line stays none
    expect(issues([
      "pkg/a.go:1: File is not `gofmt`-ed with `-s` (gofmt)",
      "main.go:10: Function 'foo' is too long (67 > 60) (funlen)",
      "cmd/run.go:42: G104: Errors unhandled. (gosec)",
      "    mixer_test.go:8: Gain(0) = 1 (want)",
      "mixer_test.go:9: Gain(0) = 1, want 0.5",
    ]).map((i) => [i.path, i.category, i.message])).toEqual([
      ["pkg/a.go", "gofmt", "File is not `gofmt`-ed with `-s`"],
      ["main.go", "funlen", "Function 'foo' is too long (67 > 60)"],
      ["cmd/run.go", "gosec", "G104: Errors unhandled"],
    ]);
    // (a message that ends in a parenthesis with spaces is no linter's)
    expect(issues(["a/b.go:3:9: invalid operation: x + y (mismatched types int and string)"]).map((i) => [i.category, i.message]))
      .toEqual([["go", "invalid operation: x + y (mismatched types int and string)"]]);
  });

  it("FXC's in-memory sources are no files: tool/fxc, or the shader a heading line named", () => {
    // D3DX's `memory` after the working folder, as quoted in github.com/TASEmulators/BizHawk/issues/2158
    const memory = ["G:\\emuups\\BizHawk 007 Complete\\memory(85,22): error X3000: syntax error: unexpected token '['",
                    "memory(12,5): error X3004: undeclared identifier 'foo'"];
    expect(issues(memory).map((i) => [i.path, i.category, i.message])).toEqual([
      ["tool/fxc", "X3000", "X3000: syntax error: unexpected token '['"], ["tool/fxc", "X3004", "X3004: undeclared identifier 'foo'"]]);
    // the heading holds for the FXC lines right after it only
    expect(issues(["Failed to compile 'Shaders/Water.fx':", "Shader@0x00000000DEADBEEF(3,1): error X3000: syntax error", "Done.",
                   "Shader@0x00000000DEADBEEF(3,1): error X3000: syntax error"]).map((i) => i.path)).toEqual(["Shaders/Water.fx", "tool/fxc"]);
    // (a real file stays a file)
    expect(issues(["Shaders/Water.hlsl(3,1): error X3000: syntax error"]).map((i) => i.path)).toEqual(["Shaders/Water.hlsl"]);
  });

  it("Bazel's closing lines are summaries; its lines without a BUILD file stay what they were", () => {
    expect(issues(["ERROR: Build did NOT complete successfully", "FAILED: Build did NOT complete successfully (12 packages loaded)",
                   "ERROR: Analysis of target '//src:app' failed; build aborted: Analysis failed"])).toEqual([]);
    expect(issues(["ERROR: /home/runner/work/atlas/atlas/src/BUILD.bazel:12:8: Compiling src/foo.cc failed: (Exit 1): gcc failed: error executing CppCompile command (from target //src:foo) /usr/bin/gcc -U_FORTIFY_SOURCE -c src/foo.cc"])
      .map((i) => [i.path, i.category, i.message]))
      .toEqual([["src/BUILD.bazel", "bazel", "Compiling src/foo.cc failed: (Exit 1): gcc failed: error executing CppCompile command (from target //src:foo)"]]);
    expect(issues(["ERROR: /home/ci/src/main.cpp:12:1: not a Bazel file"]).map((i) => [i.path, i.category])).toEqual([["home/ci/src/main.cpp", null]]);
  });

  it("cppcheck: the last place of an old-template chain is the finding's, also when CI peeled the first as a label", () => {
    const chain = "[src/tools/inventory.cpp:13] -> [src/tools/inventory.cpp:15]: (error) Mismatching allocation and deallocation: copy";
    expect(issues([chain, "[src/a.cpp:3]: (warning, inconclusive) Possible null pointer dereference: p"]).map((i) => [i.path, i.severity, i.message]))
      .toEqual([["src/tools/inventory.cpp", "error", "Mismatching allocation and deallocation: copy"],
                ["src/a.cpp", "warning", "Possible null pointer dereference: p"]]);
    // an inconclusive finding: `warning: inconclusive: …` in the default template, `(warning, inconclusive)` in the old one
    const inconclusive = issues(["src/a.cpp:3:5: warning: inconclusive: Possible null pointer dereference: p [nullPointer]",
      "[src/a.cpp:3]: (warning, inconclusive) Possible null pointer dereference: p",
      "src/a.cpp:9:3: style: inconclusive: Variable 'x' is reassigned a value before the old one has been used. [redundantAssignment]",
      "[src/a.cpp:9]: (style, inconclusive) Variable 'x' is reassigned a value before the old one has been used."]);
    expect(inconclusive.map((i) => [i.path, i.severity, i.message])).toEqual([
      ["src/a.cpp", "warning", "Possible null pointer dereference: p"], ["src/a.cpp", "warning", "Possible null pointer dereference: p"],
      ["src/a.cpp", "warning", "Variable 'x' is reassigned a value before the old one has been used"],
      ["src/a.cpp", "warning", "Variable 'x' is reassigned a value before the old one has been used"]]);
    expect(issues(["nofile:0:0: information: Active checkers: 106/592 (use --checkers-report=<filename> to see details) [checkersReport]"])).toEqual([]);
  });

  it("cppcheck's --template=gcc prints every finding at warning: the echoed command gives back its errors, information is information", () => {
    // test/corpus/cppcheck210-gcc-template-jenkins.log: one run with --template=gcc, then the
    // same with the default template, which prints each finding's severity
    const text = readFileSync(path.join(DIR, "cppcheck210-gcc-template-jenkins.log"), "utf8");
    const at = text.indexOf("+ cppcheck --enable=");
    const sev = (log: string) => issues([log]).map((i) => `${i.severity} ${i.category} ${i.message}`);
    const gcc = sev(text.slice(0, at));
    expect(gcc.length).toBe(8);
    expect(gcc).toEqual(sev(text.slice(at)));
    expect(gcc.filter((g) => g.startsWith("error ")).length).toBe(4);
    // (the command as make echoes it, with a space, in a GitHub step, under env: the same)
    const findings = text.slice(text.indexOf("Checking "), at);
    for (const cmd of ["cppcheck --template gcc src/tools", "Run /usr/bin/cppcheck -q --template=gcc .", "+ env LANG=C cppcheck --template='gcc' src"])
      expect(sev(`${cmd}\n${findings}`), cmd).toEqual(gcc);
    // without the command the lines are what they say (the default template prints warnings so
    // too), but for information; another command after it ends it
    const plain = sev(findings);
    expect(plain.filter((g) => g.startsWith("error ")).length).toBe(0);
    expect(plain.filter((g) => g.startsWith("info ")).map((g) => g.split(" ")[1])).toEqual(["missingInclude"]);
    expect(sev(`+ cppcheck --template=gcc src\n+ make\n${findings}`)).toEqual(plain);
    expect(sev(`+ cppcheck --template=gcc src\n+ cd x\n${findings}`)).toEqual(plain);
    // (--template=gcc's findings have no `Possible` word for an uninitialized variable: it stays what it says)
    expect(sev("+ cppcheck --template=gcc src\nsrc/a.c:3:5: warning: Uninitialized variable: x [uninitvar]"))
      .toEqual(["warning uninitvar Uninitialized variable: x"]);
  });

  it("cppcheck's findings about the run name no file (`nofile:0:0:`): at tool/cppcheck at any level, its checkers report none", () => {
    // as Cppcheck 2.10 prints them here: information in the default template, `warning:` in
    // --template=gcc (an unknown --library: failedToLoadCfg); an error-level line in the same shape
    const got = issues([
      "nofile:0:0: information: Cppcheck cannot find all the include files (use --check-config for details) [missingInclude]",
      "nofile:0:0: warning: Failed to load the library nolib [failedToLoadCfg]",
      "nofile:0:0: error: Failed to load the library nolib [failedToLoadCfg]",
      "nofile:0:0: warning: Active checkers: 106/592 (use --checkers-report=<filename> to see details) [checkersReport]",
      // (a file of that name that cppcheck did read has a line)
      "src/nofile:3:1: warning: Uninitialized variable: x [uninitvar]",
    ]).map((i) => [i.path, i.category, i.message]);
    expect(got.filter((g) => g[0] === "nofile")).toEqual([]);
    expect(got.slice(0, 3)).toEqual([
      ["tool/cppcheck", "missingInclude", "Cppcheck cannot find all the include files (use --check-config for details)"],
      ["tool/cppcheck", "failedToLoadCfg", "Failed to load the library nolib"],
      ["tool/cppcheck", "failedToLoadCfg", "Failed to load the library nolib"]]);
    expect(got.slice(3)).toEqual([["src/nofile", "uninitvar", "Uninitialized variable: x"]]);
  });

  it("Maven's failure summary repeats the errors of its own run only: under mvn -q, another run's or module's are their own", () => {
    // the shapes of test/corpus/maven-javac21-openapi-generator-bug.log; mvn -q prints no [INFO]
    // line, so no "Scanning for projects" between two runs
    const compile = (module: string, file: string) => [
      "[ERROR] COMPILATION ERROR : ",
      `[ERROR] /w/${module}/src/main/java/com/x/${file}:[3,5] cannot find symbol`,
      "  symbol:   class Foo",
      "  location: class com.x.A",
    ];
    const summary = (module: string, file: string) => [
      `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project ${module}: Compilation failure: Compilation failure: `,
      `[ERROR] /w/${module}/src/main/java/com/x/${file}:[3,5] cannot find symbol`,
      "[ERROR]   symbol:   class Foo",
      "[ERROR]   location: class com.x.A",
      "[ERROR] -> [Help 1]",
    ];
    const help = ["[ERROR] ", "[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
      "[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoFailureException"];
    const paths = (lines: string[]) => issues(lines).map((i) => `${i.path}|${i.message}`);
    const a = "w/a/src/main/java/com/x/A.java|cannot find symbol: class Foo";
    const b = "w/b/src/main/java/com/x/B.java|cannot find symbol: class Foo";
    // one run: the summary repeats the compiler's error
    expect(paths([...compile("a", "A.java"), ...summary("a", "A.java"), ...help])).toEqual([a]);
    // two runs in one log (`mvn -q compile`, then `mvn -q verify`), the same error in each: one issue per run
    const run = [...compile("a", "A.java"), ...summary("a", "A.java"), ...help];
    expect(paths([...run, "+ mvn -q verify", ...run])).toEqual([a, a]);
    expect(paths([...run, ...run])).toEqual([a, a]);
    // two modules failing with the same message (mvn -fae): each summary repeats its module's error
    expect(paths([...compile("a", "A.java"), ...compile("b", "B.java"), ...summary("a", "A.java"), ...summary("b", "B.java"), ...help]))
      .toEqual([a, b]);
    // a summary whose error its run did not print stands for it, also when a later run prints it
    expect(paths([...summary("a", "A.java"), ...help, ...run])).toEqual([a, a]);
    // (a summary on one line, `… Compilation failure -> [Help 1]`, repeats nothing: the run after it is its own)
    expect(paths([...summary("a", "A.java").slice(0, 1).map((l) => `${l.trimEnd()} -> [Help 1]`), ...run])).toEqual([a]);
  });

  it("a compiler driver that cannot start its compiler is an error of that driver", () => {
    expect(issues(["gcc-12: error trying to exec 'cc1plus': execvp: No such file or directory",
                   "x86_64-linux-gnu-gcc: error trying to exec 'as': execvp: No such file or directory"])
      .map((i) => [i.path, i.severity, i.message])).toEqual([
      ["tool/gcc", "error", "trying to exec 'cc1plus': execvp: No such file or directory"],
      ["tool/x86_64-linux-gnu-gcc", "error", "trying to exec 'as': execvp: No such file or directory"]]);
  });

  it("a trailing [word] is a category only in a check's shape: cppcheck's ids yes, any lower-case word no", () => {
    const got = issues(["src/cfg.h:3:2: error: #error bad config [x86]", "src/cfg.h:3:2: error: #error bad config [arm]",
      "tools/pack.py:12: error: Incompatible types in assignment [assignment]",
      "src/a.cpp:7:3: error: Array 'a[2]' accessed at index 2, which is out of bounds. [arrayIndexOutOfBounds]",
      "src/a.cpp:8:3: error: Uninitialized variable: x [uninitvar]",
      "src/a.cpp:9:3: warning: %d in format string (no. 1) requires 'int *' [invalidScanfArgType_int]"]);
    expect(got.map((i) => [i.message, i.category])).toEqual([
      ["#error bad config [x86]", "compiler"], ["#error bad config [arm]", "compiler"],
      ["Incompatible types in assignment [assignment]", "compiler"],
      ["Array 'a[2]' accessed at index 2, which is out of bounds", "arrayIndexOutOfBounds"],
      ["Uninitialized variable: x", "uninitvar"],
      ["%d in format string (no. 1) requires 'int *'", "invalidScanfArgType_int"]]);
  });
  it("Apple ld's undefined symbols are one error each (ld64's list and Xcode 15's linker's); the list's closing line repeats them", () => {
    const got = issues(["ld: Undefined symbols:", "  _kvm_enable_x2apic, referenced from:", "      _amdvi_sysbus_realize in hw_i386_amd_iommu.c.o",
      "  Foo::bar(int, char const*), referenced from:", "      _main in main.o", "      ...", "     (maybe you meant: Foo::bar(int))",
      "clang: error: linker command failed with exit code 1 (use -v to see invocation)",
      "Undefined symbols for architecture x86_64:", '  "_OBJC_CLASS_$_JGProgressHUD", referenced from:', "      objc-class-ref in previewLayer.o",
      "ld: symbol(s) not found for architecture x86_64", "src/a.cpp:3:1: warning: unused variable 'x' [-Wunused-variable]",
      // (a closing line without the list before it is the only trace of the failure)
      "ld: symbol(s) not found for architecture arm64"]);
    expect(got.map((i) => [i.path, i.message])).toEqual([
      ["tool/ld", "Undefined symbol: _kvm_enable_x2apic"], ["tool/ld", "Undefined symbol: Foo::bar(int, char const*)"],
      ["tool/ld", "Undefined symbol: _OBJC_CLASS_$_JGProgressHUD"], ["src/a.cpp", "unused variable 'x'"],
      ["tool/ld", "symbol(s) not found for architecture arm64"]]);
  });

  it("AAPT2's errors are at their resource file (a library's in Gradle's transforms cache as that library's); its closing 'failed linking references' and its repeats without a place are summaries, alone at tool/aapt", () => {
    const got = issues([
      "ERROR:/home/runner/work/app/app/src/main/res/layout/x.xml:12: AAPT: error: '@string/foo' is incompatible with attribute text",
      "/var/lib/jenkins/workspace/app-main/app/src/main/res/values/values.xml:5:5-40: AAPT: error: resource android:attr/lStar not found.",
      "/home/ci/.gradle/caches/transforms-3/0123456789abcdef0123456789abcdef/transformed/core-1.7.0/res/values/values.xml:105:5-114:25: AAPT: error: resource android:attr/lStar not found.",
      "C:\\Users\\ci\\.gradle\\caches\\8.9\\transforms\\fedcba9876543210fedcba9876543210\\transformed\\appcompat-1.6.1\\res\\values\\values.xml:7: AAPT: warning: x",
      "error: resource android:attr/lStar not found.",
      "error: failed linking references.",
      // (alone, with no error at a file before them, they are the only trace of the failure)
      "error: attribute android:layerType not found.",
      "error: failed linking references.",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    expect(got).toEqual([
      ["error", "src/main/res/layout/x.xml", "aapt", "'@string/foo' is incompatible with attribute text"],
      ["error", "app/src/main/res/values/values.xml", "aapt", "resource android:attr/lStar not found"],
      ["error", "core-1.7.0/res/values/values.xml", "aapt", "resource android:attr/lStar not found"],
      ["warning", "appcompat-1.6.1/res/values/values.xml", "aapt", "x"],
      ["error", "tool/aapt", "aapt", "attribute android:layerType not found"],
      ["error", "tool/aapt", "aapt", "failed linking references"],
    ]);
  });

  it("Android Studio's `Error:(l, c)` / `Warning:(l, c)` lines are at the file printed alone before them, else at tool/gradle; its task summary and Information: lines are none", () => {
    // real lines: github.com/jahirfiquitiva/IconShowcase-Dashboard/issues/16 and github.com/dmsl/anyplace/issues/25
    // (all of them in test/corpus/android-studio-messages-javac-kotlin.log); the rest are made here in their shape (synthetic)
    const home = "/Users/svetlanamoldovanu/Downloads/IconPack/sample/src/main/java/com/denkazzzget/pixelico/HomeActivity.java";
    const got = issues([
      "Information:Gradle tasks [:sample:assembleDebug]",
      home,
      "Error:(24, 45) error: cannot find symbol class BuildConfig",
      "Warning:(12, 8) warning: [deprecation] getColor(int) in Resources has been deprecated",          // synthetic
      "Error:Execution failed for task ':sample:compileDebugJavaWithJavac'.",
      "> Compilation failed; see the compiler error output for details.",
      "Information:BUILD FAILED",
      // (a .kt file named alone: Kotlin's; synthetic)
      "/w/app/src/main/java/com/x/Main.kt",
      "Warning:(3, 9) Parameter 'savedInstanceState' is never used",
      "",
      "Error:(40, 25) java: cannot find symbol",
      "  symbol:   class R",
      "  location: package com.dmsl.anyplace",
      // (no file: the builder named, or none; synthetic)
      "Error:(7, 12) Kotlin: Unresolved reference: foo",
      "Warning:(1, 1) Something about the build",
    ]).map((i) => [i.severity, i.path, i.category, i.message]);
    expect(got).toEqual([
      ["error", home.slice(1), "javac", "cannot find symbol: class BuildConfig"],
      ["warning", home.slice(1), "deprecation", "getColor(int) in Resources has been deprecated"],
      ["warning", "w/app/src/main/java/com/x/Main.kt", "kotlin", "Parameter 'savedInstanceState' is never used"],
      ["error", "tool/gradle", "javac", "cannot find symbol: class R"],
      ["error", "tool/gradle", "kotlin", "Unresolved reference: foo"],
      ["warning", "tool/gradle", "gradle", "Something about the build"],
    ]);
    // (the task summary ends the file's messages: a line after it is no longer that file's)
    expect(issues([home, "Error:Execution failed for task ':app:compileDebugJavaWithJavac'.", "Error:(1, 2) error: x"]).map((i) => i.path))
      .toEqual(["tool/gradle"]);
    // alone, the summary and Information: lines are none, as Gradle's "* What went wrong:" block is
    expect(issues(["Error:Execution failed for task ':sample:compileDebugJavaWithJavac'.", "Information:BUILD FAILED",
      "* What went wrong:", "Execution failed for task ':app:compileDebugJavaWithJavac'."])).toEqual([]);
    // the same error from a command-line build (javac's own lines, synthetic) is the same issue
    expect(issues([`${home}:24: error: cannot find symbol`, "import com.denkazzzget.pixelico.BuildConfig;", "  symbol:   class BuildConfig"]))
      .toEqual(issues([home, "Error:(24, 45) error: cannot find symbol class BuildConfig"]));
  });

  it("MSVC's LNK1120 counts the unresolved externals listed above it: no issue of its own, unless it is alone", () => {
    const link = ['main.obj : error LNK2019: unresolved external symbol "void __cdecl Bar(void)" (?Bar@@YAXXZ) referenced in function main [C:\\b\\app.vcxproj]',
      "main.obj : error LNK2001: unresolved external symbol __imp_GetCurrentThreadId [C:\\b\\app.vcxproj]",
      "C:\\b\\Release\\app.exe : fatal error LNK1120: 2 unresolved externals [C:\\b\\app.vcxproj]"];
    expect(issues(link).map((i) => i.category)).toEqual(["LNK2019", "LNK2001"]);
    // (one symbol more is one issue more, not another count)
    expect(issues([link[0], link[2].replace("2 unresolved", "1 unresolved")]).map((i) => i.category)).toEqual(["LNK2019"]);
    // (alone, it is the only trace of the failure; NMAKE's U1077 after it still repeats it)
    expect(issues([link[2], "NMAKE : fatal error U1077: 'link.exe' : return code '0x460'"]).map((i) => [i.path, i.category]))
      .toEqual([["tool/app.exe", "LNK1120"]]);
    expect(issues([...link, "NMAKE : fatal error U1077: 'link.exe' : return code '0x460'"]).map((i) => i.category)).toEqual(["LNK2019", "LNK2001"]);
  });

  it("clang-cl's lines without a flag are the compiler's, as clang's own are; MSBuild's `error :` without a code stays the tool's", () => {
    // clang-cl's (and clang's -fdiagnostics-format=msvc) shape; the first is the line in the title of
    // github.com/mono/CppSharp/issues/1722, the others are made here after clang's wording (synthetic)
    const cl = issues([
      "yvals_core.h(807,1): error: static_assert failed \"Error in C++ Standard Library usage.\"",
      "src\\a.cpp(12,5): error: use of undeclared identifier 'x'",
      "src\\a.cpp(3,10): fatal error: 'dbus/dbus.h' file not found",
      "src\\a.cpp(7,9): warning: unused variable 'y' [-Wunused-variable]",
      "src\\a.cpp(9,1): warning: treating Unicode character as whitespace",
    ]).map((i) => [i.path, i.category, i.message]);
    const gcc = issues([
      "yvals_core.h:807:1: error: static_assert failed \"Error in C++ Standard Library usage.\"",
      "src/a.cpp:12:5: error: use of undeclared identifier 'x'",
      "src/a.cpp:3:10: fatal error: 'dbus/dbus.h' file not found",
      "src/a.cpp:7:9: warning: unused variable 'y' [-Wunused-variable]",
      "src/a.cpp:9:1: warning: treating Unicode character as whitespace",
    ]).map((i) => [i.path, i.category, i.message]);
    expect(cl).toEqual(gcc);
    expect(cl.map((x) => x[1])).toEqual(["compiler", "compiler", "compiler", "-Wunused-variable", "compiler"]);
    // (UnrealBuildTool relays UnrealHeaderTool in MSBuild's canonical form, a space before the colon;
    // a tool's capitalised level; MSVC's own code)
    expect(issues(["D:/p/Plugins/S/Source/R/S.h(16): error : Unrecognized type 'FVector3f' - type must be a UCLASS, USTRUCT or UENUM",
      "src\\a.cs(3): Warning: x", "src\\a.cpp(12,5): error C2065: 'x': undeclared identifier"]).map((i) => i.category))
      .toEqual([null, null, "C2065"]);
  });

  it("MSBuild: a multi-targeted project's `[….csproj::TargetFramework=…]` is no part of the message; the .NET SDK's and analyzers' longer codes are read", () => {
    // (dotnet build prints a multi-targeted project's diagnostics once per target framework)
    const got = issues([
      "/w/src/Net/Packet.cs(14,12): error CS0246: The type 'Span' could not be found [/w/src/Net/Net.csproj::TargetFramework=netstandard2.0]",
      "/w/src/Net/Packet.cs(14,12): error CS0246: The type 'Span' could not be found [/w/src/Net/Net.csproj::TargetFramework=net8.0]",
      "C:\\w\\src\\Net\\Packet.cs(20,1): warning CA1822: Member 'Size' does not access instance data [C:\\w\\src\\Net\\Net.csproj::TargetFramework=net8.0;RuntimeIdentifier=win-x64] [C:\\w\\All.sln]",
      "/w/src/Net/Http.cs(9,5): warning SYSLIB0014: 'WebRequest.Create(string)' is obsolete [/w/src/Net/Net.csproj]",
      "/w/tests/Net.Tests/PacketTests.cs(30,9): warning xUnit2013: Do not use Assert.Equal() to check for collection size [/w/tests/Net.Tests/Net.Tests.csproj]",
      "/w/tools/Gen/Gen.csproj : warning NETSDK1138: The target framework 'netcoreapp3.1' is out of support [/w/All.sln]",
      // (a bracket that names no project stays)
      "/w/src/Net/Packet.cs(3,1): error CS1503: cannot convert from 'int[]' to 'string[x::y]'"]);
    expect(got.map((i) => [i.severity, i.category, i.message])).toEqual([
      ["error", "CS0246", "CS0246: The type 'Span' could not be found"],
      ["error", "CS0246", "CS0246: The type 'Span' could not be found"],
      ["warning", "CA1822", "CA1822: Member 'Size' does not access instance data"],
      ["warning", "SYSLIB0014", "SYSLIB0014: 'WebRequest.Create(string)' is obsolete"],
      ["warning", "xUnit2013", "xUnit2013: Do not use Assert.Equal() to check for collection size"],
      ["warning", "NETSDK1138", "NETSDK1138: The target framework 'netcoreapp3.1' is out of support"],
      ["error", "CS1503", "CS1503: cannot convert from 'int[]' to 'string[x::y]'"]]);
  });

  it("MSBuild: a diagnostic raised in a toolset file (Visual Studio's MSBuild, the .NET SDK) is the project's of its suffix, else at tool/msbuild: one issue across editions and toolset versions", () => {
    const vs = (year: string, edition: string, v: string, project: string) =>
      `C:\\Program Files\\Microsoft Visual Studio\\${year}\\${edition}\\MSBuild\\Microsoft\\VC\\${v}\\Microsoft.MakeFile.Targets(44,5): error MSB3073: The command "..\\..\\Build\\BatchFiles\\Build.bat -Target="MyGameEditor Win64 Development" -WaitMutex -FromMsBuild" exited with code 6. [${project}]`;
    const game = "C:\\b\\MyGame\\Intermediate\\ProjectFiles\\MyGame.vcxproj";
    const make = (ls: string[]) => issues(ls).map((i) => [i.path, i.category, i.message]);
    const mk = ["b/MyGame/Intermediate/ProjectFiles/MyGame.vcxproj", "MSB3073",
      "Microsoft.MakeFile.Targets: MSB3073: The command \"..\\..\\Build\\BatchFiles\\Build.bat -Target=\"MyGameEditor Win64 Development\" -WaitMutex -FromMsBuild\" exited with code 6"];
    // (Enterprise, Professional, BuildTools, 2019 and 2022: the same failure of the same project)
    for (const l of [vs("2022", "Enterprise", "v170", game), vs("2022", "Professional", "v170", game), vs("2019", "BuildTools", "v160", game)])
      expect(make([l])).toEqual([mk]);
    // (two projects failing the same way are two issues)
    expect(make([vs("2022", "Enterprise", "v170", "C:\\b\\Other\\Intermediate\\ProjectFiles\\Other.vcxproj")]).map((x) => x[0]))
      .toEqual(["b/Other/Intermediate/ProjectFiles/Other.vcxproj"]);
    // (the project built, not the solution after it; build roots stripped as for any file)
    expect(make(["C:\\Program Files (x86)\\Microsoft Visual Studio\\2019\\BuildTools\\MSBuild\\Microsoft\\VC\\v160\\Microsoft.CppCommon.targets(241,5): error MSB8066: Custom build for 'x.rule' exited with code 1. [D:\\a\\1\\s\\src\\x.vcxproj] [D:\\a\\1\\s\\All.sln]"]))
      .toEqual([["src/x.vcxproj", "MSB8066", "Microsoft.CppCommon.targets: MSB8066: Custom build for 'x.rule' exited with code 1"]]);
    const eol = (sdk: string) => `${sdk}/Sdks/Microsoft.NET.Sdk/targets/Microsoft.NET.EolTargetFrameworks.targets(32,5): warning NETSDK1138: The target framework 'net5.0' is out of support [/home/runner/work/app/app/src/App.csproj::TargetFramework=net5.0]`;
    for (const sdk of ["/usr/share/dotnet/sdk/8.0.100", "/home/runner/.dotnet/sdk/9.0.100-rc.1.24452.12", "/w/tools/dotnet/x64/sdk/8.0.100-preview.4.23260.5"])
      expect(make([eol(sdk)])).toEqual([["src/App.csproj", "NETSDK1138", "Microsoft.NET.EolTargetFrameworks.targets: NETSDK1138: The target framework 'net5.0' is out of support"]]);
    const common = (dir: string, suffix: string) => `${dir}\\Microsoft.Common.CurrentVersion.targets(2352,5): warning MSB3277: Found conflicts between different versions of "System.Net.Http"${suffix}`;
    expect(make([common("C:\\Program Files\\dotnet\\sdk\\7.0.401", " [D:\\a\\x\\x\\src\\Lib.csproj]")]))
      .toEqual([["src/Lib.csproj", "MSB3277", "Microsoft.Common.CurrentVersion.targets: MSB3277: Found conflicts between different versions of \"System.Net.Http\""]]);
    // (no project, or one cut short by the console's width: MSBuild's, without the toolset's folder)
    const bare = ["tool/msbuild", "MSB3277", "Microsoft.Common.CurrentVersion.targets: MSB3277: Found conflicts between different versions of \"System.Net.Http\""];
    expect(make([common("C:\\Program Files\\Microsoft Visual Studio\\2022\\Professional\\MSBuild\\Current\\Bin\\amd64", ""),
      common("C:\\BuildTools\\MSBuild\\Current\\Bin", " [C:\\b\\sr"), common("C:\\Program Files\\dotnet\\sdk\\8.0.204", "")])).toEqual([bare, bare, bare]);
    // (Visual Studio 2010 to 2015's layout in the machine's MSBuild folder, …\MSBuild\Microsoft.Cpp\v4.0\[V110|V120|V140\],
    // and Visual Studio 2017's …\Common7\IDE\VC\VCTargets\: the same failure of the same project, one issue with the newer layouts;
    // lines made here from the newer one, the real ones are in test/corpus/msbuild-vs2015-vs2017-toolsets.log)
    const older = (dir: string) => vs("2022", "Enterprise", "v170", game).replace(/^.*\\(?=Microsoft\.MakeFile\.Targets)/, `${dir}\\`);
    for (const dir of ["C:\\Program Files (x86)\\MSBuild\\Microsoft.Cpp\\v4.0\\V140", "C:\\Program Files (x86)\\MSBuild\\Microsoft.Cpp\\v4.0\\V120",
                       "D:\\Tools\\MSBuild\\Microsoft.Cpp\\v4.0\\V110", "C:\\Program Files (x86)\\MSBuild\\Microsoft.Cpp\\v4.0",
                       "C:\\Program Files (x86)\\Microsoft Visual Studio\\2017\\Professional\\Common7\\IDE\\VC\\VCTargets"])
      expect(make([older(dir)]), dir).toEqual([mk]);
    // (a project's own .targets, and a .props not under a toolset, stay where they are)
    expect(make(["C:\\b\\build\\Common.targets(12,5): error MSB4018: The task failed [C:\\b\\src\\x.vcxproj]",
      "/w/sdk/8.0.100/Directory.Build.props(3,5): warning MSB4011: imported twice [/w/src/App.csproj]"]).map((x) => x[0]))
      .toEqual(["b/build/Common.targets", "w/sdk/8.0.100/Directory.Build.props"]);
  });
});

describe("hostile lines", () => {
  // Each shape once made a pattern backtrack in proportion to the square of the line's
  // length (minutes for a 1 MB line); they must parse, and give nothing invented.
  const shapes = ["a/".repeat(500_000) + "x", "a\\".repeat(500_000) + "x", "a-".repeat(500_000) + "ld", "x:(".repeat(300_000),
    "CMake Error at " + "a:1 (".repeat(150_000),
    // (an ESLint/stylelint unix line's message once ended at the first of its spaces)
    "a:1:1: x" + " ".repeat(1_000_000) + "y", "a:1:1: x" + " ".repeat(1_000_000) + "(r) y",
    // (Kotlin's two forms: a URI's place found from the end of its run, a file before `: (l, c): `)
    "e: file://" + "a:1".repeat(333_000), "e: " + "a.kt: (".repeat(150_000), "w: " + "a".repeat(1_000_000) + ".kt: (1, x",
    // (CI annotations, rustc's place line, xcodebuild's target suffix: a leading \s+ next to
    // a part that also takes spaces)
    "::error" + " ".repeat(1_000_000) + "x", "##vso[task.logissue" + " ".repeat(1_000_000) + "x",
    "--> " + " ".repeat(1_000_000) + "x", "error: (in target 'a' from project 'b')" + " ".repeat(1_000_000) + "x",
    // (ESLint's and stylelint's unix lines: spaces right after the place, both `\s+` and the message's `.*`)
    "a:1:1: " + " ".repeat(1_000_000) + "style",
    // (Go's file ends at its first colon; cppcheck's old places are found by position; an FXC
    // heading is looked for from the end)
    "a".repeat(1_000_000) + ".go:1", "vet: " + "a.go".repeat(250_000) + ":1:", "[a] -> ".repeat(150_000) + "[b:1]: (x",
    "[" + "a]: (".repeat(200_000), "\"a.fx" + " ".repeat(1_000_000) + "\"x",
    // (Maven's `[ERROR] file:[l,c]`: the spaces after the level were also the file's start)
    "[ERROR] " + " ".repeat(1_000_000) + "x", "[WARNING]" + "\t".repeat(1_000_000) + "x:"];
  for (const s of shapes) {
    it(`a 1 MB line of ${JSON.stringify(s.slice(0, 6))}… gives no diagnostic`, () => {
      expect(parseLog(`${s}\n${s}\n`).diagnostics).toEqual([]);
    });
  }
  it("200 KB lines of spaces, colons and separators before `.go:` return (a Go path's folders may hold spaces)", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = [" :".repeat(100_000), ": ".repeat(100_000), "a ".repeat(100_000) + ".go:1:1: x", " /".repeat(100_000) + "a.go:1",
      "./" + " ".repeat(200_000) + "/a.go:1", "a b/".repeat(50_000) + "c d.go:1:2: x", "/ :".repeat(66_000) + ".go:1:2: x",
      "a/".repeat(100_000) + ".go".repeat(30_000) + ":x", "vet: " + " /.go".repeat(40_000) + ":1"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.filter((d) => d.category === "go" || d.category === "vet")).toEqual([]);
    // (and one that is a Go line, with 200 KB of spaced folders)
    const one = parseLog(`${"a b/".repeat(50_000)}c.go:1:2: undefined: x\n`).diagnostics;
    expect(one.map((d) => [d.category, d.file?.length])).toEqual([["go", 200_004]]);
  });
  it("200 KB MSBuild lines of brackets, colons and project names return (the `[…proj::…]` suffix is found by position)", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["a.cs(1): error CS1: x " + "[a.csproj::".repeat(20_000) + "]", "a.cs(1): error CS1: x [" + ".csproj::]".repeat(20_000),
      "a.cs(1): error CS1: x " + "[:".repeat(100_000) + "]", "a.cs(1): error CS1: x " + "] [a.sln".repeat(25_000) + "]",
      "a.cs(1): error " + "A".repeat(200_000) + "1: x", "a : error " + ":".repeat(200_000) + "x"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.length).toBeLessThanOrEqual(2);
  });
  it("200 KB MSBuild lines in toolset folders return (a toolset file is read by segments)", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["/dotnet/sdk".repeat(20_000) + "/x.targets(1,1): error MSB1: x [a.csproj]",
      "C:\\Microsoft Visual Studio\\2022".repeat(7_000) + "\\MSBuild\\x.targets(1,1): error MSB1: x",
      "/MSBuild/Current".repeat(12_000) + "/Bin/x.targets(1,1): warning MSB1: x " + "[a.csproj] ".repeat(100),
      "/dotnet/x64/sdk/1.2.3" + ".4".repeat(100_000) + "/x.props(1,1): error MSB1: x [" + " ".repeat(100_000) + "a.csproj]"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.length).toBeLessThanOrEqual(2);
    // (Visual Studio 2010-2015's and 2017's layouts: segments of spaces, brackets, colons, parentheses and backslashes)
    const older = ["C:\\MSBuild\\Microsoft.Cpp\\v4" + ".0".repeat(100_000) + "\\V140\\x.targets(1,1): error MSB3073: x [a.vcxproj]",
      "C:" + "\\MSBuild\\Microsoft.Cpp\\ ([".repeat(8_000) + "\\MSBuild\\Microsoft.Cpp\\v4.0\\x.targets(1,1): error MSB3073: x" + " :(".repeat(30_000) + " [a.vcxproj]",
      "C:" + "\\Microsoft Visual Studio\\2017\\ ) \\Common7\\IDE\\VC".repeat(4_000) + "\\VCTargets\\x.targets(1,1): error MSB3073: x" + " ]:(".repeat(30_000) + " [a.vcxproj]"];
    for (const l of older) expect(parseLog(`${l}\n${l}\n`).diagnostics.map((d) => [d.file, d.category])).toEqual([["a.vcxproj", "MSB3073"], ["a.vcxproj", "MSB3073"]]);
  });
  it("200 KB MSVC lines in toolset and SDK folders return (a toolset's header is read by segments)", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["C:" + "\\VC\\Tools\\MSVC\\1 ([".repeat(10_000) + "\\VC\\Tools\\MSVC\\14.29.30133\\include\\x(1): warning C4244: y" + " :(".repeat(30_000),
      "C:\\VC\\Tools\\MSVC\\14" + ".1".repeat(100_000) + "\\include\\x(1): warning C4244: y",
      "C:" + "\\Microsoft Visual Studio 14.0 ) ".repeat(8_000) + "\\Microsoft Visual Studio 14.0\\VC\\include\\x(1): warning C4244: y",
      "C:" + "\\Windows Kits\\10\\ [include".repeat(8_000) + "\\Windows Kits\\10\\Include\\10.0.1.0\\um\\x(1): warning C4244: y"];
    const placed = ["MSVC/include/x", "MSVC/include/x", "MSVC/include/x", "Windows Kits/Include/um/x"];
    lines.forEach((l, k) => expect(diagnosticsToIssues(parseLog(`${l}\n`).diagnostics, {}).map((i) => [i.path, i.category]), String(k))
      .toEqual([[placed[k], "C4244"]]));
  });
  it("200 KB clang-cl lines of spaces, colons and brackets return (its level is read by position)", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["a.cpp(1,1): error" + " ".repeat(200_000) + ": x", "a.cpp(1,1): error:" + " ".repeat(200_000) + "x",
      "a.cpp(1,1): warning:" + " :[(".repeat(50_000) + " [-Wx]", "a" + "\\ (".repeat(60_000) + ".cpp(1,1): warning: x"];
    expect(lines.map((l) => parseLog(`${l}\n`).diagnostics.map((d) => d.category))).toEqual([[null], ["compiler"], ["-Wx"], ["compiler"]]);
  });
  it("200 KB lines of separators, quotes and commas after Apple ld's heading return", () => {
    const lines = ["/".repeat(200_000) + "ld: Undefined symbols:", "  " + '"'.repeat(200_000) + ", referenced from:",
      "  " + ", referenced from:".repeat(10_000), "/".repeat(200_000) + "ld: symbol(s) not found for architecture " + "a".repeat(100_000),
      " ".repeat(200_000) + "x: y"];
    const ds = parseLog(["Undefined symbols for architecture arm64:", ...lines, ...lines].join("\n")).diagnostics;
    expect(ds.length).toBeLessThanOrEqual(8);
  });
  it("200 KB lines of spaces, quotes, pipes, brackets and colons in AAPT2's shapes return", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["ERROR: " + " ".repeat(200_000) + ":1: AAPT: error: x", "ERROR:" + "a:".repeat(100_000) + "1: AAPT: error: x",
      "/a.xml:1" + ":1-1".repeat(50_000) + ": AAPT: error: x", "'|[]".repeat(50_000) + ".xml:1: AAPT: error: " + " ".repeat(200_000),
      "error: resource " + " ".repeat(200_000) + "x not found.", "error: style attribute '" + "'".repeat(200_000) + " not found",
      "res/v/" + "a".repeat(200_000) + ".xm:1: error: x", "res/".repeat(50_000) + "v/a.xml:1: error: x",
      "/h/.gradle/caches/" + "transforms-3/".repeat(15_000) + "x.xml:1: AAPT: error: x",
      "/h/.gradle/caches/transforms-1/files-1.1/" + "a (:[\\".repeat(40_000) + "x.xml:1: AAPT: error: x",
      "/h" + "/.gradle/caches/transforms-1/files-1.1/a".repeat(5_000) + "/x.xml:1: AAPT: error: x"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.length).toBeLessThanOrEqual(2);
    // (in Gradle 4's transforms cache: a 200 KB library folder, and one of many cache folders)
    const cached = "/h/.gradle/caches/transforms-1/files-1.1/" + "a (:[".repeat(40_000) + ".aar/0123456789abcdef0123456789abcdef/res/v/x.xml";
    expect(placePath(cached)).toBe("a (:[".repeat(40_000) + "/res/v/x.xml");
    expect(placePath("/h" + "/.gradle/caches/transforms-1/files-1.1/a".repeat(5_000) + "/0123456789abcdef0123456789abcdef/x.xml")).toBe("a/x.xml");
  });
  it("200 KB Android Studio lines of spaces, parentheses, commas, colons and digits return", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time; the first
    // line, no Android Studio place, once took GNU ld's section pattern minutes)
    const lines = ["Error:(" + "1, ".repeat(70_000) + "1) x", "Error:(1, 1)" + " ".repeat(200_000) + "x",
      "Warning:(" + "(1, 2): ".repeat(25_000), "Error:(1, 2) java:" + " ".repeat(200_000) + "error: x",
      "Error:(1, 2) " + "java: ".repeat(35_000), "Error:(1, 2) java: cannot find symbol" + " (".repeat(100_000),
      "Error:Execution failed for task '" + "' :".repeat(70_000) + "'.", "Information:" + ": (1, 2)".repeat(25_000)];
    const got = parseLog(lines.map((l) => `${l}\n${l}`).join("\n")).diagnostics;
    expect(got.map((d) => [d.where, d.category, d.message.slice(0, 24)])).toEqual([
      ["tool/gradle", "gradle", "x"], ["tool/gradle", "gradle", "x"],
      ["tool/gradle", "javac", "x"], ["tool/gradle", "javac", "x"],
      ["tool/gradle", "javac", "java: ".repeat(4)], ["tool/gradle", "javac", "java: ".repeat(4)],
      ["tool/gradle", "javac", "cannot find symbol: ( ( "], ["tool/gradle", "javac", "cannot find symbol: ( ( "]]);
  });
  it("200 KB TeamCity service messages of spaces, quotes, pipes and brackets return", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["##teamcity[buildProblem description='" + "|".repeat(200_000) + "']", "##teamcity[message text='" + "|'".repeat(100_000),
      "##teamcity[message " + "a='' ".repeat(40_000) + "status='ERROR' text='x']", "##teamcity[inspection " + " ".repeat(200_000) + "x",
      "##teamcity[buildProblem description='" + "[]|[|]".repeat(30_000) + "']", "##teamcity[message text='" + "'".repeat(200_000) + "']",
      "##teamcity[buildProblem description='" + "a(".repeat(100_000) + "']", "##teamcity[message text='" + " ".repeat(200_000) + "x' status='ERROR']",
      "##teamcity[inspection typeId='x' file='" + "a/".repeat(100_000) + "' message='" + "|0x".repeat(50_000) + "']"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.length).toBeLessThanOrEqual(2);
  });
  it("200 KB job-log annotations of spaces, quotes, pipes and brackets return", () => {
    // (no timing assertion: a quadratic pattern would not return in the test's time)
    const lines = ["##[error]" + " ".repeat(200_000) + "x", "##[error]" + "'\"".repeat(100_000), "##[warning]" + "|".repeat(200_000),
      "##[error]" + "[]".repeat(100_000), "##[error]##[warning]".repeat(10_000) + "x", "##[error]" + "%0A ".repeat(50_000) + "x",
      "##[error]" + "\r ".repeat(100_000) + "x", "##[error]Process completed with exit code " + "1".repeat(200_000),
      // (the text's lines were joined by a pattern that read a run of spaces in quadratic time, `::error::` too)
      "##[error]a" + " ".repeat(200_000) + "b", "::error::a" + " ".repeat(200_000) + "b", "##[warning]a" + "'| [".repeat(50_000) + "b"];
    for (const l of lines) expect(parseLog(`${l}\n${l}\n`).diagnostics.length).toBeLessThanOrEqual(2);
  });
  it("1 MB Go, Bazel and cppcheck lines are one diagnostic each, read in linear time", () => {
    const go = parseLog(`a.go:1:2: ${"x (".repeat(300_000)}lint)\n`).diagnostics;
    expect(go.map((d) => [d.category, d.message.length])).toEqual([["lint", 900_000 - 2]]);
    const bazel = parseLog(`ERROR: /w/BUILD:1:2: ${": error executing ".repeat(50_000)}\nERROR: ${"a/".repeat(500_000)}BUILD:1:x\n`).diagnostics;
    expect(bazel.map((d) => d.category)).toEqual(["bazel", "bazel"]);
    const cpp = parseLog(`a.cpp:1:1: style: ${"x [".repeat(300_000)}nullPointer]\n`).diagnostics;
    expect(cpp.map((d) => [d.category, d.message.length])).toEqual([["nullPointer", 900_000 - 2]]);
  });
  it("a 1 MB line of \"[File:\" in an Unreal ensure (or any channel line) is one diagnostic, read in linear time", () => {
    // (the `[….vcxproj]` suffix was once looked for from every `[`)
    const s = "[File:".repeat(170_000);
    const log = `LogOutputDevice: Error: === Handled ensure: ===\nLogOutputDevice: Error: Ensure condition failed: ${s}\nLogCook: Error: ${s}\n`;
    expect(parseLog(log).diagnostics.map((d) => d.category)).toEqual(["LogOutputDevice", "LogCook"]);
  });
  it("a 1 MB Unity shader line of spaces, and a 1 MB message of paths, are one diagnostic each", () => {
    const unity = parseLog(`Shader error in 'x': a${" ".repeat(1_000_000)}b at line 3 (on d3d11)\n`).diagnostics;
    expect(unity.map((d) => [d.where, d.message.length])).toEqual([["unity-shader/x", 1_000_002]]);
    const paths = diagnosticsToIssues(parseLog(`LogCook: Error: ${" /a/b".repeat(200_000)}\n`).diagnostics, { source_roots: ["/a"] });
    expect(paths.map((i) => i.message.slice(0, 9))).toEqual(["b b b b b"]);
  });
  it("1 MB glslang and Unreal shader lines are one diagnostic each, read in linear time", () => {
    // (glslang's file ends at its first colon; a shader's place at the first `(`, `:` or tab)
    const glsl = parseLog(`ERROR: ${"a".repeat(1_000_000)}.frag:3: 'x' : y\nWARNING: 0:${"1".repeat(1_000_000)}\n`).diagnostics;
    expect(glsl.map((d) => d.category)).toEqual(["glslang", "glslang"]);
    const shader = `LogShaderCompilers: Error: ${"a.usf".repeat(200_000)}(1): Shader F, Permutation 1, VF None:\t${"/b.usf".repeat(150_000)}(2,3): error X3004: z`;
    const ds = parseLog(`${shader}\nLogShaderCompilers: Error: ${"a.usf(".repeat(160_000)}\n`).diagnostics;
    expect(ds.map((d) => [d.category, d.message])).toEqual([["LogShaderCompilers", "X3004: z"], ["LogShaderCompilers", "a.usf(".repeat(160_000)]]);
  });
  // (messages with long runs of spaces or word characters: the `(compiling source file …)`
  // suffix was looked for after every space, and a source path along the whole run)
  const messages = ["a" + " ".repeat(1_000_000) + "b", "a ".repeat(500_000), "a.".repeat(500_000), "a\\".repeat(500_000),
    "(compiling source file x ".repeat(40_000), "x".repeat(1_000_000)];
  for (const m of messages) {
    it(`a channel line and a compiler line with a 1 MB message of ${JSON.stringify(m.slice(0, 6))}… are one diagnostic each`, () => {
      const ds = parseLog(`LogCook: Error: ${m}\nsrc/a.cpp:3:1: warning: ${m}\n`).diagnostics;
      expect(ds.map((d) => d.category)).toEqual(["LogCook", "compiler"]);
      expect(ds.map((d) => d.message.slice(0, 2))).toEqual([m.slice(0, 2), m.slice(0, 2)]);
    });
  }
});
