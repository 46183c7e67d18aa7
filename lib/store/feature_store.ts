/**
 * The feature store: embeddings computed once, kept forever. Nothing here knows what a model is; an
 * encoder's identity (any JSON) names the store, and each vector is found by a key.
 *
 * Layout of one store, `<root>/<name>-<identity hash>/`:
 * - `identity.json`: the encoder identity and the vector dimension and dtype;
 * - `shards/<part>.f32` (or `.f16`): contiguous little-endian rows;
 * - `sums/<part>.json`: the shard's byte length and SHA-256 (its checksum);
 * - `index/<part>.parquet`: one row per vector: `key`, `item_id`, `part`, `row`;
 * - `skipped/<part>.jsonl`: items that could not be embedded, with the reason;
 * - `claims/*.json`, `lock`: keys being computed right now by some process (see `claimKeys` in integrity.ts).
 *
 * A part is written shard first, checksum second, index third, each to a temporary name and renamed
 * into place: a reader never sees an index entry whose shard is missing or half-written, and a killed
 * writer loses at most the part it was writing. Parts have unique names, so several processes (or
 * machines, merged with {@link mergeStores}) can fill one store.
 * Integrity (checksums, repair, claims, a full disk): see `verify.ts` and `integrity.ts`.
 *
 * @example
 * ```ts
 * import type { EncoderIdentity } from "../encoders/types.ts";
 * declare const encoder: { identity: EncoderIdentity };
 * const vector = new Float32Array(1792);
 * const store = await openStore(encoder.identity, { name: encoder.identity.name, dim: 1792 });
 * await store.append([{ key: "k1", itemId: "emoji/1f600", vector }]);
 * const m = store.matrix(["k1"]);   // Float32Array(1792), one contiguous matrix
 * ```
 */
import pl from "nodejs-polars";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { projectPaths } from "../runtime/paths.ts";
import { writeFileAtomic } from "../runtime/atomic.ts";
import type { Matrix } from "../core/matrix.ts";
import { cacheKey, sha256Hex, stableJson } from "../core/hash.ts";
import { halfToFloat, writePart, writerAlive } from "./integrity.ts";
import { readPart } from "./verify.ts";

/** Storage precision of vectors. */
export type StoreDtype = "float32" | "float16";

/** Options of {@link openStore}. */
export interface StoreOptions {
  /** Folder name prefix (readable; the hash makes it unique). */
  name: string;
  dim: number;
  dtype?: StoreDtype;
  /** Stores root (default `<cache>/features`). */
  root?: string;
}

/** One vector to append. */
export interface StoreEntry {
  key: string;
  itemId: string;
  vector: Float32Array;
}

/** Re-exported from the ground floor (`core/matrix.ts`) for modules that import it from here. */
export type { Matrix };

interface Location {
  part: string;
  row: number;
}

/** Re-exported from `core/hash.ts` for modules that import them from here. */
export { sha256Hex, stableJson };

