/**
 * The caption model in a browser: `buildDemoSite` (the code path of `deno task demo`) on a tiny model and
 * corpus made here (a 3-layer MLP projection with BatchNorm statistics of its own over USE-lite, 40
 * images with seeded features and generated thumbnails), served on localhost and driven in headless
 * Chromium: three typed queries must show the same top images as `retrieveImages` in Deno, with the
 * same cosine scores. Skipped, saying why, only where Chromium cannot be installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { ensureChromium } from "../scripts/setup.ts";
import { launchChromium } from "../scripts/browser.ts";
import { buildDemoSite } from "../lib/demo/site.ts";
import { contentType, serveStatic } from "../lib/demo/serve.ts";
import { nearest } from "../lib/demo/app.ts";
import { retrievalPool } from "../lib/experiments/retrieval_pool.ts";
import { type CaptionModel, captionSimilarity, retrieveImages } from "../lib/experiments/captions.ts";
import { languageEncoder } from "../lib/encoders/registry.ts";
import { createProjection } from "../lib/train/projection.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { projectPaths } from "../lib/runtime/paths.ts";

const chrome = await ensureChromium();
if ("missing" in chrome) console.warn(`SKIPPED demo browser test: ${chrome.missing}`);

Deno.test("nearest ranks unit rows by dot product, best first", () => {
  const images = Float32Array.of(1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2);
  assert.deepEqual(nearest(images, 3, 2, Float32Array.of(0, 1), 2).map((h) => h.row), [1, 2]);
});

Deno.test({
  name: "demo site: three typed queries in Chromium show the images retrieveImages finds, with its scores",
  ignore: "missing" in chrome,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await selectTfBackend();
    const rng = seededRandom(16);
    const dim = 24, rows = 40, k = 6;
    const projection = createProjection({ kind: "mlp", inDim: 512, outDim: dim, hidden: 64, layers: 3, dropout: 0.2, batchNorm: true }, 3);
    const w = projection.snapshot(); // BatchNorm statistics of its own, so that the exported graph must use them
    for (const [name, t] of Object.entries(w)) {
      if (name.endsWith("running_mean")) t.data.forEach((_, i) => (t.data[i] = 0.05 * rng.normal()));
      if (name.endsWith("running_var")) t.data.forEach((_, i) => (t.data[i] = 0.5 + rng.next()));
    }
    projection.restore(w);
    const model: CaptionModel = {
      key: "demo-test",
      text: "use-lite",
      encoder: await languageEncoder("use-lite"),
      projection,
      seed: 3,
      pairs: 0,
      steps: 0,
      seconds: 0,
      bestValLoss: 0,
      cached: false,
      history: [],
    };
    const images = { data: Float32Array.from({ length: rows * dim }, () => rng.normal()), rows, dim };
    const work = await Deno.makeTempDir({ prefix: "sharelock-demo-test-" });
    const items = [];
    for (let i = 0; i < rows; i++) {
      const image = join(work, `img${i}.png`);
      await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: (i * 47) % 256, g: (i * 91) % 256, b: (i * 13) % 256 } } })
        .png().toFile(image);
      items.push({ id: `item-${i}`, image, caption: `image ${i}` });
    }
    const site = await buildDemoSite({ model, images, items, outDir: join(work, "site"), vision: "seeded test features", topK: k, examples: ["a red fruit"] });
    assert.ok(site.files > rows, `${site.files} files`);

    const queries = ["a red fruit", "an animal that lives in the sea", "a musical instrument"];
    const expected = await retrieveImages(model, queries, images, k);
    const sims = await captionSimilarity(model, images, queries);

    const server = serveStatic(site.dir);
    const browser = await launchChromium((chrome as { path: string }).path);
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(server.url);
      await page.waitForSelector("body[data-ready]", { state: "attached", timeout: 120_000 }).catch(async (err) => {
        throw new Error(`${err}\nstatus: ${await page.textContent("#status")}\nerrors: ${errors.join("\n")}`);
      });
      assert.equal(await page.getAttribute("body", "data-ready"), "true", `${await page.textContent("#status")} ${errors.join("; ")}`);
      for (const [qi, q] of queries.entries()) {
        await page.fill("#query", "");
        await page.locator("#query").pressSequentially(q);
        await page.waitForSelector(`#results[data-query="${q}"]`, { timeout: 60_000 });
        const hits = await page.$$eval("#results .hit", (els) => els.map((e) => ({ row: Number((e as HTMLElement).dataset.row), score: Number((e as HTMLElement).dataset.score) })));
        assert.deepEqual(hits.map((h) => h.row), expected[qi], `"${q}": browser top ${k} against retrieveImages`);
        for (const h of hits) {
          assert.ok(Math.abs(h.score - sims[h.row * queries.length + qi]) < 2e-4, `"${q}" row ${h.row}: browser ${h.score} vs ${sims[h.row * queries.length + qi]}`);
        }
      }
      const shots = join(projectPaths().outputs, "demo-test");
      await Deno.mkdir(shots, { recursive: true });
      await page.screenshot({ path: join(shots, "demo.png"), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      projection.dispose();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test("retrievalPool: held-out tests without the style copies, then the held-out caption images, labels by source", () => {
  const item = (id: string, source: string, cls: string, caption: string | null) =>
    ({ item_id: id, image_path: `${id}.png`, class_id: 0, class_name: cls, caption, group: null, split: "test", source });
  const m = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), rows: rows.length, dim: 2 });
  const task = (kind: string, items: ReturnType<typeof item>[], rows: number[][]) => ({ name: kind, kind, items, images: m(rows), classes: [], labels: [] });
  const tasks = [
    task("unseen classes", [item("e1", "emoji-google", "red apple", null)], [[1, 0]]),
    task("style shift", [item("t1", "emoji-twitter", "red apple", null)], [[9, 9]]),
  ];
  const corpus = { retrieval: { items: [item("o1", "openclipart", "x", "a violin on a chair")], images: m([[0, 1]]), captions: [], textsOf: [] } };
  // deno-lint-ignore no-explicit-any
  const pool = retrievalPool(corpus as any, tasks as any);
  assert.deepEqual(Array.from(pool.images.data), [1, 0, 0, 1]);
  assert.deepEqual(pool.items.map((i) => i.item_id), ["e1", "o1"]);
  assert.deepEqual(pool.labels, ["red apple", "a violin on a chair"]);
});

Deno.test("serveStatic: wasm and module types browsers require, 404 for missing files, nothing outside the folder", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "index.html"), "<p>hi</p>");
  const server = serveStatic(join(dir));
  try {
    const get = async (p: string) => {
      const r = await fetch(server.url + p);
      await r.body?.cancel();
      return [r.status, r.headers.get("content-type")];
    };
    assert.deepEqual(await get(""), [200, "text/html; charset=utf-8"]);
    assert.deepEqual(await get("missing.wasm"), [404, "text/plain;charset=UTF-8"]);
    assert.equal((await get("..%2f..%2fetc%2fpasswd"))[0], 403);
    assert.equal(contentType("a/b.wasm"), "application/wasm");
    assert.equal(contentType("x.mjs"), "text/javascript; charset=utf-8");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
