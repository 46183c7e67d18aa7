/**
 * The browser side of the retrieval demo (bundled into `app.js` by `buildDemoSite`): USE-lite on
 * TensorFlow.js (the same SentencePiece tokenizer as `encoders/text/use_tokenizer.ts`), the caption model's text
 * projection on onnxruntime-web (wasm), and cosine similarity
 * against the stored unit image features. Typing a query shows the nearest images with scores.
 * `globalThis.sharelockDemo.search(query)` gives the same results to scripts (the demo test uses it
 * only to wait; it reads the page).
 *
 * @example
 * ```ts
 * // in the page, after app.js loaded:
 * // const hits = await (globalThis as any).sharelockDemo.search("a red fruit");
 * ```
 */
import { UseTokenizer } from "../encoders/text/use_tokenizer.ts";

/** What `data/meta.json` holds (written by `buildDemoSite`). */
export interface DemoMeta {
  rows: number;
  dim: number;
  textDim: number;
  topK: number;
  model: { key: string; text: string; projection: string; pairs: number; seed: number };
  vision: string;
  examples: string[];
}

/** One corpus image of the demo (`data/items.json`). */
export interface DemoItem {
  id: string;
  caption: string;
  thumb: string;
}

/** One search hit. */
export interface DemoHit {
  row: number;
  id: string;
  caption: string;
  score: number;
}

/** The `k` rows of unit `images` [rows x dim] nearest the unit vector `q`, best first. Pure. */
export function nearest(images: Float32Array, rows: number, dim: number, q: Float32Array, k: number): { row: number; score: number }[] {
  const scores: { row: number; score: number }[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * dim;
    for (let d = 0; d < dim; d++) s += images[o + d] * q[d];
    scores.push({ row: r, score: s });
  }
  return scores.sort((a, b) => b.score - a.score).slice(0, k);
}

// deno-lint-ignore no-explicit-any
type Any = any;

async function main() {
  const g = globalThis as Any;
  const tf = g.tf, ort = g.ort;
  const status = document.getElementById("status")!;
  const json = async (p: string) => (await fetch(p)).json();
  const meta = await json("data/meta.json") as DemoMeta;
  const items = await json("data/items.json") as DemoItem[];
  const images = new Float32Array(await (await fetch("data/images.bin")).arrayBuffer());
  const tokenizer = new UseTokenizer(await json("use/vocab.json"));
  await tf.setBackend("cpu");
  const use = await tf.loadGraphModel("use/model.json");
  ort.env.wasm.wasmPaths = new URL("vendor/", location.href).href;
  ort.env.wasm.numThreads = 1;
  // The projection is a few small matrix products per query: the wasm build of onnxruntime-web is enough.
  const session = await ort.InferenceSession.create("model/projection.onnx", { executionProviders: ["wasm"] });

  async function embedText(text: string): Promise<Float32Array> {
    const ids = tokenizer.encode(text);
    const indices = tf.tensor2d(ids.flatMap((_: number, j: number) => [0, j]), [ids.length, 2], "int32");
    const values = tf.tensor1d(ids, "int32");
    const out = await use.executeAsync({ indices, values });
    const data = await out.data() as Float32Array;
    tf.dispose([indices, values, out]);
    return data.slice(0, meta.textDim);
  }

  async function search(query: string, k = meta.topK): Promise<DemoHit[]> {
    const t = await embedText(query);
    const res = await session.run({ text_features: new ort.Tensor("float32", t, [1, meta.textDim]) });
    const q = res.embedding.data as Float32Array;
    return nearest(images, meta.rows, meta.dim, q, k).map(({ row, score }) => ({ row, id: items[row].id, caption: items[row].caption, score }));
  }

  const input = document.getElementById("query") as HTMLInputElement;
  const results = document.getElementById("results")!;
  let pending = 0;
  async function update() {
    const query = input.value.trim();
    const mine = ++pending;
    if (!query) {
      results.replaceChildren();
      results.dataset.query = "";
      return;
    }
    const hits = await search(query);
    if (mine !== pending) return; // a newer query is on its way
    results.replaceChildren(...hits.map((h, rank) => {
      const fig = document.createElement("figure");
      fig.className = "hit";
      Object.assign(fig.dataset, { row: String(h.row), id: h.id, score: h.score.toFixed(6), rank: String(rank + 1) });
      const img = document.createElement("img");
      img.src = items[h.row].thumb;
      img.alt = h.caption;
      const cap = document.createElement("figcaption");
      cap.textContent = `${h.score.toFixed(3)} · ${h.caption}`;
      fig.append(img, cap);
      return fig;
    }));
    results.dataset.query = query;
  }
  input.addEventListener("input", () => void update());
  for (const ex of meta.examples) {
    const b = document.createElement("button");
    b.textContent = ex;
    b.onclick = () => {
      input.value = ex;
      void update();
    };
    document.getElementById("examples")!.append(b);
  }
  status.textContent = `${meta.rows} images · ${meta.model.text} → ${meta.model.projection} (${meta.model.pairs} caption pairs, seed ${
    meta.model.seed
  }) · ${meta.vision} image features · TF.js ${tf.getBackend()} · onnxruntime-web wasm`;
  g.sharelockDemo = { search, meta };
  document.body.dataset.ready = "true";
}

if (typeof document !== "undefined") {
  main().catch((err) => {
    document.getElementById("status")!.textContent = `Error: ${err}`;
    document.body.dataset.ready = "error";
    console.error(err);
  });
}
