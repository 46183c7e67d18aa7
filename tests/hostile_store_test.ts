/**
 * A hostile store: every byte of a feature store is checked. Bit flips in index files and checksum
 * records, garbled / truncated / deleted records, truncated and flipped shards, older-format stores and
 * bad sources of a merge, on tiny float32 and float16 stores in temporary folders. The rule under test:
 * no vector is ever served wrong; every bad file is named, moved aside and reported by `extract`, its
 * vectors computed again (equal to the originals); a bad index or record never blames a healthy shard.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FeatureStore, mergeStores, openStore, type StoreDtype } from "../lib/store/feature_store.ts";
import { describeRepairs, extract, storeFor } from "../lib/store/extract.ts";
import { writeIndex } from "../lib/store/records.ts";
import { storeRows } from "../lib/store/rows.ts";
import { randomTextEncoder } from "../lib/encoders/text/random_text.ts";
import type { LanguageEncoder } from "../lib/encoders/types.ts";

const DIM = 8, N = 12, PER = 4; // three parts of four vectors
const base = randomTextEncoder({ dim: DIM, seed: 4 });
const items = Array.from({ length: N }, (_, i) => ({ id: `t${i}`, input: `text number ${i}` }));
const DTYPES: StoreDtype[] = ["float32", "float16"];

// Every folder of this file, removed when it ends.
const TMP = await Deno.makeTempDir({ prefix: "hostile-store-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

// What the store tells on stderr, kept here (thousands of flips) and checked: each repair is told, naming its file.
const told: string[] = [];
console.warn = (...args: unknown[]) => void told.push(args.join(" "));

/** An encoder that counts the texts it embeds. */
function counting(): LanguageEncoder & { calls: number } {
  const enc = { ...base, identity: base.identity, calls: 0, embed: (t: string[]) => (enc.calls += t.length, base.embed(t)) };
  return enc;
}

/** A pristine store of N items in three parts; its folder, keys, vectors and file names. */
async function pristine(dtype: StoreDtype) {
  const root = await Deno.makeTempDir({ dir: TMP, prefix: "hostile-" });
  const store = await storeFor(base, dtype, root);
  const r = await extract(store, base, items, { flushEvery: PER, batchSize: PER, progress: false });
  assert.equal(r.computed, N);
  const parts = [...store.parts()].sort();
  assert.equal(parts.length, 3);
  return { root, rel: store.dir.slice(root.length + 1), keys: r.keys, expected: store.matrix(r.keys).data.slice(), parts, ext: dtype === "float16" ? "f16" : "f32" };
}
type Pristine = Awaited<ReturnType<typeof pristine>>;

function copyDir(from: string, to: string) {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(join(from, e.name), join(to, e.name));
    else Deno.copyFileSync(join(from, e.name), join(to, e.name));
  }
}

/** A fresh copy of the pristine store, altered by `damage(dir)`. */
async function damaged(p: Pristine, damage: (dir: string) => void | Promise<void>): Promise<string> {
  const root = await Deno.makeTempDir({ dir: TMP, prefix: "hostile-copy-" });
  copyDir(p.root, root);
  await damage(join(root, p.rel));
  return root;
}

function flipBit(path: string, byte: number, bit: number) {
  const b = Deno.readFileSync(path);
  b[byte] ^= 1 << bit;
  Deno.writeFileSync(path, b);
}

/** Every vector the store serves equals the original, bit for bit; returns how many it serves. */
function noWrongVector(store: FeatureStore, p: Pristine, what: string): number {
  let served = 0;
  p.keys.forEach((k, i) => {
    if (!store.has(k)) return;
    let v: Float32Array | undefined;
    try {
      v = store.get(k);
    } catch (err) {
      return assert.match((err as Error).message, /shards\/\S+ is corrupt/, what); // a read that fails names the shard
    }
    assert.deepEqual([...v!], [...p.expected.subarray(i * DIM, (i + 1) * DIM)], `${what}: item ${i} served a wrong vector`);
    served++;
  });
  return served;
}

