/**
 * Checksum records: every file of a store is checked before anything in it is used.
 * - `sums/<name>.json` is the record of the index file `index/<name>.parquet`: the index's byte length
 *   and SHA-256, its row count, and the length, SHA-256 and row count of every shard it points into; the
 *   record carries its own SHA-256 (over its other fields) and is written in canonical form, so a changed
 *   byte anywhere in it is detected. A part's index names only that part; a compacted index names many.
 * - `skipped/<name>.jsonl` ends with a line holding the SHA-256 of the lines above it.
 * A file that fails its check is moved aside (`.corrupt`; `.unverified` for files of an older store format
 * that carry no checksum) and reported as a {@link Repair}: the vectors it indexed count as missing and
 * the next extraction computes them again. A bad index or record never blames a shard: the shard stays.
 *
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir();
 * for (const sub of ["shards", "sums", "index"]) await Deno.mkdir(`${dir}/${sub}`);
 * await writePart(dir, `${dir}/shards/p1.f32`, "p1", new Uint8Array(8), [{ key: "k", itemId: "A" }]);
 * const got = loadIndex(dir, "p1", 8, true);   // { kind: "ok", entries: [...], shards: Map { "p1" => ... } }
 * ```
 */
import pl from "nodejs-polars";
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stableJson } from "../core/hash.ts";
import { writeFileAtomic } from "../runtime/atomic.ts";
import { isDiskFull, sha256Bytes } from "./integrity.ts";

/** Length, SHA-256 and row count of one shard, as a checksum record holds them. */
export interface ShardSum {
  bytes: number;
  sha256: string;
  rows: number;
}

/** The checksum record of one index file (`sums/<name>.json`), less its own checksum. */
export interface IndexRecord {
  format: 2;
  index: string;
  indexBytes: number;
  indexSha256: string;
  rows: number;
  shards: Record<string, ShardSum>;
}

/** One index row: where a key's vector is. */
export interface IndexEntry {
  key: string;
  itemId: string;
  part: string;
  row: number;
}

/** A file that failed its check (path relative to the store folder), why, and what was moved aside. */
export interface Repair {
  file: string;
  problem: string;
  movedTo: string[];
  /** The shard's part, when the file is a shard. */
  part?: string;
  /** Vectors that count as missing because of it, when known (a shard's). */
  vectors?: number;
}

/** What loading an index file gave: its rows, nothing (it was removed meanwhile), or what is wrong. */
export type IndexLoad =
  | { kind: "ok"; entries: IndexEntry[]; shards: Map<string, ShardSum>; recordText: string; indexBytes: Uint8Array }
  | { kind: "gone" }
  | { kind: "bad"; file: string; problem: string; files: string[]; suffix: ".corrupt" | ".unverified" };

const utf8 = new TextEncoder();
const HEX64 = /^[0-9a-f]{64}$/;
/** A part name: a plain file name (never a path). */
const PART = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;

/** The canonical text of a record, with its own SHA-256 (over the stable JSON of the other fields). Pure. */
export function recordText(rec: IndexRecord): string {
  return stableJson({ ...rec, sha256: sha256Bytes(utf8.encode(stableJson(rec))) });
}

/** A record's text checked: the record, an older format's record, or what is wrong. Pure. */
export function parseRecord(text: string, index: string): { ok: IndexRecord } | { old: true } | { bad: string } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch {
    return { bad: "not valid JSON (truncated or garbled)" };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { bad: "not a JSON object" };
  if (Object.keys(v).sort().join() === "bytes,sha256" && !("format" in v)) return { old: true };
  const { sha256, ...rec } = v;
  if (text !== stableJson(v)) return { bad: "not in canonical form (edited or garbled)" };
  if (sha256 !== sha256Bytes(utf8.encode(stableJson(rec)))) return { bad: "its own SHA-256 does not match (garbled)" };
  const r = rec as unknown as IndexRecord;
  const shardsOk = r.shards && typeof r.shards === "object" &&
    Object.entries(r.shards).every(([p, s]) => PART.test(p) && count(s?.bytes) && count(s?.rows) && HEX64.test(s?.sha256));
  if (r.format !== 2 || r.index !== index || !count(r.indexBytes) || !count(r.rows) || !HEX64.test(r.indexSha256) || !shardsOk) {
    return { bad: `fields do not describe ${index} (format 2)` };
  }
  return { ok: r };
}

/** Write an index file and its record (record first, so that a reader finding the index finds its record). */
export async function writeIndex(dir: string, name: string, entries: IndexEntry[], shards: Record<string, ShardSum>): Promise<void> {
  const df = pl.DataFrame({
    key: entries.map((e) => e.key),
    item_id: entries.map((e) => e.itemId),
    part: entries.map((e) => e.part),
    row: pl.Series("row", entries.map((e) => e.row), pl.Int32),
  });
  const bytes = new Uint8Array(df.writeParquet());
  const rec: IndexRecord = { format: 2, index: `${name}.parquet`, indexBytes: bytes.byteLength, indexSha256: sha256Bytes(bytes), rows: entries.length, shards };
  await writeFileAtomic(join(dir, "sums", `${name}.json`), recordText(rec));
  await writeFileAtomic(join(dir, "index", `${name}.parquet`), bytes);
}

