/**
 * Cache keys cover the code: the code identity is the import closure found from the module graph (the
 * same local files as `deno info`), one changed byte of a module in the closure changes it and a file
 * outside the closure does not, a process keeps the identity of the code it loaded, and end to end, in a
 * copy of the repo, a cached probing run is trained, then served from the cache, then trained again after
 * one line of the copy's `lib/eval/metrics.ts` is edited.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { importSpecifiers } from "../lib/core/import_specifiers.ts";
import { codeChangedOnDisk, codeIdentity, computeCodeIdentity, moduleClosure } from "../lib/runtime/code_identity.ts";
import { cacheCounts, cacheLedger, cacheLine, cacheReport } from "../lib/report/cache_report.ts";
import { memoResult } from "../lib/runtime/memo.ts";
import { cacheKey } from "../lib/core/hash.ts";

const PROBING = join(REPO_ROOT, "lib", "experiments", "probing.ts");

Deno.test("importSpecifiers: static, re-export, side-effect, type and literal dynamic imports; not comments, strings, templates or regexes", () => {
  const source = [
    `/**`,
    ` * @example`,
    ` * import { x } from "./in-a-doc-comment.ts";`,
    ` */`,
    `// import "./in-a-line-comment.ts";`,
    `import { a,`,
    `  type B } from "./a.ts";`,
    `import type { C } from '../c.ts';`,
    `import * as d from "@scope/d";`,
    `import "./side-effect.ts";`,
    `export * from "./e.ts";`,
    `export { f as g } from "./f.ts";`,
    `export type { H } from "./h.ts";`,
    `const s = "import { y } from './in-a-string.ts'";`,
    "const t = `import { z } from \"./in-a-template.ts\" ${s}`;",
    `const r = /import "\\.\\/in-a-regex.ts"/;`,
    `const q = a / 2; const u = import.meta.url;`,
    `const m = await import("./dynamic.ts");`,
    `const n = await import(u); // computed: not followed`,
    `export const from = "./not-a-specifier.ts";`,
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), ["./a.ts", "../c.ts", "@scope/d", "./side-effect.ts", "./e.ts", "./f.ts", "./h.ts", "./dynamic.ts"]);
});

/**
 * The local modules and npm packages of `deno info --json` for `entry`. With `--node-modules-dir=manual`
 * (no network) a package shows as an "external" module under `node_modules/.deno/<name>@<version>/`.
 */
async function denoInfo(entry: string): Promise<{ files: string[]; npm: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", "--node-modules-dir=manual", entry], cwd: REPO_ROOT, stdout: "piped", stderr: "piped" }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: { specifier: string; kind: string }[] };
  const files = info.modules.filter((m) => m.specifier.startsWith("file:") && m.kind !== "external").map((m) => fileURLToPath(m.specifier));
  const npm = info.modules.filter((m) => m.kind === "external").flatMap((m) => {
    const dir = /\/node_modules\/\.deno\/([^/]+)\/node_modules\//.exec(m.specifier)?.[1]; // "@scope+name@1.2.3"
    return dir ? [`npm:${decodeURIComponent(dir).replace("+", "/")}`] : [];
  });
  return { files: files.sort(), npm: [...new Set(npm)].sort() };
}

Deno.test("the walker finds the same local modules and npm packages as deno info (probing, caption models, ASIF captions, the ladder)", async () => {
  for (const entry of ["lib/experiments/probing.ts", "lib/experiments/caption_model.ts", "lib/experiments/caption_eval.ts", "lib/encoders/text/skipgram_ladder.ts", "lib/runtime/tf_backend.ts"]) {
    const ours = moduleClosure([join(REPO_ROOT, entry)]);
    const theirs = await denoInfo(entry);
    assert.deepEqual(ours.files, theirs.files, `${entry}: local modules`);
    assert.deepEqual(Object.values(ours.packages).sort(), theirs.npm, `${entry}: npm packages`);
  }
  const probing = moduleClosure([PROBING]);
  assert.ok(probing.files.includes(join(REPO_ROOT, "lib", "eval", "metrics.ts")) && probing.files.includes(join(REPO_ROOT, "lib", "train", "trainer.ts")));
  assert.equal(probing.packages["onnxruntime-node"], JSON.parse(readFileSync(join(REPO_ROOT, "deno.json"), "utf8")).imports["onnxruntime-node"]);
});

