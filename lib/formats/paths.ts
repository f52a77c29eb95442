// Where a reported file lives, independent of who reports it: separators and drive
// letters unified, `.` and `..` resolved, and build roots stripped — the roots the
// caller names (source_roots: per report, ?source_root=, --source-root) and the
// workspace shapes of common CI systems, and the install folders of the MSVC toolset and
// the Windows SDK (see toolchainPath) — so the same file has the same path from
// agent A and agent B, from a log and from SARIF, and never depends on which other
// files had findings. A path that cannot be placed under a root keeps its absolute
// folders (without the leading slash or drive), so it stays distinguishable.

/**
 * Workspace shapes of CI systems, matched against the cleaned absolute path:
 * everything up to and including the match is the build root.
 */
export const WORKSPACE_ROOTS: RegExp[] = [
  /^(?:[a-z]:)?\/(?:.*\/)?workspace\/[^/]+\//i,             // Jenkins …/workspace/<job>/ (and <job>@2)
  /^\/(?:home\/runner\/work|__w)\/[^/]+\/[^/]+\//,           // GitHub Actions (Linux, containers)
  /^\/Users\/runner\/work\/[^/]+\/[^/]+\//,                    // GitHub Actions (macOS)
  /^[a-z]:\/a\/\d+\/s\//i,                                   // Azure Pipelines (Windows) D:\a\1\s\
  /^[a-z]:\/a\/[^/]+\/[^/]+\//i,                               // GitHub Actions (Windows) D:\a\<repo>\<repo>\
  /^(?:[a-z]:)?\/(?:.*\/)?_?work\/\d+\/s\//i,                 // Azure Pipelines agents …/work/1/s/, self-hosted …/_work/1/s/
  /^\/builds\/[^/]+\/[^/]+\//,                                 // GitLab runner /builds/<group>/<project>/
  /^(?:[a-z]:)?\/(?:.*\/)?buildagent\/work\/[0-9a-f]{8,}\//i,  // TeamCity …/BuildAgent/work/<hash>/
  /^(?:[a-z]:)?\/(?:.*\/)?buildkite-agent\/builds\/[^/]+\/[^/]+\/[^/]+\//i, // Buildkite
  /^[a-z]:\/(?:h|horde)\/[^/]+\/sync\//i,                      // Horde / UGS workspaces D:\h\<stream>\Sync\
  /^\/workspaces\/[^/]+\//,                                   // dev containers and Codespaces /workspaces/<repo>/
  // Dependency caches, whoever's home they are in: a file of a Go module or a Rust crate
  // keeps the module@version or crate-version it belongs to (…/go/pkg/mod/github.com/x/y@v1.2.3/…,
  // …/.cargo/registry/src/<index>/serde-1.0.1/…)
  /^(?:[a-z]:)?\/(?:.*\/)?go\/pkg\/mod\//i,
  /^(?:[a-z]:)?\/(?:.*\/)?\.cargo\/registry\/src\/[^/]+\//i,
  // and a file of an Android library's resources keeps the library it was unpacked from, out of
  // Gradle's transforms cache (…/.gradle/caches/transforms-3/<hash>/transformed/core-1.7.0/res/…,
  // transforms-2/files-2.1/<hash>/core-1.7.0/…, Gradle 8.8's caches/8.9/transforms/<hash>/…): the
  // hash is of the transform, another with each Gradle version
  /^(?:[a-z]:)?\/(?:.*\/)?\.gradle\/caches\/(?:\d+(?:\.\d+)*\/)?transforms(?:-\d+)?\/(?:files-\d+(?:\.\d+)*\/)?[0-9a-f]{32}\/(?:transformed\/)?(?=[^/]+\/)/i,
  // Bazel's output base, ~/.cache/bazel/_bazel_<user>/<md5 of the workspace path>/ (on
  // Windows a short name of 8, C:/users/<user>/_bazel_<user>/t32zp6hb/): its
  // execroot/<workspace>/ (or a sandbox's) is the workspace, its external/<repo>/ stays
  /^(?:[a-z]:)?\/(?:.*\/)?_bazel_[^/]+\/(?:[0-9a-f]{32}|[0-9a-z_]{8})\/(?:(?:sandbox\/[^/]+\/\d+\/)?execroot\/[^/]+\/|(?=external\/))/i,
];

/**
 * A header of the MSVC toolset or of a Windows SDK, wherever it is installed: its folders hold
 * the Visual Studio year and edition and the toolset's or SDK's version (`C:/Program Files
 * (x86)/Microsoft Visual Studio/2019/Professional/VC/Tools/MSVC/14.29.30133/include/xutility`,
 * `…/Windows Kits/10/Include/10.0.19041.0/um/winnt.h`), so a warning raised in one would be
 * another issue at every toolset upgrade and on every agent's edition. It is placed under a
 * fixed name instead, `MSVC/include/xutility` (also Visual Studio 2015's and older `…/Microsoft
 * Visual Studio 14.0/VC/include/xutility`) and `Windows Kits/Include/um/winnt.h` (also the 8.1
 * kit's `…/Windows Kits/8.1/Include/um/winnt.h`): the file within the toolset stays, as a gcc or
 * clang system header keeps its `usr/include/…` folders. Read by segments (linear); the rest of
 * the path keeps the case it was printed in. Undefined for any other path.
 */
