/**
 * The feature store: embeddings computed once, kept forever. Nothing here knows what a model is; an
 * encoder's identity (any JSON) names the store, and each vector is found by a key.
 *
 * Layout of one store, `<root>/<name>-<identity hash>/`:
 * - `identity.json`: the encoder identity and the vector dimension and dtype;
 * - `format.json`: the store format (2: every index and skip file carries a checksum);
 * - `shards/<part>.f32` (or `.f16`): contiguous little-endian rows;
 * - `index/<part>.parquet`: one row per vector: `key`, `item_id`, `part`, `row`;
 * - `sums/<part>.json`: the checksum record of that index and of the shard it points into (records.ts);
 * - `skipped/<name>.jsonl`: items that could not be embedded, with the reason, and a checksum line;
 * - `claims/*.json`, `lock`: keys being computed right now by some process (see `claimKeys` in integrity.ts).
 *
 * A part is written shard, checksum record, index, each to a temporary name renamed into place: a reader
 * never sees an index without its record, and a killed writer loses at most the part it was writing.
 * Parts have unique names, so several processes (or machines, {@link mergeStores}) can fill one store.
 * Every index is checked against its record before use (a bad one is moved aside, its vectors count as
 * missing), every shard before its first read: see `records.ts`, `verify.ts` and `integrity.ts`.
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
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { projectPaths } from "../runtime/paths.ts";
import { readJsonOr, writeFileAtomic } from "../runtime/atomic.ts";
import type { Matrix } from "../core/matrix.ts";
import { cacheKey, sha256Hex, stableJson } from "../core/hash.ts";
import { halfToFloat, removeDeadTemps } from "./integrity.ts";
import { loadIndex, newSkipFiles, quarantine, RepairLog, type ShardSum, skipFileText, writeIndex, writePart } from "./records.ts";
import { missingError, newlyMissing, readPart } from "./verify.ts";

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

/** Contents of `format.json`: every index and skip file of the store carries a checksum. */
const FORMAT = `{"format":2}\n`;

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
  #badIndex = new Set<string>();
  #skipFiles = new Set<string>();
  #sums = new Map<string, ShardSum>();
  #shardExists = new Map<string, boolean>();
  /** Files this store object found bad and moved aside (each also told on stderr once). */
  readonly repairs: RepairLog;

  constructor(readonly dir: string, readonly dim: number, readonly dtype: StoreDtype, readonly identityHash: string) {
    this.bytesPerValue = dtype === "float16" ? 2 : 4;
    this.repairs = new RepairLog(basename(dir));
  }

  /** Number of stored vectors. */
  get size(): number {
    return this.#where.size;
  }

  /**
   * Read index parts and skip files not seen yet (cheap when nothing changed). Each is checked against
   * its checksum first; one that fails is moved aside and reported (see {@link FeatureStore.repairs}).
   */
  refresh(): void {
    const indexDir = join(this.dir, "index"), marked = existsSync(join(this.dir, "format.json"));
    for (const e of [...Deno.readDirSync(indexDir)].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.name.endsWith(".parquet") || this.#indexParts.has(e.name) || this.#badIndex.has(e.name)) continue;
      const got = loadIndex(this.dir, e.name.slice(0, -".parquet".length), this.dim * this.bytesPerValue, marked);
      if (got.kind === "bad") (this.#moveAside(got.file, got.problem, got.files, got.suffix), this.#badIndex.add(e.name)); // told once
      if (got.kind !== "ok") continue;
      for (const [part, sum] of got.shards) if (this.#hasShard(part)) this.#sums.set(part, sum);
      for (const r of got.entries) {
        if (!this.#hasShard(r.part)) continue; // moved aside as corrupt (or missing, reported once): its vectors are missing
        this.#where.set(r.key, { part: r.part, row: r.row });
        this.#itemOf.set(r.key, r.itemId);
        this.#skipped.delete(r.key);
      }
      this.#indexParts.add(e.name);
    }
    for (const { file, got } of newSkipFiles(this.dir, this.#skipFiles)) {
      if ("problem" in got) this.#moveAside(file, got.problem, [file], got.old ? ".unverified" : ".corrupt");
      else for (const r of got.records) if (!this.#where.has(r.key)) this.#skipped.set(r.key, { itemId: r.itemId, reason: r.reason });
      this.#skipFiles.add(basename(file));
    }
  }

  #moveAside(file: string, problem: string, files: string[], suffix: string): void {
    const movedTo = quarantine(this.dir, files, suffix);
    if (movedTo) this.repairs.add({ file, problem, movedTo }); // else another process moved it and reports it
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
    if (e === undefined) {
      const path = this.shardPath(part);
      this.#shardExists.set(part, e = existsSync(path));
      if (!e && newlyMissing(path)) this.repairs.add({ file: join("shards", basename(path)), problem: "the shard file is missing", movedTo: [], part });
    }
    return e;
  }

  /** The checksum (length, SHA-256, rows) of a part's shard, from its verified record. */
  shardSum(part: string): ShardSum | undefined {
    return this.#sums.get(part);
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

  /** Number of vectors a part holds (from its verified record). */
  partRows(part: string): number {
    return this.#sums.get(part)?.rows ?? 0;
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
    if (missing.length) throw missingError(this, missing, keys.length);
    return { data, rows: keys.length, dim: this.dim };
  }

  /** Write entries as one new part (shard, then index). Validates dimension and finiteness first. */
  async append(entries: StoreEntry[]): Promise<void> {
    if (!entries.length) return;
    for (const e of entries) {
      const bad = e.vector.length !== this.dim ? `a ${e.vector.length}-d vector, the store holds ${this.dim}-d` : e.vector.find((x) => !Number.isFinite(x));
      if (bad !== undefined) throw new Error(`feature store ${basename(this.dir)}: item ${e.itemId} has ${typeof bad === "string" ? bad : `a non-finite value (${bad})`}`);
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
    await writeFileAtomic(join(this.dir, "skipped", `${newPartName()}.jsonl`), skipFileText(records));
    for (const r of records) this.#skipped.set(r.key, { itemId: r.itemId, reason: r.reason });
  }

  /** Forget skip records so that those items are tried again. */
  async clearSkips(): Promise<void> {
    for (const e of Deno.readDirSync(join(this.dir, "skipped"))) await Deno.remove(join(this.dir, "skipped", e.name));
    this.#skipped.clear();
    this.#skipFiles.clear();
  }

  /** Merge all index parts into one, with one record (fewer files to read at open). Vectors stay where they are. */
  async compact(): Promise<void> {
    this.refresh();
    const names = [...this.#indexParts];
    if (names.length < 2) return;
    const entries = [...this.#where].map(([key, loc]) => ({ key, itemId: this.#itemOf.get(key) ?? "", ...loc }));
    const name = `${newPartName()}-compact`;
    await writeIndex(this.dir, name, entries, Object.fromEntries([...new Set(entries.map((e) => e.part))].map((p) => [p, this.#sums.get(p)!])));
    for (const n of names) await Deno.remove(join(this.dir, "index", n)); // index before its record: never an index without one
    for (const n of names) await Deno.remove(join(this.dir, "sums", n.replace(/\.parquet$/, ".json"))).catch(() => {});
    this.#indexParts = new Set([`${name}.parquet`]);
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
  const idFile = join(dir, "identity.json"), formatFile = join(dir, "format.json");
  if (existsSync(idFile)) {
    const stored = await readJsonOr(idFile, undefined);
    if (stableJson(stored) !== stableJson(meta)) throw new Error(`feature store ${dir}: identity.json does not match the encoder (hash collision or edited file)`);
  } else {
    await writeFileAtomic(formatFile, FORMAT);
    await writeFileAtomic(idFile, JSON.stringify(meta, null, 2));
  }
  await removeDeadTemps(dir, ["shards", "sums", "index", "skipped"]);
  const store = new FeatureStore(dir, opts.dim, dtype, hash);
  store.refresh(); // parts of an older format, whose index has no checksum, are moved aside here
  if (!existsSync(formatFile)) await writeFileAtomic(formatFile, FORMAT);
  return store;
}

export { mergeStores } from "./merge.ts";
