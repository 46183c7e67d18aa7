/**
 * Rows on demand: training and evaluation read the rows of a batch, not a whole dataset. A
 * {@link RowSource} is either an in-memory matrix ({@link matrixRows}) or a store's shards read as
 * needed ({@link storeRows}): float16 shards stay float16 (raw bytes) until a batch is gathered, and
 * the bytes held in memory are bounded by `memoryBytes` (shards that fit are kept whole, the rest are
 * read row by row with positional reads). Either way a batch holds exactly the values of
 * `store.matrix(keys)`, so training on either gives the same numbers.
 *
 * @example
 * ```ts
 * import { openStore } from "./feature_store.ts";
 * const store = await openStore({ kind: "text", name: "t" }, { name: "t", dim: 4, dtype: "float16", root: await Deno.makeTempDir() });
 * await store.append([{ key: "a", itemId: "A", vector: Float32Array.of(1, 2, 3, 4) }]);
 * const src = storeRows(store, ["a"], { memoryBytes: 1 << 20 });
 * const batch: Float32Array = src.read([0]);   // 4 values
 * ```
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { FeatureStore, Matrix } from "./feature_store.ts";
import { halfToFloat } from "./integrity.ts";
import { checkPart, corruptError, missingError } from "./verify.ts";

/** Rows of a dataset, read by index. */
export interface RowSource {
  readonly rows: number;
  readonly dim: number;
  /** Rows `idx`, in order, as one float32 [idx.length x dim] array. */
  read(idx: ArrayLike<number>): Float32Array;
}

/** Where reading stands: how much a store source holds and how it read. */
export interface RowStats {
  /** Bytes of shards held in memory now, and at most. */
  heldBytes: number;
  peakHeldBytes: number;
  /** Rows read one at a time from disk (shards that did not fit). */
  rowReads: number;
  /** Bytes read from disk. */
  bytesRead: number;
}

/** A matrix as a row source (no copy). */
export function matrixRows(m: Matrix): RowSource {
  return {
    rows: m.rows,
    dim: m.dim,
    read(idx) {
      const out = new Float32Array(idx.length * m.dim);
      for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i] * m.dim, (idx[i] + 1) * m.dim), i * m.dim);
      return out;
    },
  };
}

/** A matrix or a row source, as a row source. */
export function asRowSource(x: Matrix | RowSource): RowSource {
  return "data" in x ? matrixRows(x) : x;
}

/** Options of {@link storeRows}. */
export interface StoreRowsOptions {
  /** Most shard bytes held in memory (default 256 MiB); 0 reads every row from disk. */
  memoryBytes?: number;
  /** Check every shard's length and checksum once, up front (default true; parts this store object checked before are not read again). */
  verify?: boolean;
}

/** A row source over `keys` of a store (row i = keys[i]). Every key must be stored. */
export function storeRows(store: FeatureStore, keys: readonly string[], opts: StoreRowsOptions = {}): RowSource & { stats: RowStats } {
  const budget = opts.memoryBytes ?? 256 * 2 ** 20;
  const dim = store.dim, bpv = store.bytesPerValue, rowBytes = dim * bpv;
  const partNames: string[] = [], partId = new Map<string, number>();
  const partOf = new Uint32Array(keys.length), rowOf = new Uint32Array(keys.length);
  const missing: string[] = [];
  keys.forEach((k, i) => {
    const loc = store.locate(k);
    if (!loc) return void missing.push(k);
    let p = partId.get(loc.part);
    if (p === undefined) partId.set(loc.part, p = partNames.push(loc.part) - 1);
    partOf[i] = p;
    rowOf[i] = loc.row;
  });
  if (missing.length) throw missingError(store, missing, keys.length);
  if (opts.verify !== false) {
    for (const part of partNames) {
      if (store.verified.has(part)) continue;
      const problem = checkPart(store, part, Deno.readFileSync(store.shardPath(part)));
      if (problem) throw corruptError(store, part, problem);
      store.verified.add(part);
    }
  }
  const held = new Map<number, Uint8Array>();
  const stats: RowStats = { heldBytes: 0, peakHeldBytes: 0, rowReads: 0, bytesRead: 0 };
  const rowBuf = new Uint8Array(rowBytes);
  const put = (bytes: Uint8Array, offset: number, out: Float32Array, at: number) => {
    if (bpv === 2) halfToFloat(new Uint16Array(bytes.buffer, bytes.byteOffset + offset, dim), out, at);
    else out.set(new Float32Array(bytes.buffer, bytes.byteOffset + offset, dim), at);
  };
  return {
    rows: keys.length,
    dim,
    stats,
    read(idx) {
      const out = new Float32Array(idx.length * dim);
      // group by part, rows ascending within a part: one open and sequential reads per part
      const order = Array.from({ length: idx.length }, (_, i) => i).sort((a, b) => partOf[idx[a]] - partOf[idx[b]] || rowOf[idx[a]] - rowOf[idx[b]]);
      for (let s = 0; s < order.length;) {
        const p = partOf[idx[order[s]]];
        let e = s;
        while (e < order.length && partOf[idx[order[e]]] === p) e++;
        let bytes = held.get(p);
        const partBytes = store.partRows(partNames[p]) * rowBytes;
        if (!bytes && stats.heldBytes + partBytes <= budget) {
          bytes = Deno.readFileSync(store.shardPath(partNames[p]));
          if (bytes.byteOffset % bpv) bytes = bytes.slice();
          held.set(p, bytes);
          stats.heldBytes += bytes.byteLength;
          stats.bytesRead += bytes.byteLength;
          stats.peakHeldBytes = Math.max(stats.peakHeldBytes, stats.heldBytes);
        }
        if (bytes) {
          for (let j = s; j < e; j++) put(bytes, rowOf[idx[order[j]]] * rowBytes, out, order[j] * dim);
        } else {
          const path = store.shardPath(partNames[p]);
          const fd = openSync(path, "r");
          try {
            for (let j = s; j < e; j++) {
              const got = readSync(fd, rowBuf, 0, rowBytes, rowOf[idx[order[j]]] * rowBytes);
              if (got !== rowBytes) throw corruptError(store, partNames[p], `truncated: row ${rowOf[idx[order[j]]]} is past the end`);
              put(rowBuf, 0, out, order[j] * dim);
              stats.rowReads++;
              stats.bytesRead += rowBytes;
            }
          } finally {
            closeSync(fd);
          }
        }
        s = e;
      }
      return out;
    },
  };
}