Deno.test("code identity rejects what it cannot describe, naming the file: a missing module, an unknown bare specifier, a remote entry", async () => {
  const root = await Deno.makeTempDir();
  try {
    writeFileSync(join(root, "deno.json"), JSON.stringify({ imports: { "onnxruntime-node": "npm:onnxruntime-node@1.30.0" } }));
    writeFileSync(join(root, "a.ts"), `import { b } from "./missing.ts";\n`);
    writeFileSync(join(root, "c.ts"), `import pad from "left-pad";\n`);
    writeFileSync(join(root, "d.ts"), `import * as ort from "onnxruntime-node";\nimport { x } from "npm:@scope/pkg@2.0.1/sub";\nimport { join } from "node:path";\n`);
    assert.throws(() => computeCodeIdentity(join(root, "a.ts")), /a\.ts imports .*missing\.ts, which does not exist/);
    assert.throws(() => computeCodeIdentity(join(root, "c.ts")), /c\.ts imports "left-pad", which is neither a relative path nor in deno\.json "imports" \(onnxruntime-node\)/);
    assert.throws(() => codeIdentity("https://example.org/lib/x.ts"), /not a local module/);
    assert.deepEqual(computeCodeIdentity(join(root, "d.ts")).packages, { "@scope/pkg": "npm:@scope/pkg@2.0.1", "onnxruntime-node": "npm:onnxruntime-node@1.30.0" });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A copy of the repo's lib/, deno.json and notebooks/ in a temporary folder. */
async function copyOfRepo(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "sharelock-code-" });
  for (const part of ["lib", "deno.json", "deno.lock", "notebooks"]) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true });
  return root;
}

/** Replace the first line of a file with itself plus a comment: one line changed, the code's behaviour not. */
function editFirstLine(path: string) {
  const text = readFileSync(path, "utf8");
  writeFileSync(path, text.replace("\n", " // edited\n"));
}

