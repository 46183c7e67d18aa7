/**
 * The identity of the code that computes a result: a SHA-256 over the import closure of an entry module
 * (every local module it reaches through static `import`/`export ... from`, side-effect `import "..."`
 * and literal dynamic `import("...")`, found by walking the module graph) and the npm packages that
 * closure imports, with the versions `deno.json` pins. Part of every cached training or evaluation
 * result's key, so that editing any module in the closure (the trainer, `lib/eval/metrics.ts`, ...) or
 * upgrading a numerical package misses the cache, while editing a report module or a notebook does not.
 *
 * Paths are taken relative to the folder of the nearest `deno.json` above the entry, so a clone in
 * another folder has the same identity. Modules started as workers (`new Worker(new URL(...))`) and
 * computed dynamic imports are not followed (`deno info` does not follow them either).
 *
 * @example
 * ```ts
 * import { codeIdentity } from "./code_identity.ts";
 * const id = codeIdentity(new URL("../experiments/probing.ts", import.meta.url));
 * id.hash;                       // 64 hex digits
 * id.files.includes("lib/eval/metrics.ts");
 * id.packages["onnxruntime-node"]; // "npm:onnxruntime-node@1.30.0"
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256HexSync as sha256, stableJson } from "../core/hash.ts";
import { importSpecifiers } from "../core/import_specifiers.ts";

/** What a result's code is: the closure's files with their contents' hash, and the packages it imports. */
export interface CodeIdentity {
  /** SHA-256 (hex) of the files (relative paths and contents) and the packages. */
  hash: string;
  /** The entry modules, relative to `root`. */
  entries: string[];
  /** Folder of the `deno.json` the paths are relative to. */
  root: string;
  /** Local modules of the closure, relative to `root` (`/`-separated), sorted. */
  files: string[];
  /** SHA-256 (hex) of each file's bytes, by relative path. */
  fileHashes: Record<string, string>;
  /** npm (and other non-local) packages the closure imports: name -> pinned specifier (`npm:name@version`). */
  packages: Record<string, string>;
}

/** Modules whose imports are followed (other local files, e.g. JSON, are hashed but not parsed). */
const SCRIPT = /\.(?:ts|tsx|mts|js|mjs|jsx)$/;

/** A module path from a path or a `file:` URL. */
function toPath(entry: string | URL): string {
  const s = entry instanceof URL ? entry.href : entry;
  if (s.startsWith("file:")) return fileURLToPath(s);
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) throw new Error(`code identity: "${s}" is not a local module (a path or a file: URL)`);
  return resolve(s);
}

/** The folder of the nearest `deno.json` (or `deno.jsonc`) at or above `dir`. */
export function projectRootOf(dir: string): string {
  for (let d = resolve(dir);; d = dirname(d)) {
    if (existsSync(join(d, "deno.json")) || existsSync(join(d, "deno.jsonc"))) return d;
    if (dirname(d) === d) throw new Error(`code identity: no deno.json at or above ${dir}`);
  }
}