/**
 * Write one part: shard, checksum record, index (each to a temporary name, renamed in that order). On
 * failure nothing of the part stays; a full disk (or file size limit) is a clear error saying that every
 * part written before is complete.
 */
export async function writePart(dir: string, shardPath: string, part: string, bytes: Uint8Array, entries: { key: string; itemId: string }[]): Promise<void> {
  try {
    await writeFileAtomic(shardPath, bytes);
    const sum = { bytes: bytes.byteLength, sha256: sha256Bytes(bytes), rows: entries.length };
    await writeIndex(dir, part, entries.map((e, row) => ({ key: e.key, itemId: e.itemId, part, row })), { [part]: sum });
  } catch (err) {
    for (const f of [shardPath, join(dir, "sums", `${part}.json`)]) await Deno.remove(f).catch(() => {});
    if (isDiskFull(err)) {
      throw new Error(
        `feature store ${dir}: the disk is full (or a file size limit was reached) while writing a part of ${entries.length} vectors ` +
          `(${(bytes.byteLength / 1e6).toFixed(1)} MB); every part written before is complete and readable. Free space and run the extraction again ` +
          `to compute the rest (${(err as Error).message.split("\n")[0]})`,
      );
    }
    throw err;
  }
}

/**
 * Load and check `index/<name>.parquet` against `sums/<name>.json` (`rowBytes`: bytes per stored vector;
 * `marked`: the store was written by this format from the start, so a missing record is not an older
 * format's). Every row must point inside a shard its record describes.
 */
export function loadIndex(dir: string, name: string, rowBytes: number, marked: boolean): IndexLoad {
  const indexRel = join("index", `${name}.parquet`), recordRel = join("sums", `${name}.json`);
  const bad = (file: string, problem: string, files: string[], suffix: ".corrupt" | ".unverified" = ".corrupt"): IndexLoad => ({ kind: "bad", file, problem, files, suffix });
  let text: string;
  try {
    text = Deno.readTextFileSync(join(dir, recordRel));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    if (!existsSync(join(dir, indexRel))) return { kind: "gone" }; // compacted away meanwhile
    return marked
      ? bad(indexRel, "its checksum record (sums/) is missing", [indexRel])
      : bad(indexRel, "written by an older store format: no checksum record for the index", [indexRel], ".unverified");
  }
  const rec = parseRecord(text, `${name}.parquet`);
  if ("old" in rec) return bad(indexRel, "written by an older store format: its record checks the shard, not the index", [indexRel, recordRel], ".unverified");
  if ("bad" in rec) return bad(recordRel, `checksum record is corrupt: ${rec.bad}`, [recordRel, indexRel]);
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(join(dir, indexRel));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { kind: "gone" };
    throw err;
  }
  const r = rec.ok;
  if (bytes.byteLength !== r.indexBytes) return bad(indexRel, `index is ${bytes.byteLength < r.indexBytes ? "truncated" : "too long"}: ${bytes.byteLength} bytes, its record says ${r.indexBytes}`, [indexRel, recordRel]);
  if (sha256Bytes(bytes) !== r.indexSha256) return bad(indexRel, "index SHA-256 differs from its record (the bytes were altered)", [indexRel, recordRel]);
  let entries: IndexEntry[];
  try {
    const df = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const [keys, items, parts, rows] = ["key", "item_id", "part", "row"].map((c) => df.getColumn(c).toArray() as unknown[]);
    entries = keys.map((k, i) => ({ key: k as string, itemId: items[i] as string, part: parts[i] as string, row: Number(rows[i]) }));
  } catch (err) {
    return bad(indexRel, `index matches its record but cannot be read (${(err as Error).message.split("\n")[0]})`, [indexRel, recordRel]);
  }
  const shards = new Map(Object.entries(r.shards));
  const wrong = disagreement(entries, r.rows, shards, rowBytes);
  if (wrong) return bad(indexRel, `index does not agree with its record: ${wrong}`, [indexRel, recordRel]);
  return { kind: "ok", entries, shards, recordText: text, indexBytes: bytes };
}

/** How an index's rows disagree with its record, if they do: row count, shard lengths, rows inside their shards. Pure. */
function disagreement(entries: IndexEntry[], rows: number, shards: Map<string, ShardSum>, rowBytes: number): string | undefined {
  if (entries.length !== rows) return `${entries.length} rows, its record says ${rows}`;
  for (const [part, s] of shards) if (s.bytes !== s.rows * rowBytes) return `shard ${part}: ${s.bytes} bytes for ${s.rows} rows of ${rowBytes} bytes`;
  for (const e of entries) {
    const s = shards.get(e.part);
    if (typeof e.key !== "string" || typeof e.itemId !== "string" || !s || !Number.isInteger(e.row) || e.row < 0 || e.row >= s.rows) {
      return `row ${JSON.stringify(e)} points outside the shards it describes`;
    }
  }
  return undefined;
}

