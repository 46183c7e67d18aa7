/**
 * Extraction: run a frozen encoder over items, store every vector, skip what is stored. Killed at any
 * point, a rerun computes only what is missing (at most the last unflushed batch is lost).
 *
 * Keys: texts are keyed by their content; images by item id plus file size and modification time
 * (cheap to check, changes when the file does), both combined with the encoder's store hash.
 *
 * Several processes may extract into one store at once: each claims a part's worth of keys before
 * computing them (see `claimKeys` in integrity.ts), so nothing is computed twice and nothing is lost; a process
 * whose items another is computing waits for them. Stored vectors of the items are checked first
 * (`verifyStore`): a corrupt shard is moved aside and its vectors computed again, as are the vectors of
 * an index or checksum record that failed its check when the store read it (see records.ts). The result's
 * `repaired` lists every file moved aside; `describeRepairs(res.repaired)` says it in one line.
 *
 * Bad input (an unreadable image, an empty text, a NaN from the model): with `onError: "throw"` (default)
 * the error names the item after everything computed so far has been stored; with `"skip"` the item is
 * recorded in the store's skip list with its reason and the run goes on.
 *
 * @example
 * ```ts
 * import type { Item } from "../data/items.ts";
 * import { mobileNetV2Encoder } from "../encoders/vision/tfjs_models.ts";
 * declare const items: Item[];
 * const encoder = await mobileNetV2Encoder();
 * const store = await storeFor(encoder);
 * const res = await extract(store, encoder, items.map((it) => ({ id: it.item_id, input: it.image_path! })));
 * const m = store.matrix(res.keys);     // one row per item, in order
 * if (res.repaired.length) console.log(describeRepairs(res.repaired));
 * ```
 */
import { type Encoder, type ImageInput } from "../encoders/types.ts";
import { type FeatureStore, openStore, type StoreDtype } from "./feature_store.ts";
import { sha256Hex } from "../core/hash.ts";
import { parseImageRef } from "../data/image_ref.ts";
import { inShard, type Shard, WHOLE } from "./shard.ts";
import { claimKeys } from "./integrity.ts";
import { verifyStore } from "./verify.ts";
import { describeRepairs, type Repair } from "./records.ts";

export { describeRepairs, type Repair };
import { progress, type ProgressSink } from "../runtime/progress.ts";

/** One thing to embed: an id for messages and a text or an image reference. */
export interface ExtractItem {
  id: string;
  input: string | Uint8Array;
}

/** Options of {@link extract}. */
export interface ExtractOptions {
  /** Inputs per encoder call (default 32). */
  batchSize?: number;
  /** Write a part every this many vectors (default 256): the most a kill can lose. */
  flushEvery?: number;
  onError?: "throw" | "skip";
  /** Retry items recorded as skipped before (default false). */
  retrySkipped?: boolean;
  /** Only this slice of the items (see shard.ts). */
  shard?: Shard;
  /** Progress display (default auto; false for none). */
  progress?: ProgressSink | false;
  label?: string;
  /** Check the stored shards of these items first and recompute corrupt ones (default true). */
  verify?: boolean;
  /** How often to look whether items claimed by another process are done, ms (default 200). */
  pollMs?: number;
}

/** What an extraction did. */
export interface ExtractResult {
  /** Store key of each input item, in order. */
  keys: string[];
  computed: number;
  cached: number;
  skipped: number;
  /** Items not in this process's shard. */
  otherShards: number;
  seconds: number;
  /**
   * Files found bad since the store was opened (or since the last extraction with this store object):
   * shards, index files, checksum records, skipped-items files; each moved aside, its vectors computed
   * again (those among `items`; the others by the extraction that asks for them).
   */
  repaired: Repair[];
  /** Items another process was computing; this run waited for them. */
  byOthers: number;
}

/** The store for an encoder under the cache (one per identity). */
export function storeFor(encoder: Encoder, dtype: StoreDtype = "float32", root?: string): Promise<FeatureStore> {
  return openStore(encoder.identity, { name: encoder.identity.name, dim: encoder.identity.dim, dtype, root });
}