function newPartName(): string {
  const t = new Date().toISOString().replace(/[-:.TZ]/g, "");
  return `${t}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** An open store. Reads are views on loaded shards; `refresh()` picks up parts written by others. */
export class FeatureStore {
  /** Bytes per stored value. */
  readonly bytesPerValue: number;
  #where = new Map<string, Location>();
  #itemOf = new Map<string, string>();
  #shards = new Map<string, Float32Array>();
  #skipped = new Map<string, { itemId: string; reason: string }>();
  #indexParts = new Set<string>();
  #partRows = new Map<string, number>();
  #shardExists = new Map<string, boolean>();

  constructor(readonly dir: string, readonly dim: number, readonly dtype: StoreDtype, readonly identityHash: string) {
    this.bytesPerValue = dtype === "float16" ? 2 : 4;
  }

  /** Number of stored vectors. */
  get size(): number {
    return this.#where.size;
  }

  /** Read index parts and skip records not seen yet (cheap when nothing changed). */
  refresh(): void {
    const indexDir = join(this.dir, "index");
    for (const e of [...Deno.readDirSync(indexDir)].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.name.endsWith(".parquet") || this.#indexParts.has(e.name)) continue;
      let df: pl.DataFrame;
      try {
        df = pl.readParquet(join(indexDir, e.name));
      } catch (err) {
        throw new Error(`feature store ${this.dir}: index part ${e.name} is unreadable (${(err as Error).message}); delete it to recompute its rows`);
      }
      const keys = df.getColumn("key").toArray() as string[];
      const items = df.getColumn("item_id").toArray() as string[];
      const parts = df.getColumn("part").toArray() as string[];
      const rows = df.getColumn("row").toArray() as number[];
      for (let i = 0; i < keys.length; i++) {
        if (!this.#hasShard(parts[i])) continue; // moved aside as corrupt: its vectors are missing
        this.#partRows.set(parts[i], Math.max(this.#partRows.get(parts[i]) ?? 0, Number(rows[i]) + 1));
        this.#where.set(keys[i], { part: parts[i], row: Number(rows[i]) });
        this.#itemOf.set(keys[i], items[i]);
        this.#skipped.delete(keys[i]);
      }
      this.#indexParts.add(e.name);
    }
    const skipDir = join(this.dir, "skipped");
    for (const e of Deno.readDirSync(skipDir)) {
      if (!e.name.endsWith(".jsonl")) continue;
      for (const line of Deno.readTextFileSync(join(skipDir, e.name)).split("\n")) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as { key: string; itemId: string; reason: string };
        if (!this.#where.has(r.key)) this.#skipped.set(r.key, { itemId: r.itemId, reason: r.reason });
      }
    }
  }

  /** True when the key's vector is stored. */
  has(key: string): boolean {
    return this.#where.has(key);
  }

  /** Why a key was skipped, if it was (and has no vector since). */
  skipReason(key: string): string | undefined {
    return this.#skipped.get(key)?.reason;
  }

  /** All skip records. */
  skipped(): { key: string; itemId: string; reason: string }[] {
    return [...this.#skipped].map(([key, v]) => ({ key, ...v }));
  }

  #hasShard(part: string): boolean {
    let e = this.#shardExists.get(part);
    if (e === undefined) this.#shardExists.set(part, e = existsSync(this.shardPath(part)));
    return e;
  }


  /** Path of a part's shard file. */
  shardPath(part: string): string {
    return join(this.dir, "shards", `${part}.${this.dtype === "float16" ? "f16" : "f32"}`);
  }

  /** Where a key's vector is: its part and row, or undefined. */
  locate(key: string): { part: string; row: number } | undefined {
    return this.#where.get(key);
  }

  /** Parts whose shard passed its check in this process. */
  readonly verified = new Set<string>();

  /** Parts holding `keys` (default: every part). */
  parts(keys?: Iterable<string>): Set<string> {
    const out = new Set<string>();
    if (keys) for (const k of keys) this.#where.get(k) && out.add(this.#where.get(k)!.part);
    else for (const loc of this.#where.values()) out.add(loc.part);
    return out;
  }

  /** Forget parts moved aside: their vectors count as missing. */
  dropParts(gone: Set<string>): void {
    for (const p of gone) (this.#shardExists.set(p, false), this.#shards.delete(p));
    for (const [k, loc] of this.#where) if (gone.has(loc.part)) this.#where.delete(k);
  }

  /** Number of vectors a part holds (from the index). */
  partRows(part: string): number {
    return this.#partRows.get(part) ?? 0;
  }

  #shard(part: string): Float32Array {
    let s = this.#shards.get(part);
    if (!s) {
      const bytes = readPart(this, part);
      s = this.dtype === "float16"
        ? halfToFloat(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2), new Float32Array(bytes.byteLength / 2))
        : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      this.#shards.set(part, s);
    }
    return s;
  }

  /** A zero-copy view of one stored vector (float32 stores), or undefined. */
  get(key: string): Float32Array | undefined {
    const loc = this.#where.get(key);
    if (!loc) return undefined;
    return this.#shard(loc.part).subarray(loc.row * this.dim, (loc.row + 1) * this.dim);
  }

  /** Vectors of `keys` as one contiguous matrix, in order. Every key must be stored. */
  matrix(keys: readonly string[]): Matrix {
    const data = new Float32Array(keys.length * this.dim);
    const missing: string[] = [];
    keys.forEach((k, i) => {
      const v = this.get(k);
      if (v) data.set(v, i * this.dim);
      else missing.push(this.#skipped.get(k) ? `${this.#skipped.get(k)!.itemId} (skipped: ${this.#skipped.get(k)!.reason})` : k);
    });
    if (missing.length) {
      throw new Error(`feature store ${basename(this.dir)}: ${missing.length} of ${keys.length} vectors missing, e.g. ${missing.slice(0, 3).join("; ")}`);
    }
    return { data, rows: keys.length, dim: this.dim };
  }

  /** Write entries as one new part (shard, then index). Validates dimension and finiteness first. */
  async append(entries: StoreEntry[]): Promise<void> {
    if (!entries.length) return;
    for (const e of entries) {
      if (e.vector.length !== this.dim) {
        throw new Error(`feature store ${basename(this.dir)}: item ${e.itemId} has a ${e.vector.length}-d vector, the store holds ${this.dim}-d`);
      }
      for (const x of e.vector) {
        if (!Number.isFinite(x)) throw new Error(`feature store ${basename(this.dir)}: item ${e.itemId} has a non-finite value (${x})`);
      }
    }
    const part = newPartName();
    const flat = new Float32Array(entries.length * this.dim);
    entries.forEach((e, i) => flat.set(e.vector, i * this.dim));
    const bytes = this.dtype === "float16" ? new Uint8Array(new Float16Array(flat).buffer) : new Uint8Array(flat.buffer);
    await writePart(this.dir, this.shardPath(part), part, bytes, entries);
    this.verified.add(part);
    this.refresh();
  }

  /** Record items that could not be embedded (they are retried only when asked). */
  async recordSkips(records: { key: string; itemId: string; reason: string }[]): Promise<void> {
    if (!records.length) return;
    await writeFileAtomic(join(this.dir, "skipped", `${newPartName()}.jsonl`), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    for (const r of records) this.#skipped.set(r.key, { itemId: r.itemId, reason: r.reason });
  }

  /** Forget skip records so that those items are tried again. */
  async clearSkips(): Promise<void> {
    for (const e of Deno.readDirSync(join(this.dir, "skipped"))) await Deno.remove(join(this.dir, "skipped", e.name));
    this.#skipped.clear();
  }

  /** Merge all index parts into one (fewer files to read at open). Vectors stay where they are. */
  async compact(): Promise<void> {
    this.refresh();
    const names = [...this.#indexParts];
    if (names.length < 2) return;
    const keys = [...this.#where.keys()];
    const df = pl.DataFrame({
      key: keys,
      item_id: keys.map((k) => this.#itemOf.get(k) ?? ""),
      part: keys.map((k) => this.#where.get(k)!.part),
      row: pl.Series("row", keys.map((k) => this.#where.get(k)!.row), pl.Int32),
    });
    const name = `${newPartName()}-compact.parquet`;
    df.writeParquet(join(this.dir, "index", `${name}.tmp`));
    await Deno.rename(join(this.dir, "index", `${name}.tmp`), join(this.dir, "index", name));
    for (const n of names) await Deno.remove(join(this.dir, "index", n));
    this.#indexParts = new Set([name]);
  }
}

/** Open (or create) the store for an identity. The identity file must match when the store exists. */
export async function openStore(identity: unknown, opts: StoreOptions): Promise<FeatureStore> {
  const dtype = opts.dtype ?? "float32";
  const meta = { identity, dim: opts.dim, dtype };
  const hash = await cacheKey(meta, 16);
  const root = opts.root ?? join(projectPaths().cache, "features");
  const dir = join(root, `${opts.name.replace(/[^A-Za-z0-9._-]+/g, "_")}-${hash}`);
  for (const sub of ["shards", "sums", "index", "skipped"]) await Deno.mkdir(join(dir, sub), { recursive: true });
  const idFile = join(dir, "identity.json");
  if (existsSync(idFile)) {
    const stored = JSON.parse(await Deno.readTextFile(idFile));
    if (stableJson(stored) !== stableJson(meta)) throw new Error(`feature store ${dir}: identity.json does not match the encoder (hash collision or edited file)`);
  } else {
    await writeFileAtomic(idFile, JSON.stringify(meta, null, 2));
  }
  // Leftovers of a killed writer: temporary files are never read; remove them (not those of a live
  // process writing into this store right now: their names carry the writer's pid).
  for (const sub of ["shards", "sums", "index", "skipped"]) {
    for (const e of Deno.readDirSync(join(dir, sub))) {
      if (e.name.endsWith(".tmp") && !writerAlive(e.name)) await Deno.remove(join(dir, sub, e.name)).catch(() => {});
    }
  }
  const store = new FeatureStore(dir, opts.dim, dtype, hash);
  store.refresh();
  return store;
}

export { mergeStores } from "./merge.ts";