/** A skipped-items file's text: one JSON line per record, then a line with the SHA-256 of the lines above. Pure. */
export function skipFileText(records: { key: string; itemId: string; reason: string }[]): string {
  const body = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
  return `${body}${JSON.stringify({ sha256: sha256Bytes(utf8.encode(body)) })}\n`;
}

/** A skipped-items file checked: its records, or what is wrong (`old`: an older format without the checksum line). Pure. */
export function parseSkipFile(text: string): { records: { key: string; itemId: string; reason: string }[] } | { problem: string; old: boolean } {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const last = lines.pop() ?? "";
  const body = lines.map((l) => `${l}\n`).join("");
  let tail: Record<string, unknown> | undefined;
  try {
    tail = JSON.parse(last);
  } catch { /* checked below */ }
  if (tail && typeof tail.key === "string" && !("sha256" in tail)) return { problem: "written by an older store format: no checksum line", old: true };
  if (!text.endsWith("\n") || !tail || tail.sha256 !== sha256Bytes(utf8.encode(body)) || `${JSON.stringify(tail)}` !== last) {
    return { problem: "skipped-items file is corrupt: its checksum line does not match (truncated or garbled)", old: false };
  }
  let records: { key: string; itemId: string; reason: string }[] = [];
  try {
    records = lines.map((l) => JSON.parse(l));
  } catch { /* checked below */ }
  if (records.length !== lines.length || !records.every((r) => typeof r?.key === "string" && typeof r.itemId === "string" && typeof r.reason === "string")) {
    return { problem: "skipped-items file matches its checksum line but its records lack key, itemId or reason", old: false };
  }
  return { records };
}

/** The skipped-items files of store `dir` not in `seen`, each read and checked (`file` relative to `dir`; files cleared meanwhile left out). */
export function newSkipFiles(dir: string, seen: Set<string>): { file: string; text: string; got: ReturnType<typeof parseSkipFile> }[] {
  const out: { file: string; text: string; got: ReturnType<typeof parseSkipFile> }[] = [];
  for (const e of [...Deno.readDirSync(join(dir, "skipped"))].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.name.endsWith(".jsonl") || seen.has(e.name)) continue;
    const file = join("skipped", e.name);
    try {
      const text = Deno.readTextFileSync(join(dir, file));
      out.push({ file, text, got: parseSkipFile(text) });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return out;
}

/** The repairs one store object made: each told once on stderr when made, and handed out once by `take()`. */
export class RepairLog {
  #all: Repair[] = [];
  #taken = 0;
  constructor(readonly storeName: string) {}

  /** Every repair, in order. */
  get all(): readonly Repair[] {
    return this.#all;
  }

  /** Note a repair and tell it on stderr, naming the file and what happens to its vectors. */
  add(r: Repair): void {
    this.#all.push(r);
    const moved = r.movedTo.length ? `moved aside (${r.movedTo.join(", ")}); ` : "";
    console.warn(`[feature store] ${this.storeName}: ${r.file}: ${r.problem}; ${moved}its vectors count as missing and are computed again by the next extraction`);
  }

  /** Repairs not handed out by an earlier call (extract reports each repair once). */
  take(): Repair[] {
    const out = this.#all.slice(this.#taken);
    this.#taken = this.#all.length;
    return out;
  }
}

/**
 * Move `files` (relative to `dir`) aside with `suffix`. Returns the names moved to, or null when the first
 * (the file at fault) is already gone: another process moved it and reports it.
 */
export function quarantine(dir: string, files: string[], suffix: string): string[] | null {
  const moved: string[] = [];
  for (const [i, f] of files.entries()) {
    try {
      Deno.renameSync(join(dir, f), join(dir, f + suffix));
      moved.push(f + suffix);
    } catch (err) {
      if (i === 0 && err instanceof Deno.errors.NotFound) return null;
      if (!(err instanceof Deno.errors.NotFound)) moved.push(`${f} (could not be moved aside: ${(err as Error).message.split("\n")[0]})`);
    }
  }
  return moved;
}

/**
 * Repairs as one line for a summary, files with the same problem counted together, e.g.
 * `2 files repaired: index/x.parquet (index SHA-256 differs ...); 40 files (written by an older store format ...), e.g. ...`. Pure.
 */
export function describeRepairs(repairs: readonly Repair[]): string {
  if (!repairs.length) return "nothing repaired";
  const byProblem = new Map<string, Repair[]>();
  for (const r of repairs) byProblem.set(r.problem, [...byProblem.get(r.problem) ?? [], r]);
  const groups = [...byProblem].map(([problem, rs]) => rs.length === 1 ? `${rs[0].file} (${problem})` : `${rs.length} files (${problem}), e.g. ${rs[0].file}`);
  return `${repairs.length} file${repairs.length === 1 ? "" : "s"} moved aside (their vectors are computed again): ${groups.join("; ")}`;
}
