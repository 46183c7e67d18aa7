/**
 * Checking a store's shards: each against the length and SHA-256 of its verified checksum record (see
 * records.ts). A bad shard is an error naming the file; {@link verifyStore} moves bad shards aside
 * (`<part>.<ext>.corrupt`) so that their vectors count as missing and the next extraction recomputes
 * exactly them. The index and the record are left as they are: they are not at fault.
 *
 * @example
 * ```ts
 * import { openStore } from "./feature_store.ts";
 * const store = await openStore({ kind: "text", name: "t" }, { name: "t", dim: 2, root: await Deno.makeTempDir() });
 * await store.append([{ key: "a", itemId: "A", vector: Float32Array.of(1, 2) }]);
 * verifyStore(store);   // [] when every shard is whole
 * ```
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { FeatureStore } from "./feature_store.ts";
import { sha256Bytes } from "./integrity.ts";
import { describeRepairs, type Repair } from "./records.ts";

/**
 * What is wrong with a part's shard bytes, or null when they are whole: the length and the SHA-256 must
 * be those of the part's checksum record (which the store verified when it loaded the part's index).
 */
export function checkPart(store: FeatureStore, part: string, bytes: Uint8Array): string | null {
  const sum = store.shardSum(part);
  if (!sum) return "no verified checksum record names this shard";
  if (bytes.byteLength !== sum.bytes) return `${bytes.byteLength < sum.bytes ? "truncated" : "too long"}: ${bytes.byteLength} bytes, expected ${sum.bytes}`;
  if (sha256Bytes(bytes) !== sum.sha256) return "checksum mismatch (SHA-256 differs: the bytes were altered)";
  return null;
}

/** The error for a bad part: names the shard file and what to do. */
export function corruptError(store: FeatureStore, part: string, problem: string): Error {
  return new Error(
    `feature store ${basename(store.dir)}: shard ${join("shards", basename(store.shardPath(part)))} is corrupt (${problem}); ` +
      `it holds ${store.partRows(part)} vectors. Run the extraction again: it moves the shard aside and recomputes them`,
  );
}

/** The error for keys a store does not hold (`missing`: how to name each), saying which files were moved aside, if any. */
export function missingError(store: FeatureStore, missing: string[], total: number): Error {
  const moved = store.repairs.all.length ? `; ${describeRepairs(store.repairs.all)}: run the extraction to compute them` : "";
  return new Error(`feature store ${basename(store.dir)}: ${missing.length} of ${total} vectors missing, e.g. ${missing.slice(0, 3).join("; ")}${moved}`);
}

/**
 * For a shard file found missing: true the first time (no `.corrupt` file beside it, no `.missing` note),
 * and leaves the `.missing` note so that it is told once (a read-only store tells it at every open).
 */
export function newlyMissing(shardPath: string): boolean {
  if (existsSync(`${shardPath}.corrupt`) || existsSync(`${shardPath}.missing`)) return false;
  try {
    Deno.writeFileSync(`${shardPath}.missing`, new Uint8Array());
  } catch { /* read-only */ }
  return true;
}

/** Read a part's bytes, checked once per store object (throws {@link corruptError} on a bad shard). */
export function readPart(store: FeatureStore, part: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(store.shardPath(part));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw corruptError(store, part, "the shard file is missing");
    throw err;
  }
  if (!store.verified.has(part)) {
    const problem = checkPart(store, part, bytes);
    if (problem) throw corruptError(store, part, problem);
    store.verified.add(part);
  }
  return bytes;
}

/**
 * Check the shards holding `keys` (default: every part) and move bad ones aside (`.corrupt`), so that
 * their vectors count as missing and the next extraction recomputes them. Returns what was found (also
 * noted in `store.repairs`). Parts already checked by this store object are not read again.
 */
export function verifyStore(store: FeatureStore, keys?: Iterable<string>): Repair[] {
  const bad: Repair[] = [];
  for (const part of store.parts(keys)) {
    if (store.verified.has(part)) continue;
    let problem: string | null;
    try {
      problem = checkPart(store, part, Deno.readFileSync(store.shardPath(part)));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      problem = "the shard file is missing";
    }
    if (!problem) {
      store.verified.add(part);
      continue;
    }
    const file = join("shards", basename(store.shardPath(part)));
    const r: Repair = { file, problem, movedTo: [], part, vectors: store.partRows(part) };
    try {
      Deno.renameSync(store.shardPath(part), `${store.shardPath(part)}.corrupt`);
      r.movedTo.push(`${file}.corrupt`);
    } catch { /* already moved by another process */ }
    bad.push(r);
    store.repairs.add(r);
  }
  if (bad.length) store.dropParts(new Set(bad.map((b) => b.part!)));
  return bad;
}
