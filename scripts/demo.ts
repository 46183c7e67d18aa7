/**
 * `deno task demo [--serve] [--port N] [--out DIR]`: the trained caption model in a browser. Trains (or
 * loads from the cache) the embedded default caption model of notebooks 03 and 06 (USE-lite -> MLP on
 * MobileNetV2 features, seed 0; features are extracted first when missing, about 14 min from nothing),
 * and writes a static site to `outputs/demo/` (`buildDemoSite`): the projection as ONNX, the retrieval
 * pool's image features and thumbnails (notebook 06's held-out images), USE-lite for TF.js and
 * onnxruntime-web. `--serve` then serves it on localhost and prints the URL. `--screenshot PNG [--query Q]`
 * opens it in headless Chromium, types the query and saves a screenshot (the picture in docs/front-ends.md).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureChromium, ensureNpmPackages } from "./setup.ts";
import { launchChromium } from "./browser.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { CAPTIONS_EMBEDDED } from "../lib/config.ts";
import { captionPreflight } from "../lib/experiments/caption_preflight.ts";
import { captionCorpus, zeroShotTasks } from "../lib/experiments/caption_corpus.ts";
import { captionModel } from "../lib/experiments/caption_model.ts";
import { retrievalPool } from "../lib/experiments/retrieval_pool.ts";
import { buildDemoSite } from "../lib/demo/site.ts";
import { serveStatic } from "../lib/demo/serve.ts";
import { checkEnvOrExit } from "./check_env.ts";

checkEnvOrExit("demo");

const { values } = parseArgs({ args: Deno.args, options: {
  serve: { type: "boolean" },
  port: { type: "string" },
  out: { type: "string" },
  screenshot: { type: "string" },
  query: { type: "string", default: "a red fruit" },
} });
/** Notebook 06's example queries. */
const EXAMPLES = ["a red fruit", "an animal that lives in the sea", "a musical instrument", "something you wear on your feet", "a vehicle that flies", "a person playing a sport"];

await ensureNpmPackages();
const t0 = performance.now();
await selectTfBackend();
const CAPTIONS = CAPTIONS_EMBEDDED;
const pf = await captionPreflight(CAPTIONS.corpus, [CAPTIONS.main]);
if (pf.problems.length) {
  console.error(`The demo's caption model cannot be built here:\n- ${pf.problems.join("\n- ")}`);
  Deno.exit(1);
}
const corpus = await captionCorpus(pf.corpus);
const pool = retrievalPool(corpus, await zeroShotTasks(corpus));
const model = await captionModel(corpus, { text: CAPTIONS.main, seed: CAPTIONS.seeds[0], train: CAPTIONS.train });
const outDir = values.out ?? join(projectPaths().outputs, "demo");
const site = await buildDemoSite({
  model,
  images: pool.images,
  items: pool.items.map((it, i) => ({ id: it.item_id, image: it.image_path!, caption: pool.labels[i] })),
  outDir,
  vision: CAPTIONS.corpus.vision,
  examples: EXAMPLES,
});
console.log(`Demo written to ${site.dir}: ${site.files} files, ${(site.bytes / 1e6).toFixed(1)} MB; ${pool.images.rows} images, model ${model.key} (${
  model.cached ? "from the cache" : `trained in ${model.seconds.toFixed(0)} s`
}), ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`);
if (values.screenshot) {
  const chrome = await ensureChromium();
  if ("missing" in chrome) throw new Error(`--screenshot needs Chromium: ${chrome.missing}`);
  const server = serveStatic(site.dir);
  const browser = await launchChromium(chrome.path, { viewport: { width: 1100, height: 640 } });
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 120_000 });
    await page.locator("#query").pressSequentially(values.query);
    await page.waitForSelector(`#results[data-query="${values.query}"]`, { timeout: 60_000 });
    await page.screenshot({ path: values.screenshot });
    console.log(`Screenshot of "${values.query}": ${values.screenshot}`);
  } finally {
    await browser.close();
    await server.shutdown();
  }
}
if (values.serve) {
  const server = serveStatic(site.dir, values.port ? Number(values.port) : 0);
  console.log(`Serving it at ${server.url} (Ctrl-C stops).`);
} else {
  console.log(`Open it through a local web server (browsers do not load wasm from file://): deno task demo --serve`);
}
