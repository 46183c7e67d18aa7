/**
 * The notebooks in a real Jupyter front end: the classic Notebook server (Debian `jupyter-notebook`) with
 * the project's Deno kernel, driven by headless Chromium (playwright-core). Opens `00_setup` and the
 * output showcase (every kind of output the section notebooks make, through the same lib functions;
 * a section notebook itself first needs 14 min of feature extraction), runs all cells from the UI menu
 * (Cell > Run All), and checks that polars tables, Plot SVGs and progress displays render and that no
 * cell shows an error. Screenshots go to `outputs/frontend/`.
 * Skipped, saying why, only where Chromium or the Notebook server cannot be installed.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import type { Page } from "playwright-core";
import { ensureChromium, ensureNotebookServer, ensureRunnerKernel, pythonPath } from "../scripts/setup.ts";
import { startNotebookServer } from "../scripts/notebook_server.ts";
import { launchChromium } from "../scripts/browser.ts";
import { projectPaths, REPO_ROOT } from "../lib/runtime/paths.ts";
import { SHOWCASE, writeShowcase } from "./fixtures/showcase.ts";

const chrome = await ensureChromium();
const serverMissing = await ensureNotebookServer();
const skip = "missing" in chrome ? chrome.missing : serverMissing;
if (skip) console.warn(`SKIPPED front-end test: ${skip}`);

/** One code cell as the page shows it after the run. */
interface CellView {
  index: number;
  prompt: number | string | null;
  outputTypes: string[];
  mimeTypes: string[][];
  errorShown: boolean;
  text: string;
  tables: number;
  svgs: number;
  /** Each rendered output of the cell, in order. */
  outputs: OutputView[];
}

/** One rendered output area. */
interface OutputView {
  cell: number;
  text: string;
  tables: number;
  svgs: number;
  figures: number;
  imgs: number;
}

/** Open a notebook in the classic UI, run all cells from the menu, wait for the kernel, and read the cells. */
async function runAll(page: Page, url: string, screenshot: string, timeoutMs: number): Promise<CellView[]> {
  await page.goto(url);
  try {
    return await runAllOpened(page, screenshot, timeoutMs);
  } catch (err) {
    await page.screenshot({ path: screenshot.replace(/\.png$/, ".failed.png"), fullPage: true }).catch(() => {});
    throw err;
  }
}