/** Open the damaged copy, check nothing wrong is served, extract again: the vectors equal the originals. */
async function healsTo(p: Pristine, root: string, dtype: StoreDtype, what: string) {
  const store = await storeFor(base, dtype, root);
  noWrongVector(store, p, what);
  const enc = counting();
  const r = await extract(store, enc, items, { progress: false });
  for (const x of r.repaired) assert.ok(told.some((t) => t.includes(`: ${x.file}: ${x.problem}`)), `${what}: ${x.file} was told on stderr`);
  told.length = 0;
  assert.equal(r.computed, enc.calls, what);
  assert.deepEqual([...store.matrix(r.keys).data], [...p.expected], `${what}: the recomputed vectors differ from the originals`);
  const again = await extract(await storeFor(base, dtype, root), base, items, { progress: false });
  assert.deepEqual([again.computed, again.repaired.length], [0, 0], `${what}: a second run finds nothing to repair`);
  return r;
}

const shardsAside = (dir: string) => [...Deno.readDirSync(join(dir, "shards"))].filter((e) => e.name.endsWith(".corrupt")).map((e) => e.name);

/**
 * Flip one bit of every byte of `file` (of the middle part), one at a time, in place: each time the store
 * must serve no wrong vector, keep the part's shard and serve the other parts (plus `check`); the flip is
 * then undone. Every 97th flip, on a copy, the next extraction must also recompute exactly the part's
 * vectors, equal to the originals, and report the file. Returns the number of flips.
 */
async function everyFlip(p: Pristine, dtype: StoreDtype, file: string, check: (store: FeatureStore, what: string) => void): Promise<number> {
  const dir = join(p.root, p.rel), path = join(dir, file), original = Deno.readFileSync(path);
  const shard = join(dir, "shards", `${p.parts[1]}.${p.ext}`);
  let flips = 0;
  for (let byte = 0; byte < original.length; byte++) {
    const bit = (byte * 5) % 8, what = `${file} byte ${byte} bit ${bit}`;
    flipBit(path, byte, bit);
    const store = await storeFor(base, dtype, p.root);
    check(store, what);
    assert.equal(noWrongVector(store, p, what), N - PER, `${what}: the other parts are served`);
    assert.ok(Deno.statSync(shard).isFile, `${what}: the healthy shard stays`);
    assert.deepEqual(shardsAside(dir), [], `${what}: no shard blamed`);
    for (const moved of store.repairs.all.flatMap((x) => x.movedTo)) Deno.renameSync(join(dir, moved), join(dir, moved.replace(/\.(corrupt|unverified)$/, "")));
    Deno.writeFileSync(path, original);
    if (byte % 97 === 0) {
      const root = await damaged(p, (d) => flipBit(join(d, file), byte, bit));
      const r = await healsTo(p, root, dtype, what);
      assert.deepEqual([r.computed, r.repaired.map((x) => x.file)], [PER, [file]], what);
      await Deno.remove(root, { recursive: true });
    }
    flips++;
  }
  told.length = 0;
  return flips;
}