Deno.test("code identity: the same in a copy of the repo; one changed byte in the closure changes it; a report module, a notebook or an unused package does not", async () => {
  const root = await copyOfRepo();
  try {
    const entry = join(root, "lib", "experiments", "probing.ts");
    const base = computeCodeIdentity(entry);
    assert.equal(base.hash, computeCodeIdentity(PROBING).hash, "paths are relative to deno.json: a clone elsewhere has the same identity");
    assert.match(base.hash, /^[0-9a-f]{64}$/);

    assert.ok(!base.files.includes("lib/report/display.ts"), "lib/report/display.ts is outside the probing closure");
    for (const outside of ["lib/report/display.ts", "lib/report/summary.ts", "notebooks/01_zero_shot_probing.ipynb"]) {
      editFirstLine(join(root, outside));
      assert.equal(computeCodeIdentity(entry).hash, base.hash, `editing ${outside} keeps the key`);
    }
    const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    writeFileSync(join(root, "deno.json"), JSON.stringify({ ...deno, imports: { ...deno.imports, "playwright-core": "npm:playwright-core@0.0.1" } }));
    assert.equal(computeCodeIdentity(entry).hash, base.hash, "a package the closure does not import is not part of it");

    const metrics = join(root, "lib", "eval", "metrics.ts");
    const original = readFileSync(metrics);
    const flipped = new Uint8Array(original);
    flipped[flipped.length - 2] ^= 1; // one byte
    writeFileSync(metrics, flipped);
    const edited = computeCodeIdentity(entry);
    assert.notEqual(edited.hash, base.hash, "one byte of lib/eval/metrics.ts changes the key");
    assert.deepEqual(Object.keys(edited.fileHashes).filter((f) => edited.fileHashes[f] !== base.fileHashes[f]), ["lib/eval/metrics.ts"]);
    writeFileSync(metrics, original);
    assert.equal(computeCodeIdentity(entry).hash, base.hash, "restoring the byte restores the key");

    writeFileSync(join(root, "deno.json"), JSON.stringify({ ...deno, imports: { ...deno.imports, "onnxruntime-node": "npm:onnxruntime-node@1.29.0" } }));
    assert.notEqual(computeCodeIdentity(entry).hash, base.hash, "another version of a numerical package changes the key");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("codeIdentity keeps the identity of the code as the process loaded it; codeChangedOnDisk names what was edited since", async () => {
  const root = await copyOfRepo();
  try {
    const entry = join(root, "lib", "experiments", "probing.ts");
    const loaded = codeIdentity(entry);
    assert.deepEqual(codeChangedOnDisk().filter((f) => f.startsWith("lib/eval/")), []);
    editFirstLine(join(root, "lib", "eval", "metrics.ts"));
    assert.equal(codeIdentity(entry).hash, loaded.hash, "a running process (a kernel) keeps the code it loaded, so it keeps its identity");
    assert.notEqual(computeCodeIdentity(entry).hash, loaded.hash);
    assert.ok(codeChangedOnDisk().includes("lib/eval/metrics.ts"));
    const line = cacheReport({ fromCache: 1, computed: 0 }, "01_zero_shot_probing").bundle["text/plain"];
    assert.match(line, /lib\/eval\/metrics\.ts/);
    assert.match(line, /restart the kernel/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache ledger and line: counts by the cached flag, the command names the notebook's number", () => {
  const ledger = cacheLedger();
  const r = { cached: true, value: 1 };
  assert.equal(ledger.count(r), r, "count returns the result unchanged");
  ledger.count({ cached: false });
  ledger.count({ cached: false });
  assert.deepEqual(cacheCounts(ledger), { fromCache: 1, computed: 2 });
  assert.deepEqual(cacheCounts([{ cached: true }, { cached: true }, { cached: false }]), { fromCache: 2, computed: 1 });
  assert.equal(
    cacheLine({ fromCache: 40, computed: 35 }, "01_zero_shot_probing"),
    "runs: 40 from the cache, 35 computed now; to recompute everything: SHARELOCK_NO_MEMO=1 deno task report 01",
  );
  assert.match(cacheLine({ fromCache: 0, computed: 3 }, "07_ablations", ["lib/eval/metrics.ts"]), /report 07\. Changed on disk .*lib\/eval\/metrics\.ts.*restart the kernel/);
});

Deno.test("memoResult: says whether it came from the cache; a damaged file or one holding another key is recomputed; SHARELOCK_NO_MEMO=1 recomputes", async () => {
  const cache = await Deno.makeTempDir();
  const before = Deno.env.get("SHARELOCK_NO_MEMO");
  try {
    Deno.env.delete("SHARELOCK_NO_MEMO");
    let calls = 0;
    const compute = () => Promise.resolve({ n: ++calls });
    const key = { x: 1, code: "a" };
    assert.deepEqual(await memoResult("t", key, compute, cache), { value: { n: 1 }, cached: false });
    assert.deepEqual(await memoResult("t", key, compute, cache), { value: { n: 1 }, cached: true });
    const file = join(cache, "results", "t", `${await cacheKey(key)}.json`);
    writeFileSync(file, readFileSync(file, "utf8").slice(0, 10));
    assert.deepEqual(await memoResult("t", key, compute, cache), { value: { n: 2 }, cached: false }, "a truncated file is recomputed");
    writeFileSync(file, JSON.stringify({ key: { x: 2, code: "a" }, value: { n: 99 } }));
    assert.deepEqual(await memoResult("t", key, compute, cache), { value: { n: 3 }, cached: false }, "a file holding another key is not served");
    Deno.env.set("SHARELOCK_NO_MEMO", "1");
    assert.deepEqual(await memoResult("t", key, compute, cache), { value: { n: 4 }, cached: false });
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_NO_MEMO");
    else Deno.env.set("SHARELOCK_NO_MEMO", before);
    await Deno.remove(cache, { recursive: true });
  }
});

/** Run the toy cached probing run in `root` with its own cache folder; its JSON line. */
async function toyRun(root: string, cache: string): Promise<{ cached: boolean; code: string; unseen: number; seen: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--node-modules-dir=manual", "--cached-only", join(root, "tests", "fixtures", "cached_probing_run.ts")],
    cwd: root,
    env: { SHARELOCK_CACHE_DIR: cache, SHARELOCK_NO_MEMO: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `toy run failed:\n${new TextDecoder().decode(out.stderr).slice(-3000)}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("end to end on a toy world: trained, then from the cache, then trained again after one line of lib/eval/metrics.ts changes", async () => {
  const root = await Deno.makeTempDir({ prefix: "sharelock-toy-" });
  try {
    for (const part of ["lib", "deno.json", "deno.lock", "tests/fixtures/toy.ts", "tests/fixtures/cached_probing_run.ts"]) {
      cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true });
    }
    await Deno.symlink(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
    const cache = join(root, ".cache");
    const results = () => [...Deno.readDirSync(join(cache, "results", "probing"))].length;

    const first = await toyRun(root, cache);
    assert.equal(first.cached, false, "first run: trained");
    const second = await toyRun(root, cache);
    assert.equal(second.cached, true, "second run: served from the cache");
    assert.deepEqual({ ...second, cached: false }, first);
    assert.equal(results(), 1);

    editFirstLine(join(root, "lib", "eval", "metrics.ts"));
    const third = await toyRun(root, cache);
    assert.equal(third.cached, false, "after editing lib/eval/metrics.ts: trained and evaluated again, not served from the cache");
    assert.notEqual(third.code, first.code);
    assert.equal(results(), 2, "under a new key");
    assert.deepEqual([third.unseen, third.seen], [first.unseen, first.seen], "the edit changed no behaviour: the same numbers");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
