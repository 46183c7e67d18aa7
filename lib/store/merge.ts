/**
 * Merging stores computed elsewhere (one per Slurm array task, or per machine) into one. Every index
 * file of a source is checked against its checksum record, and every shard it points into against the
 * record, before anything is copied; what passes is written shard first, record second, index last (the
 * checked bytes, each to a temporary name renamed into place), so that the destination is consistent at
 * every moment. What fails is not copied and is returned in `rejected` (and told on stderr): its vectors
 * are missing in the destination and the next extraction computes them. Sources are not modified.
 *
 * @example
 * ```ts
 * declare const taskStores: string[], dest: string;
 * const { parts, rejected } = await mergeStores(taskStores, dest);
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stableJson } from "../core/hash.ts";
import { readJsonOr, writeFileAtomic } from "../runtime/atomic.ts";
import { sha256Bytes } from "./integrity.ts";
import { loadIndex, newSkipFiles, type Repair } from "./records.ts";

/** The stored identity of a store folder (`identity.json`: encoder identity, dim, dtype). */
async function storeMeta(dir: string): Promise<{ dim: number; dtype: string }> {
  const meta = await readJsonOr<{ dim: number; dtype: string } | undefined>(join(dir, "identity.json"), undefined);
  if (!meta) throw new Error(`${dir} is not a feature store (no identity.json)`);
  return meta;
}

/** Bytes of a shard when they match `sum`, else what is wrong. */
function checkedShard(path: string, sum: { bytes: number; sha256: string }): Uint8Array | string {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "the shard file is missing";
    throw err;
  }
  if (bytes.byteLength !== sum.bytes) return `${bytes.byteLength} bytes, its record says ${sum.bytes}`;
  return sha256Bytes(bytes) === sum.sha256 ? bytes : "checksum mismatch (SHA-256 differs: the bytes were altered)";
}

/**
 * Merge stores computed elsewhere (e.g. one per Slurm array task) into `dest`: copies the checked parts
 * (index files) whose names `dest` lacks, and the checked skipped-items files. All stores must hold the
 * same identity. Returns the number of index files copied and what was rejected (file relative to its
 * source store, and why).
 */
export async function mergeStores(sources: string[], dest: string): Promise<{ parts: number; rejected: (Repair & { source: string })[] }> {
  const destMeta = await storeMeta(dest);
  const ext = destMeta.dtype === "float16" ? "f16" : "f32", rowBytes = destMeta.dim * (destMeta.dtype === "float16" ? 2 : 4);
  const rejected: (Repair & { source: string })[] = [];
  const reject = (source: string, file: string, problem: string) => {
    rejected.push({ source, file, problem, movedTo: [] });
    console.warn(`[merge] ${join(source, file)}: ${problem}; not copied (its vectors are computed by the next extraction)`);
  };
  let parts = 0;
  for (const src of sources) {
    if (stableJson(await storeMeta(src)) !== stableJson(destMeta)) throw new Error(`cannot merge ${src} into ${dest}: different encoder identities`);
    for (const sub of ["shards", "sums", "index", "skipped"]) await Deno.mkdir(join(dest, sub), { recursive: true });
    const names = existsSync(join(src, "index")) ? [...Deno.readDirSync(join(src, "index"))].map((e) => e.name).filter((n) => n.endsWith(".parquet")).sort() : [];
    for (const file of names) {
      const name = file.slice(0, -".parquet".length);
      if (existsSync(join(dest, "index", file))) continue;
      const got = loadIndex(src, name, rowBytes, existsSync(join(src, "format.json")));
      if (got.kind === "gone") continue;
      if (got.kind === "bad") {
        reject(src, got.file, got.problem);
        continue;
      }
      const shards = new Map<string, Uint8Array>();
      for (const [part, sum] of got.shards) {
        const bytes = checkedShard(join(src, "shards", `${part}.${ext}`), sum);
        if (typeof bytes === "string") {
          reject(src, join("shards", `${part}.${ext}`), `${bytes} (so ${join("index", file)} is not copied either)`);
          break;
        }
        shards.set(part, bytes);
      }
      if (shards.size !== got.shards.size) continue;
      // shards (those the destination lacks or holds damaged), then the record, then the index
      for (const [part, bytes] of shards) {
        const to = join(dest, "shards", `${part}.${ext}`);
        if (typeof checkedShard(to, got.shards.get(part)!) === "string") await writeFileAtomic(to, bytes);
      }
      await writeFileAtomic(join(dest, "sums", `${name}.json`), got.recordText);
      await writeFileAtomic(join(dest, "index", file), got.indexBytes);
      parts++;
    }
    if (!existsSync(join(src, "skipped"))) continue;
    for (const { file, text, got } of newSkipFiles(src, new Set([...Deno.readDirSync(join(dest, "skipped"))].map((e) => e.name)))) {
      if ("problem" in got) reject(src, file, got.problem);
      else await writeFileAtomic(join(dest, file), text);
    }
  }
  return { parts, rejected };
}