function toolchainPath(clean: string): string | undefined {
  const segs = clean.replace(/^[a-z]:\//i, "").replace(/^\//, "").split("/");
  const low = segs.map((x) => x.toLowerCase());
  const rest = (from: number, name: string) => from < segs.length ? [name, ...segs.slice(from)].join("/") : undefined;
  for (let i = 0; i < low.length - 1; i++) {
    const x = low[i];
    // …/VC/Tools/MSVC/<version>/ (Visual Studio 2017 on, any edition, a Build Tools install)
    if (x === "vc" && low[i + 1] === "tools" && low[i + 2] === "msvc" && /^\d+(?:\.\d+)+$/.test(low[i + 3] ?? "")) return rest(i + 4, "MSVC");
    // …/Microsoft Visual Studio 14.0/VC/ (Visual Studio 2015 and older)
    if (/^microsoft visual studio \d+(?:\.\d+)*$/.test(x) && low[i + 1] === "vc") return rest(i + 2, "MSVC");
    // …/Windows Kits/<kit>/Include/[<SDK version>/]
    if (x === "windows kits" && /^\d+(?:\.\d+)?$/.test(low[i + 1] ?? "") && low[i + 2] === "include") {
      return rest(/^\d+(?:\.\d+){3}$/.test(low[i + 3] ?? "") ? i + 4 : i + 3, "Windows Kits/Include");
    }
  }
  return undefined;
}

/**
 * Gradle's older transforms cache names the library before the transform's hash,
 * `~/.gradle/caches/transforms-1/files-1.1/appcompat-v7-27.1.1.aar/<hash>/res/values/values.xml`
 * (Gradle 4): a file there is placed as the library's, `appcompat-v7-27.1.1/res/values/values.xml`,
 * without the agent's home or the hash, and without `.aar` (the name transforms-2 and transforms-3
 * give its folder, see WORKSPACE_ROOTS). Undefined for any other path.
 */
const GRADLE_TRANSFORMS_1 = /^(?:[a-z]:)?\/(?:.*\/)?\.gradle\/caches\/transforms-1\/files-1\.1\/([^/]+)\/[0-9a-f]{32}\/(?=[^/])/i;
function gradleTransforms1(clean: string): string | undefined {
  const m = GRADLE_TRANSFORMS_1.exec(clean);
  return m ? `${m[1].replace(/\.aar$/i, "")}/${clean.slice(m[0].length)}` : undefined;
}

const UNREAL_TOP = new Set(["Engine", "Source", "Plugins", "Content", "Config"]);
const UNREAL_TOP_LOWER = new Map([...UNREAL_TOP].map((x) => [x.toLowerCase(), x]));

/** Unifies separators and resolves `.` and `..`; keeps a leading `/` or drive as a marker. */
export function cleanPath(p: string): string {
  let s = p.trim().replace(/\\/g, "/");
  if (/^file:/i.test(s)) {
    s = s.replace(/^file:(?:\/\/[^/]*)?/i, "");
    try { s = decodeURIComponent(s); } catch { /* keep as is */ }
  }
  s = s.replace(/^\/([a-z]:\/)/i, "$1"); // file:///C:/x
  const drive = /^([a-z]):\//i.exec(s)?.[1];
  const absolute = drive !== undefined || s.startsWith("/");
  const rest = drive ? s.slice(3) : s;
  const out: string[] = [];
  for (const seg of rest.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(seg);
  }
  return (drive ? `${drive.toLowerCase()}:/` : absolute ? "/" : "") + out.join("/");
}

/** Lower-cased for comparison on case-insensitive (Windows) paths. */
const isWindows = (p: string) => /^[a-z]:\//i.test(p);

function stripPrefix(path: string, root: string): string | undefined {
  const r = root.endsWith("/") ? root : root + "/";
  const cmpPath = isWindows(path) ? path.toLowerCase() : path;
  const cmpRoot = isWindows(r) ? r.toLowerCase() : r;
  if (cmpPath.startsWith(cmpRoot)) return path.slice(r.length);
  if (cmpPath === cmpRoot.slice(0, -1)) return "";
  return undefined;
}

/**
 * The path of a reported file relative to its project's source root, `/`-separated,
 * without leading slash or drive. `roots` are the caller's source roots (any
 * separator style); the longest one that contains the path wins, then the CI
 * workspace shapes.
 */
export function placePath(p: string, roots: string[] = []): string {
  const clean = cleanPath(p);
  // (a toolset's header first: under a caller's root or a workspace, a vendored toolset keeps its version too)
  const toolchain = clean.startsWith("/") || isWindows(clean) ? toolchainPath(clean) : undefined;
  if (toolchain) return toolchain;
  const sorted = roots.map(cleanPath).filter(Boolean).sort((a, b) => b.length - a.length);
  for (const r of sorted) {
    const rel = stripPrefix(clean, r);
    if (rel !== undefined && rel !== "") return rel;
  }
  if (clean.startsWith("/") || isWindows(clean)) {
    const lib = gradleTransforms1(clean);
    if (lib) return lib;
    for (const re of WORKSPACE_ROOTS) {
      const m = re.exec(clean);
      if (m && clean.length > m[0].length) return clean.slice(m[0].length);
    }
    const body = clean.replace(/^[a-z]:\//i, "").replace(/^\//, "");
    // An Unreal project or engine tree: its root is the folder holding Engine/,
    // Source/, Plugins/, Content/ or Config/ (the first such segment from the left).
    // Windows paths are case-insensitive and often printed lower-cased (`e:\epic
    // games\ue_4.22\engine\source\…`, MSVC's and the PDBs' spelling): without an
    // exact match the marker is found in any case and written as the tree writes it
    // (`Engine/`); the rest keeps the case it was printed in.
    const segs = body.split("/");
    const inner = (i: number) => i > 0 && i < segs.length - 1;
    let at = segs.findIndex((x, i) => inner(i) && UNREAL_TOP.has(x));
    if (at < 0 && isWindows(clean)) {
      at = segs.findIndex((x, i) => inner(i) && UNREAL_TOP_LOWER.has(x.toLowerCase()));
      if (at > 0) return [UNREAL_TOP_LOWER.get(segs[at].toLowerCase()), ...segs.slice(at + 1)].join("/");
    }
    return at > 0 ? segs.slice(at).join("/") : body;
  }
  // A relative path that climbs out of the folder it was printed in (`../src/a.cpp` from
  // an out-of-source build folder) names the file below the root it climbs to.
  const up = /^(?:\.\.\/)+/.exec(clean);
  return up && clean.length > up[0].length ? clean.slice(up[0].length) : clean;
}

/**
 * The path relative to the build root when `p` lies under one (a caller's source root or a
 * CI workspace shape), else undefined: a folder of the machine that ran the build.
 */
export function underRoot(p: string, roots: string[] = []): string | undefined {
  return underCleanRoots(p, roots.map(cleanPath).filter(Boolean).sort((a, b) => b.length - a.length));
}

/** underRoot with the roots cleaned and sorted longest first once, by the caller. */
function underCleanRoots(p: string, sorted: string[]): string | undefined {
  const clean = cleanPath(p);
  if (!clean.startsWith("/") && !isWindows(clean)) return undefined;
  for (const r of sorted) {
    const rel = stripPrefix(clean, r);
    if (rel) return rel;
  }
  const lib = gradleTransforms1(clean);
  if (lib) return lib;
  for (const re of WORKSPACE_ROOTS) {
    const m = re.exec(clean);
    if (m && clean.length > m[0].length) return clean.slice(m[0].length);
  }
  return undefined;
}

/** An absolute path inside a message: a drive's, or one of two or more `/` segments not after `:`, `/` or a word (but after a flag: `-L/x/y`). */
const AFTER_FLAG = String.raw`(?<=(?:^|[\s'"\x60=(])-[A-Za-z])`;   // -L/x, -IC:\x
const MESSAGE_PATH = new RegExp(
  String.raw`(?:(?:(?<!\w)|${AFTER_FLAG})[A-Za-z]:[\\/]|(?:${AFTER_FLAG}|(?<![\w.:/\\~-]))\/(?=[^\s/'"\x60]+\/))[^\s'"\x60<>|*?()[\]{},;]*`,
  "g");

/**
 * A message with the build roots taken out of the absolute paths it quotes (`directory not
 * found for option '-L/Users/runner/work/atlas/atlas/Libs/ios'`, `cannot open file
 * 'C:\BuildAgent\work\5f2e…\Libs\fmod.lib'`): the workspace of the agent that ran the build
 * is not the identity. A path under no known root is left as printed.
 */
export function placeMessagePaths(message: string, roots: string[] = []): string {
  if (!message.includes("/") && !message.includes("\\")) return message;
  const sorted = roots.map(cleanPath).filter(Boolean).sort((a, b) => b.length - a.length);
  return message.replace(MESSAGE_PATH, (m) => {
    const tail = /[.:]+$/.exec(m)?.[0] ?? "";   // (sentence punctuation after the path)
    const rel = underCleanRoots(m.slice(0, m.length - tail.length), sorted);
    return rel === undefined ? m : rel + tail;
  });
}

/** Joins the report's path prefix (server/project/…) and a placed path. */
export function prefixed(prefix: string | undefined, placed: string): string {
  const pre = prefix ? prefix.replace(/\\/g, "/").replace(/\/+$/, "") : "";
  return pre ? `${pre}/${placed}` : placed;
}