/** The `imports` map of the `deno.json` in `root` (empty when it has none). */
function importMap(root: string): Record<string, string> {
  const file = existsSync(join(root, "deno.json")) ? join(root, "deno.json") : join(root, "deno.jsonc");
  try {
    const json = JSON.parse(readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, "")) as { imports?: Record<string, string> };
    return json.imports ?? {};
  } catch (err) {
    throw new Error(`code identity: ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The package an npm specifier names, and the specifier itself (`npm:@scope/name@1.2.3/sub` -> `@scope/name`). Pure. */
function npmPackage(spec: string): { name: string; pinned: string } {
  const body = spec.slice("npm:".length).replace(/^\//, "");
  const parts = body.split("/");
  const scoped = body.startsWith("@");
  const nameAndVersion = scoped ? `${parts[0]}/${parts[1]}` : parts[0];
  const at = nameAndVersion.lastIndexOf("@");
  const name = at > 0 ? nameAndVersion.slice(0, at) : nameAndVersion;
  return { name, pinned: `npm:${nameAndVersion}` };
}

/** How a specifier resolves: a local file, a package with its pinned specifier, or a built-in (node:). */
type Resolved = { local: string } | { package: string; pinned: string } | { builtin: string };

/** Resolve one specifier of `from` against the import map (bare names, longest prefix first). */
function resolveSpecifier(spec: string, from: string, imports: Record<string, string>): Resolved {
  if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/")) return { local: resolve(dirname(from), spec) };
  if (spec.startsWith("file:")) return { local: fileURLToPath(spec) };
  if (spec.startsWith("node:")) return { builtin: spec };
  if (spec.startsWith("npm:")) {
    const p = npmPackage(spec);
    return { package: p.name, pinned: p.pinned };
  }
  if (/^(?:jsr|https?):/.test(spec)) return { package: spec, pinned: spec };
  const key = Object.keys(imports).filter((k) => spec === k || (k.endsWith("/") ? spec.startsWith(k) : spec.startsWith(`${k}/`)))
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) {
    throw new Error(`code identity: ${from} imports "${spec}", which is neither a relative path nor in deno.json "imports" (${Object.keys(imports).join(", ")})`);
  }
  const target = imports[key];
  if (target.startsWith("npm:")) {
    const p = npmPackage(target);
    return { package: p.name, pinned: p.pinned };
  }
  if (target.startsWith("node:")) return { builtin: target };
  if (/^(?:jsr|https?):/.test(target)) return { package: key, pinned: target };
  return { local: resolve(dirname(from), spec.replace(key, target)) };
}

/** What the walk needs of one module file: the SHA-256 of its bytes and, for a script, its import specifiers. */
export interface ScannedModule {
  sha256: string;
  specifiers: string[];
}

/** Read a module file once: its hash and (scripts only) the specifiers it imports. */
export function scanModule(path: string): ScannedModule {
  const bytes = readFileSync(path);
  return { sha256: sha256(bytes), specifiers: SCRIPT.test(path) ? importSpecifiers(bytes.toString("utf8")) : [] };
}

/**
 * The import closure of `entries`: its local files (absolute paths, sorted), their hashes and the packages
 * it imports (name -> pinned specifier). Each file is read once, through `scan`; a missing module is an
 * error naming its importer.
 */
export function moduleClosure(
  entries: readonly (string | URL)[],
  root?: string,
  scan: (path: string) => ScannedModule = scanModule,
): { root: string; files: string[]; hashes: Record<string, string>; packages: Record<string, string> } {
  const paths = entries.map(toPath);
  if (!paths.length) throw new Error("code identity: no entry module");
  for (const p of paths) if (!existsSync(p)) throw new Error(`code identity: the entry module ${p} does not exist`);
  const base = root ?? projectRootOf(dirname(paths[0]));
  const imports = importMap(base);
  const hashes: Record<string, string> = {}, packages: Record<string, string> = {};
  const queue = paths.map((p) => ({ path: p, from: "(entry)" }));
  while (queue.length) {
    const { path, from } = queue.pop()!;
    if (path in hashes) continue;
    if (!existsSync(path)) throw new Error(`code identity: ${from} imports ${path}, which does not exist`);
    const module = scan(path);
    hashes[path] = module.sha256;
    for (const spec of module.specifiers) {
      const r = resolveSpecifier(spec, path, imports);
      if ("local" in r) queue.push({ path: r.local, from: path });
      else if ("package" in r) packages[r.package] = r.pinned;
    }
  }
  return {
    root: base,
    files: Object.keys(hashes).sort(),
    hashes,
    packages: Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Relative, `/`-separated path (the same on every system and in every clone). */
const rel = (root: string, path: string) => relative(root, path).split(sep).join("/");

/**
 * The code identity of `entries`, read from disk now (no memo unless `scan` keeps one): what
 * {@link codeIdentity} keeps per process. Use this one to compare other trees (e.g. an edited copy of `lib/`).
 */
export function computeCodeIdentity(entries: CodeEntries, root?: string, scan: (path: string) => ScannedModule = scanModule): CodeIdentity {
  const list = entryList(entries);
  const closure = moduleClosure(list, root, scan);
  const fileHashes: Record<string, string> = {};
  for (const f of closure.files) fileHashes[rel(closure.root, f)] = closure.hashes[f];
  const files = Object.keys(fileHashes).sort();
  const hash = sha256(stableJson({ files: fileHashes, packages: closure.packages }));
  return { hash, entries: list.map((e) => rel(closure.root, toPath(e))), root: closure.root, files, fileHashes, packages: closure.packages };
}

/**
 * Process-wide memo, on purpose: a Jupyter kernel keeps the modules it loaded even after their files are
 * edited on disk, so the identity must describe the files as they were when the code was LOADED, and keep
 * describing them for the life of the process. Reading the files again at each use would key results of
 * the old, running code with the hash of the edited code. Modules that cache results take their snapshot
 * when they are evaluated ({@link takeCodeSnapshot} at top level), right after Deno loaded them.
 */
const snapshots = new Map<string, CodeIdentity | Error>();
/** The files the snapshots read, each once per process (the snapshots' closures overlap). */
const scannedAtLoad = new Map<string, ScannedModule>();
const scanOnce = (path: string): ScannedModule => {
  let m = scannedAtLoad.get(path);
  if (!m) scannedAtLoad.set(path, m = scanModule(path));
  return m;
};

/** One or several entry modules (paths or `file:` URLs, e.g. `import.meta.url`). */
export type CodeEntries = string | URL | readonly (string | URL)[];

const entryList = (entries: CodeEntries): (string | URL)[] => (Array.isArray(entries) ? [...entries] : [entries as string | URL]);
/** The memo's key: the entries' paths (their text when not local: the snapshot then keeps the error). */
const snapshotKey = (entries: CodeEntries) =>
  entryList(entries).map((e) => {
    try {
      return toPath(e);
    } catch {
      return String(e);
    }
  }).sort().join("\n");

/**
 * Record the identity of the code of `entries` now, once per process (later calls keep the first
 * snapshot). Never throws: a failure (no read permission, a missing module) is kept and thrown by
 * {@link codeIdentity}.
 */
export function takeCodeSnapshot(entries: CodeEntries): void {
  const key = snapshotKey(entries);
  if (snapshots.has(key)) return;
  try {
    snapshots.set(key, computeCodeIdentity(entries, undefined, scanOnce));
  } catch (err) {
    snapshots.set(key, err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * The identity of the code of `entries` (paths or `import.meta.url`s) as this process loaded it: taken at
 * the first call (or {@link takeCodeSnapshot}) and kept for the life of the process.
 */
export function codeIdentity(entries: CodeEntries): CodeIdentity {
  takeCodeSnapshot(entries);
  const id = snapshots.get(snapshotKey(entries))!;
  if (id instanceof Error) throw id;
  return id;
}

/**
 * Files of this process's code snapshots that differ on disk now (edited, or removed), relative to their
 * project root, sorted: code the process runs but a restarted kernel would not. Reads the files.
 */
export function codeChangedOnDisk(): string[] {
  const changed = new Set<string>();
  for (const id of snapshots.values()) {
    if (id instanceof Error) continue;
    for (const [file, hash] of Object.entries(id.fileHashes)) {
      const path = join(id.root, file);
      if (!existsSync(path) || sha256(readFileSync(path)) !== hash) changed.add(file);
    }
  }
  return [...changed].sort();
}