async function itemKey(store: FeatureStore, encoder: Encoder, item: ExtractItem): Promise<string> {
  let content: string;
  if (encoder.identity.kind === "text") {
    if (typeof item.input !== "string") throw new Error(`text item ${item.id}: input is not a string`);
    content = `text\u0000${item.input}`;
  } else if (typeof item.input === "string") {
    const path = parseImageRef(item.input).file;
    let stamp = "missing";
    try {
      const st = Deno.statSync(path);
      stamp = `${st.size}:${st.mtime?.getTime() ?? 0}`;
    } catch { /* a missing file is reported when it is embedded */ }
    content = `image\u0000${item.id}\u0000${item.input}\u0000${stamp}`;
  } else {
    const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(item.input));
    content = `bytes\u0000${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  return (await sha256Hex(`${store.identityHash}\u0000${content}`)).slice(0, 32);
}

/** Embed every item not yet in the store; returns the keys to read the vectors with. */
export async function extract(store: FeatureStore, encoder: Encoder, items: ExtractItem[], opts: ExtractOptions = {}): Promise<ExtractResult> {
  const t0 = performance.now();
  if (store.dim !== encoder.identity.dim) {
    throw new Error(`${encoder.identity.name} gives ${encoder.identity.dim}-d vectors but the store ${store.dir} holds ${store.dim}-d`);
  }
  const shard = opts.shard ?? WHOLE, batchSize = opts.batchSize ?? 32, flushEvery = opts.flushEvery ?? 256;
  const onError = opts.onError ?? "throw";
  store.refresh();
  const keys = await Promise.all(items.map((it) => itemKey(store, encoder, it)));
  if (opts.verify !== false) verifyStore(store, keys);
  let otherShards = 0, skippedBefore = 0;
  const todo: number[] = [];
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (!inShard(k, shard)) otherShards++;
    else if (store.has(k) || seen.has(k)) return;
    else if (store.skipReason(k) !== undefined && !opts.retrySkipped) skippedBefore++;
    else {
      seen.add(k);
      todo.push(i);
    }
  });
  const cached = items.length - otherShards - todo.length - skippedBefore;
  const bar = opts.progress === false || !todo.length
    ? undefined
    : progress(todo.length, opts.label ?? `${encoder.identity.name} features`, { sink: opts.progress || "auto" });
  let pending: { key: string; itemId: string; vector: Float32Array }[] = [];
  const skips: { key: string; itemId: string; reason: string }[] = [];
  let computed = 0, skippedNow = 0, byOthers = 0;
  const flush = async () => {
    await store.append(pending);
    await store.recordSkips(skips.splice(0));
    pending = [];
  };
  // deno-lint-ignore no-explicit-any
  const embed = (inputs: (string | Uint8Array)[]) => (encoder as any).embed(inputs as ImageInput[]) as Promise<Float32Array[]>;
  const indexOf = new Map(todo.map((i) => [keys[i], i]));
  /** Compute, store and release one claimed chunk. */
  const run = async (chunk: number[]) => {
    for (let s = 0; s < chunk.length; s += batchSize) {
      const batch = chunk.slice(s, s + batchSize);
      let vectors: (Float32Array | null)[];
      try {
        vectors = await embed(batch.map((i) => items[i].input));
      } catch (batchErr) {
        if (onError === "throw" && batch.length === 1) throw withItem(batchErr, items[batch[0]].id);
        vectors = [];
        for (const i of batch) { // isolate the bad item(s)
          try {
            vectors.push((await embed([items[i].input]))[0]);
          } catch (err) {
            if (onError === "throw") throw withItem(err, items[i].id);
            skips.push({ key: keys[i], itemId: items[i].id, reason: (err as Error).message.split("\n")[0] });
            skippedNow++;
            vectors.push(null);
          }
        }
      }
      batch.forEach((i, j) => {
        const v = vectors[j];
        if (!v) return;
        const bad = v.length !== store.dim ? `a ${v.length}-d vector, expected ${store.dim}-d` : v.some((x) => !Number.isFinite(x)) ? "a non-finite value (NaN or Inf)" : null;
        if (!bad) return void pending.push({ key: keys[i], itemId: items[i].id, vector: v });
        if (onError === "throw") throw new Error(`item ${items[i].id}: ${encoder.identity.name} produced ${bad}`);
        skips.push({ key: keys[i], itemId: items[i].id, reason: `${encoder.identity.name} produced ${bad}` });
        skippedNow++;
        vectors[j] = null;
      });
      computed += vectors.filter(Boolean).length;
      bar?.tick(batch.length);
    }
  };
  const chunkSize = Math.max(1, flushEvery);
  let waiting: string[] = [];
  try {
    for (let s = 0; s < todo.length; s += chunkSize) {
      const chunk = todo.slice(s, s + chunkSize);
      const claim = await claimKeys(store, chunk.map((i) => keys[i]));
      waiting.push(...claim.waiting);
      byOthers += chunk.length - claim.granted.length - claim.waiting.length; // stored meanwhile by another process
      bar?.tick(chunk.length - claim.granted.length - claim.waiting.length);
      try {
        await run(claim.granted.map((k) => indexOf.get(k)!));
      } finally {
        await flush(); // keep everything computed, also when an item failed
        await claim.release();
      }
    }
    // items another process was computing: wait until they are stored, or take them over if it died
    while (waiting.length) {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
      const claim = await claimKeys(store, waiting);
      const before = waiting.length;
      waiting = claim.waiting;
      try {
        await run(claim.granted.map((k) => indexOf.get(k)!));
      } finally {
        await flush();
        await claim.release();
      }
      byOthers += before - waiting.length - claim.granted.length;
      bar?.tick(before - waiting.length - claim.granted.length);
    }
  } finally {
    await bar?.done();
  }
  return {
    keys,
    computed,
    cached,
    skipped: skippedBefore + skippedNow,
    otherShards,
    repaired: store.repairs.take(),
    byOthers,
    seconds: (performance.now() - t0) / 1000,
  };
}

function withItem(err: unknown, id: string): Error {
  const msg = (err as Error).message ?? String(err);
  return new Error(msg.includes(id) ? msg : `item ${id}: ${msg}`);
}