async function runAllOpened(page: Page, screenshot: string, timeoutMs: number): Promise<CellView[]> {
  // deno-lint-ignore no-explicit-any
  type W = any;
  await page.waitForFunction(() => (globalThis as W).Jupyter?.notebook?.kernel?.is_connected?.() === true, null, { timeout: 60_000 });
  await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 60_000 });
  // Never save: the repository's notebooks stay as they are.
  await page.evaluate(() => (globalThis as W).Jupyter.notebook.set_autosave_interval(0));
  await page.click("#celllink");
  await page.click("#run_all_cells > a");
  await page.waitForFunction(() => {
    const nb = (globalThis as W).Jupyter.notebook;
    const code = nb.get_cells().filter((c: W) => c.cell_type === "code");
    return code.every((c: W) => c.input_prompt_number !== "*") && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
  }, null, { timeout: timeoutMs, polling: 250 });
  // A last cell, run after the others, catches a late result of the notebook's last cell (the kernel
  // sends it under the next request, like the runner's sentinel); it displays nothing itself.
  await page.evaluate(() => {
    const cell = (globalThis as W).Jupyter.notebook.insert_cell_at_bottom("code");
    cell.set_text("void 0; // catches late results");
    cell.execute();
  });
  await page.waitForFunction(() => {
    const cells = (globalThis as W).Jupyter.notebook.get_cells();
    return typeof cells[cells.length - 1].input_prompt_number === "number" && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
  }, null, { timeout: 60_000, polling: 250 });
  await page.waitForTimeout(1500);
  // The classic UI scrolls inside #site: let the page grow so that the screenshot holds every cell.
  await page.evaluate(() => {
    for (const el of [document.documentElement, document.body, document.getElementById("site")]) {
      if (el) Object.assign(el.style, { height: "auto", overflow: "visible" });
    }
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  return await page.evaluate(() => {
    const nb = (globalThis as W).Jupyter.notebook;
    return nb.get_cells().map((c: W, index: number) => ({ c, index })).filter(({ c }: W) => c.cell_type === "code").map(({ c, index }: W) => {
      const el = c.element[0] as HTMLElement;
      const out = el.querySelector(".output") as HTMLElement | null;
      return {
        index,
        prompt: c.input_prompt_number ?? null,
        outputTypes: c.output_area.outputs.map((o: W) => o.output_type),
        mimeTypes: c.output_area.outputs.map((o: W) => Object.keys(o.data ?? {})),
        errorShown: el.querySelector(".output_error") !== null,
        text: out?.innerText ?? "",
        tables: out?.querySelectorAll("table").length ?? 0,
        svgs: out?.querySelectorAll("svg").length ?? 0,
        outputs: [...el.querySelectorAll(".output_area")].map((o) => ({
          cell: index,
          text: (o as HTMLElement).innerText,
          tables: o.querySelectorAll("table").length,
          svgs: o.querySelectorAll("svg").length,
          figures: o.querySelectorAll("figure").length,
          imgs: o.querySelectorAll("img").length,
        })),
      };
    });
  });
}

function noErrors(name: string, cells: CellView[]) {
  for (const c of cells) {
    assert.equal(typeof c.prompt, "number", `${name} cell ${c.index + 1}: not run (prompt ${c.prompt})`);
    assert.ok(!c.errorShown && !c.outputTypes.includes("error"), `${name} cell ${c.index + 1} shows an error:\n${c.text.slice(0, 800)}`);
  }
}

Deno.test({
  name: "00_setup and the output showcase run in the classic Notebook UI in Chromium: tables, SVG plots, progress, no errors",
  ignore: skip !== null,
  async fn() {
    const outputs = join(projectPaths().outputs, "frontend");
    await Deno.mkdir(outputs, { recursive: true });
    const scratch = await Deno.makeTempDir({ dir: join(REPO_ROOT, "outputs"), prefix: "frontend-scratch-" });
    const setupNb = join(REPO_ROOT, "notebooks", "00_setup.ipynb");
    const before = await Deno.readTextFile(setupNb);
    const server = await startNotebookServer({
      python: pythonPath(),
      jupyterPath: await ensureRunnerKernel(),
      root: REPO_ROOT,
      env: { SHARELOCK_OUTPUTS_DIR: scratch }, // 00_setup records figures: keep them out of outputs/
      log: join(outputs, "server.log"),
    });
    const browser = await launchChromium((chrome as { path: string }).path);
    try {
      const page = await browser.context.newPage();
      const showcase = await writeShowcase(scratch);
      const cells = await runAll(page, server.urlFor(relative(REPO_ROOT, showcase)), join(outputs, "showcase.png"), 120_000);
      noErrors("showcase", cells);
      // Each expected output must render exactly once. The Deno kernel (2.9) sometimes sends a cell's
      // last-value result after reporting idle (2 of 20 cells in a probe here; displays made with
      // `await sl.show(...)` never were), and the classic Notebook then shows it under the next cell:
      // such outputs are found wherever they landed and listed in outputs/frontend/misplaced.json.
      const outs = cells.flatMap((c) => c.outputs);
      const expected: [string, (o: OutputView) => boolean][] = [
        ["polars table", (o) => o.tables === 1 && /polars table/.test(o.text) && SHOWCASE.encoders.every((e, i) => new RegExp(`${e}\\s+${SHOWCASE.top1[i].toFixed(4)}`).test(o.text))],
        ["config table", (o) => o.tables === 1 && /Configuration/.test(o.text) && o.text.includes(String(SHOWCASE.configSeed))],
        ["plot svg", (o) => o.svgs >= 1 && o.figures === 0 && o.tables === 0],
        ["plot with legend", (o) => o.svgs >= 1 && o.figures === 1 && SHOWCASE.encoders.every((e) => o.text.includes(e))],
        ["progress", (o) => new RegExp(`showcase steps\\s+${SHOWCASE.progressTotal}/${SHOWCASE.progressTotal} \\(100%\\).*finished`).test(o.text)],
        ["markdown", (o) => /Finding: USE-lite leads/.test(o.text)],
        ["image grid", (o) => o.imgs === 2 && SHOWCASE.gridCaptions.every((c) => o.text.includes(c))],
        ["bare DataFrame", (o) => o.tables === 1 && !/polars table|Configuration/.test(o.text) && SHOWCASE.encoders.every((e) => o.text.includes(e))],
      ];
      const misplaced: { output: string; cell: number; shownUnder: number }[] = [];
      for (const [i, [name, test]] of expected.entries()) {
        const found = outs.filter(test);
        assert.equal(found.length, 1, `showcase "${name}": rendered ${found.length} times (outputs: ${JSON.stringify(outs.map((o) => o.text.slice(0, 60)))})`);
        if (found[0].cell !== cells[i].index) misplaced.push({ output: name, cell: cells[i].index + 1, shownUnder: found[0].cell + 1 });
      }
      assert.equal(outs.length, expected.length, "one output per cell: the progress display is updated in place");
      await Deno.writeTextFile(join(outputs, "misplaced.json"), JSON.stringify(misplaced, null, 1));
      if (misplaced.length) console.warn(`Deno kernel late results, shown under the next cell: ${JSON.stringify(misplaced)}`);

      const setup = await runAll(page, server.urlFor("notebooks/00_setup.ipynb"), join(outputs, "00_setup.png"), 180_000);
      noErrors("00_setup", setup);
      const all = setup.map((c) => c.text).join("\n");
      assert.match(all, /TensorFlow.js backend: (wasm|cpu|tensorflow)/);
      assert.ok(setup.reduce((a, c) => a + c.tables, 0) >= 4, "00_setup's tables rendered");
      assert.ok(setup.some((c) => c.svgs >= 1), "00_setup's plot rendered as SVG");
      assert.match(all, new RegExp(`Set-up is fine: Deno ${Deno.version.deno.replaceAll(".", "\\.")}`));
      const summary = JSON.parse(await Deno.readTextFile(join(scratch, "summary.json")));
      assert.equal(summary.notebooks["00_setup"].figures.deno, Deno.version.deno, "the kernel ran in the project (figures recorded)");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
      const after = await Deno.readTextFile(setupNb);
      if (after !== before) await Deno.writeTextFile(setupNb, before);
      assert.equal(after, before, "the front end saved notebooks/00_setup.ipynb (it must not)");
    }
  },
});