for (const dtype of DTYPES) {
  Deno.test(`hostile store (${dtype}): every single-bit flip of an index file is detected, the part recomputed, its healthy shard kept`, async () => {
    const p = await pristine(dtype);
    const part = p.parts[1], index = join("index", `${part}.parquet`);
    const flips = await everyFlip(p, dtype, index, (store, what) => {
      assert.deepEqual(store.repairs.all.map((x) => [x.file, x.problem.startsWith("index")]), [[index, true]], what);
      assert.ok(Deno.statSync(join(store.dir, `${index}.corrupt`)).isFile, `${what}: the bad index is kept aside`);
    });
    assert.equal(flips, Deno.statSync(join(p.root, p.rel, index)).size);
    await Deno.remove(p.root, { recursive: true });
  });

  Deno.test(`hostile store (${dtype}): every single-bit flip of a checksum record is detected, never read as an older store, no shard blamed`, async () => {
    const p = await pristine(dtype);
    const record = join("sums", `${p.parts[1]}.json`);
    await everyFlip(p, dtype, record, (store, what) => {
      assert.deepEqual(store.repairs.all.map((x) => x.file), [record], what);
      assert.match(store.repairs.all[0].problem, /^checksum record is corrupt/, what);
      assert.doesNotMatch(describeRepairs(store.repairs.all), /older/, what);
    });
    // the probe: a garbled record, then a corrupted shard: the shard is never read as valid
    const root = await damaged(p, (dir) => {
      flipBit(join(dir, record), 20, 1);
      flipBit(join(dir, "shards", `${p.parts[1]}.${p.ext}`), 5, 2);
    });
    const r = await healsTo(p, root, dtype, "garbled record, then a flipped shard");
    assert.deepEqual([r.computed, r.repaired.map((x) => x.file)], [PER, [record]]);
    await Deno.remove(p.root, { recursive: true });
  });

  Deno.test(`hostile store (${dtype}): a garbled, truncated or deleted checksum record is named; its part is recomputed`, async () => {
    const p = await pristine(dtype);
    const part = p.parts[2], record = join("sums", `${part}.json`), index = join("index", `${part}.parquet`);
    const cases: [string, (path: string) => void, RegExp, string][] = [
      ["garbled", (f) => Deno.writeTextFileSync(f, Deno.readTextFileSync(f).replace(/"sha256":"[0-9a-f]{4}/, '"sha256":"beef')), /checksum record is corrupt: its own SHA-256 does not match/, record],
      ["truncated", (f) => Deno.truncateSync(f, 40), /checksum record is corrupt: not valid JSON/, record],
      ["emptied", (f) => Deno.writeTextFileSync(f, ""), /checksum record is corrupt: not valid JSON/, record],
      ["re-indented", (f) => Deno.writeTextFileSync(f, JSON.stringify(JSON.parse(Deno.readTextFileSync(f)), null, 1)), /not in canonical form/, record],
      ["deleted", (f) => Deno.removeSync(f), /its checksum record \(sums\/\) is missing/, index],
    ];
    for (const [name, damage, problem, file] of cases) {
      const root = await damaged(p, (dir) => damage(join(dir, record)));
      const r = await healsTo(p, root, dtype, name);
      assert.deepEqual(r.repaired.map((x) => x.file), [file], name);
      assert.match(r.repaired[0].problem, problem, name);
      assert.doesNotMatch(r.repaired[0].problem, /older/, `${name}: not taken for an older store`);
      assert.equal(r.computed, PER, name);
      assert.deepEqual(shardsAside(join(root, p.rel)), [], `${name}: no shard blamed`);
    }
  });

  Deno.test(`hostile store (${dtype}): truncated, extended and bit-flipped shards are named on read and recomputed to identical vectors`, async () => {
    const p = await pristine(dtype);
    const part = p.parts[1], shard = join("shards", `${part}.${p.ext}`), bytes = PER * DIM * (dtype === "float16" ? 2 : 4);
    const cases: [string, (path: string) => void, RegExp][] = [
      ["first byte flipped", (f) => flipBit(f, 0, 0), /checksum mismatch/],
      ["middle byte flipped", (f) => flipBit(f, bytes / 2 + 1, 7), /checksum mismatch/],
      ["last byte flipped", (f) => flipBit(f, bytes - 1, 3), /checksum mismatch/],
      ["cut by one byte", (f) => Deno.truncateSync(f, bytes - 1), /truncated/],
      ["emptied", (f) => Deno.truncateSync(f, 0), /truncated/],
      ["one byte longer", (f) => Deno.writeFileSync(f, new Uint8Array(1), { append: true }), /too long/],
    ];
    const partKeys = p.keys.filter((_, i) => Math.floor(i / PER) === 1);
    for (const [name, damage, problem] of cases) {
      const root = await damaged(p, (dir) => damage(join(dir, shard)));
      const reader = await storeFor(base, dtype, root);
      assert.throws(() => reader.matrix(partKeys), (e: Error) => e.message.includes(shard) && problem.test(e.message), name);
      assert.throws(() => storeRows(reader, p.keys), (e: Error) => e.message.includes(shard), name);
      const r = await healsTo(p, root, dtype, name);
      assert.deepEqual(r.repaired.map((x) => [x.file, x.part, x.vectors]), [[shard, part, PER]], name);
      assert.match(r.repaired[0].problem, problem, name);
      assert.equal(r.computed, PER, name);
      assert.ok(Deno.statSync(join(root, p.rel, `${shard}.corrupt`)).isFile, `${name}: kept aside`);
    }
  });
}

Deno.test("hostile store: a deleted shard is told once (a `.missing` note), never blamed on its index, and recomputed", async () => {
  const p = await pristine("float16");
  const part = p.parts[0], shard = join("shards", `${part}.${p.ext}`);
  const root = await damaged(p, (dir) => Deno.removeSync(join(dir, shard)));
  const reader = await storeFor(base, "float16", root);
  assert.deepEqual(reader.repairs.all.map((x) => [x.file, x.problem, x.part]), [[shard, "the shard file is missing", part]]);
  const partKeys = p.keys.slice(0, PER);
  for (const read of [() => reader.matrix(partKeys), () => storeRows(reader, p.keys)]) {
    assert.throws(read, (e: Error) => /4 of \d+ vectors missing/.test(e.message) && e.message.includes(`${shard} (the shard file is missing)`));
  }
  assert.ok(Deno.statSync(join(root, p.rel, `${shard}.missing`)).isFile);
  assert.ok(Deno.statSync(join(root, p.rel, "index", `${part}.parquet`)).isFile, "the index is not blamed");
  const r = await healsTo(p, root, "float16", "deleted shard");
  assert.deepEqual([r.computed, r.repaired.length], [PER, 0], "told by the first store object that saw it, not again");
});

Deno.test("hostile store: a store object that moved a bad index aside compacts the rest into one checked index", async () => {
  const p = await pristine("float32");
  const root = await damaged(p, (dir) => flipBit(join(dir, "index", `${p.parts[2]}.parquet`), 100, 0));
  const store = await storeFor(base, "float32", root);
  const r = await extract(store, base, items, { progress: false });
  assert.deepEqual([r.computed, r.repaired.length], [PER, 1]);
  await store.compact();
  assert.equal([...Deno.readDirSync(join(store.dir, "index"))].filter((e) => e.name.endsWith(".parquet")).length, 1);
  const reread = await storeFor(base, "float32", root);
  assert.deepEqual([...reread.matrix(p.keys).data], [...p.expected]);
  assert.deepEqual(reread.repairs.all, []);
});

Deno.test("hostile store: an index whose record agrees but whose row points past its shard (row 16,777,222) is the index's fault, not the shard's", async () => {
  const p = await pristine("float32");
  const part = p.parts[0];
  const root = await damaged(p, (dir) => {
    const rows = p.keys.slice(0, PER).map((key, row) => ({ key, itemId: `t${row}`, part, row: row === 2 ? 16_777_222 : row }));
    const sum = JSON.parse(Deno.readTextFileSync(join(dir, "sums", `${part}.json`))).shards[part];
    return writeIndex(dir, part, rows, { [part]: sum });
  });
  const r = await healsTo(p, root, "float32", "row past the shard");
  assert.deepEqual(r.repaired.map((x) => x.file), [join("index", `${part}.parquet`)]);
  assert.match(r.repaired[0].problem, /index does not agree with its record: row .*16777222.* points outside/);
  assert.deepEqual(shardsAside(join(root, p.rel)), [], "the healthy shard is not blamed");
});

Deno.test("hostile store: a store of the older format (no index checksums) is not trusted: its parts are moved aside with one message and recomputed", async () => {
  for (const variant of ["shard-only records", "no records at all"]) {
    const p = await pristine("float16");
    const root = await damaged(p, (dir) => {
      Deno.removeSync(join(dir, "format.json"));
      for (const part of p.parts) {
        const rec = join(dir, "sums", `${part}.json`), sum = JSON.parse(Deno.readTextFileSync(rec)).shards[part];
        if (variant === "no records at all") Deno.removeSync(rec);
        else Deno.writeTextFileSync(rec, JSON.stringify({ bytes: sum.bytes, sha256: sum.sha256 }));
      }
    });
    const r = await healsTo(p, root, "float16", variant);
    assert.equal(r.computed, N, variant);
    assert.deepEqual(r.repaired.map((x) => x.file).sort(), p.parts.map((part) => join("index", `${part}.parquet`)), variant);
    const line = describeRepairs(r.repaired);
    assert.match(line, /^3 files moved aside \(their vectors are computed again\): 3 files \(written by an older store format: [^)]*\), e\.g\. index\//, variant);
    assert.ok(Deno.statSync(join(root, p.rel, "index", `${p.parts[0]}.parquet.unverified`)).isFile, variant);
    assert.ok(Deno.statSync(join(root, p.rel, "format.json")).isFile, `${variant}: the store is of the current format once its old parts are aside`);
  }
});

Deno.test("hostile store: flips in a skipped-items file are detected and those items are tried again", async () => {
  const root = await Deno.makeTempDir({ dir: TMP, prefix: "hostile-" });
  const picky: LanguageEncoder = { ...base, identity: base.identity, embed: (t) => t.some((x) => x.includes("7")) ? Promise.reject(new Error("no sevens")) : base.embed(t) };
  const store = await storeFor(picky, "float32", root);
  const r = await extract(store, picky, items, { onError: "skip", progress: false });
  assert.equal(r.skipped, 1);
  const file = [...Deno.readDirSync(join(store.dir, "skipped"))][0].name, path = join(store.dir, "skipped", file);
  const pristineText = Deno.readFileSync(path);
  for (let byte = 0; byte < pristineText.length; byte += 2) {
    const b = pristineText.slice();
    b[byte] ^= 1 << (byte % 8);
    Deno.writeFileSync(path, b);
    const reopened = await storeFor(picky, "float32", root);
    assert.equal(reopened.skipReason(r.keys[7]), undefined, `byte ${byte}: a garbled skip record is not believed`);
    assert.deepEqual(reopened.repairs.all.map((x) => x.file), [join("skipped", file)], `byte ${byte}`);
    Deno.renameSync(`${path}.corrupt`, path);
    Deno.writeFileSync(path, pristineText);
  }
  const again = await extract(await storeFor(picky, "float32", root), picky, items, { onError: "skip", progress: false });
  assert.deepEqual([again.computed, again.skipped, again.repaired.length], [0, 1, 0], "the intact file is read as before");
});

Deno.test("hostile store: merging checks every source part; a bad index or shard is not copied, named, and recomputed after the merge", async () => {
  const p = await pristine("float32");
  const src = await damaged(p, (dir) => {
    flipBit(join(dir, "index", `${p.parts[0]}.parquet`), 30, 1);
    flipBit(join(dir, "shards", `${p.parts[1]}.f32`), 3, 4);
  });
  const destRoot = await Deno.makeTempDir({ dir: TMP, prefix: "hostile-dest-" });
  const dest = await storeFor(base, "float32", destRoot);
  const merged = await mergeStores([join(src, p.rel)], dest.dir);
  assert.equal(merged.parts, 1, "only the intact part is copied");
  assert.deepEqual(merged.rejected.map((x) => x.file), [join("index", `${p.parts[0]}.parquet`), join("shards", `${p.parts[1]}.f32`)]);
  assert.deepEqual([...Deno.readDirSync(join(dest.dir, "shards"))].map((e) => e.name), [`${p.parts[2]}.f32`]);
  const healed = await healsTo(p, destRoot, "float32", "merged");
  assert.equal(healed.computed, 2 * PER);
  // a compacted store merges whole, and its one index is checked like any other
  const whole = await storeFor(base, "float32", p.root);
  await whole.compact();
  const compactIndex = [...Deno.readDirSync(join(whole.dir, "index"))].map((e) => e.name);
  assert.equal(compactIndex.length, 1);
  const dest2 = await storeFor(base, "float32", await Deno.makeTempDir({ dir: TMP, prefix: "hostile-dest-" }));
  assert.deepEqual((await mergeStores([whole.dir], dest2.dir)).parts, 1);
  const reread = await openStore(base.identity, { name: base.identity.name, dim: DIM, root: join(dest2.dir, "..") });
  assert.deepEqual([...reread.matrix(p.keys).data], [...p.expected]);
  flipBit(join(whole.dir, "index", compactIndex[0]), 40, 6);
  const r = await healsTo(p, p.root, "float32", "flipped compact index");
  assert.deepEqual([r.computed, r.repaired.map((x) => x.file)], [N, [join("index", compactIndex[0])]]);
});
