import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

interface Cell {
  cell_type: string;
  source: string | string[];
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const dir = join(REPO_ROOT, "notebooks");
const notebooks = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".ipynb")).map((e) => join(dir, e.name)).sort();
const read = (p: string) => JSON.parse(Deno.readTextFileSync(p)) as { cells: Cell[]; metadata: { kernelspec?: { name: string } } };

Deno.test("there is one notebook per paper section, 00 to 07", () => {
  assert.deepEqual(notebooks.map((p) => basename(p).slice(0, 3)), ["00_", "01_", "02_", "03_", "04_", "05_", "06_", "07_"]);
});

Deno.test("every section notebook: Deno kernel, scale switch, preflight, results, summary figures, a computed finding, the paper cited", () => {
  for (const p of notebooks.filter((p) => !basename(p).startsWith("00_"))) {
    const nb = read(p), name = basename(p, ".ipynb");
    assert.equal(nb.metadata.kernelspec?.name, "deno", `${name}: kernel`);
    const code = nb.cells.filter((c) => c.cell_type === "code").map(text).join("\n");
    const md = nb.cells.filter((c) => c.cell_type === "markdown").map(text).join("\n");
    assert.match(code, /SHARELOCK_SCALE/, `${name}: the scale switch`);
    assert.match(code, /preflight\(|captionNotebookSetup\(/i, `${name}: a preflight check`);
    assert.match(code, new RegExp(`recordFigures\\("${name}"`), `${name}: key figures into summary.json`);
    assert.match(code, new RegExp(`writeResults\\("${name}"`), `${name}: raw results parquet`);
    assert.match(code, /Finding \(this run\)/, `${name}: the finding is written by code from this run's numbers`);
    assert.match(md, /data\/paper\//, `${name}: cites the paper's table it shows`);
    assert.match(code, /sl\.progress\(|cachedProbingRun|captionModel/, `${name}: long steps show progress or are cached`);
  }
});

Deno.test("every notebook's code type-checks as one module", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const files: string[] = [];
    for (const p of notebooks) {
      const code = read(p).cells.filter((c) => c.cell_type === "code").map(text).join("\n\n")
        .replaceAll(`"../lib/mod.ts"`, JSON.stringify(join(REPO_ROOT, "lib", "mod.ts")));
      const f = join(tmp, `${basename(p, ".ipynb")}.ts`);
      await Deno.writeTextFile(f, `${code}\nexport {};\n`);
      files.push(f);
    }
    const out = await new Deno.Command(Deno.execPath(), { args: ["check", "--config", join(REPO_ROOT, "deno.json"), ...files], cwd: REPO_ROOT, stdout: "piped", stderr: "piped" }).output();
    const msg = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    assert.ok(out.success, `type errors in notebook code:\n${msg.slice(0, 3000)}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
