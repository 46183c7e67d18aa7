import assert from "node:assert/strict";
import { join } from "node:path";
import { mergeStores, openStore } from "../lib/store/feature_store.ts";
import { extract, storeFor } from "../lib/store/extract.ts";
import { inShard, parseShard, shardFromArgs, shardFromEnv } from "../lib/store/shard.ts";
import { randomTextEncoder } from "../lib/encoders/text/random_text.ts";
import type { EncoderIdentity, LanguageEncoder } from "../lib/encoders/types.ts";

const WORKER = new URL("./fixtures/extract_worker.ts", import.meta.url).pathname;
const texts = (n: number) => Array.from({ length: n }, (_, i) => `text number ${i}`);
const asItems = (ts: string[]) => ts.map((t, i) => ({ id: `t${i}`, input: t }));

function worker(root: string, n: number, delay: number, extra: string[] = []) {
  return new Deno.Command(Deno.execPath(), { args: ["run", "-A", WORKER, root, String(n), String(delay), ...extra], stdout: "piped", stderr: "piped" });
}

Deno.test("store: append, zero-copy read, one matrix in key order, reopen", async () => {
  const root = await Deno.makeTempDir();
  const id = { kind: "text", name: "t" };
  const s = await openStore(id, { name: "t", dim: 3, root });
  await s.append([{ key: "a", itemId: "A", vector: Float32Array.of(1, 2, 3) }, { key: "b", itemId: "B", vector: Float32Array.of(4, 5, 6) }]);
  const v = s.get("b")!;
  assert.deepEqual([...v], [4, 5, 6]);
  assert.equal(v.byteOffset % 4, 0);
  const again = await openStore(id, { name: "t", dim: 3, root });
  assert.equal(again.dir, s.dir);
  assert.deepEqual([...again.matrix(["b", "a"]).data], [4, 5, 6, 1, 2, 3]);
  assert.throws(() => again.matrix(["a", "zzz"]), /1 of 2 vectors missing, e.g. zzz/);
  const other = await openStore({ ...id, name: "u" }, { name: "t", dim: 3, root });
  assert.notEqual(other.dir, s.dir, "another identity is another store");
});

Deno.test("store: wrong dimension and non-finite vectors are rejected, naming the item, and nothing stored is lost", async () => {
  const root = await Deno.makeTempDir();
  const s = await openStore({ x: 1 }, { name: "t", dim: 2, root });
  await s.append([{ key: "ok", itemId: "good", vector: Float32Array.of(1, 1) }]);
  await assert.rejects(() => s.append([{ key: "k", itemId: "item-7", vector: Float32Array.of(1, 2, 3) }]), /item-7 has a 3-d vector, the store holds 2-d/);
  await assert.rejects(() => s.append([{ key: "k", itemId: "item-8", vector: Float32Array.of(NaN, 0) }]), /item-8 has a non-finite value/);
  assert.equal(s.size, 1);
  assert.deepEqual([...s.get("ok")!], [1, 1]);
});

Deno.test("store: float16 storage round-trips within half precision", async () => {
  const root = await Deno.makeTempDir();
  const s = await openStore({ h: 1 }, { name: "h", dim: 4, root, dtype: "float16" });
  await s.append([{ key: "a", itemId: "A", vector: Float32Array.of(0.1, -2.5, 1000, 3.14159) }]);
  const back = (await openStore({ h: 1 }, { name: "h", dim: 4, root, dtype: "float16" })).get("a")!;
  [0.1, -2.5, 1000, 3.14159].forEach((x, i) => assert.ok(Math.abs(back[i] - x) <= Math.abs(x) * 1e-3));
  const bytes = [...Deno.readDirSync(join(s.dir, "shards"))].map((e) => Deno.statSync(join(s.dir, "shards", e.name)).size);
  assert.deepEqual(bytes, [8]);
});

Deno.test("store: a half-written temporary file left by a crash is never read and is cleaned up", async () => {
  const root = await Deno.makeTempDir();
  const s = await openStore({ c: 1 }, { name: "c", dim: 2, root });
  await s.append([{ key: "a", itemId: "A", vector: Float32Array.of(1, 2) }]);
  await Deno.writeFile(join(s.dir, "shards", "torn.f32.tmp"), new Uint8Array(3));
  await Deno.writeTextFile(join(s.dir, "index", "torn.parquet.tmp"), "garbage");
  const r = await openStore({ c: 1 }, { name: "c", dim: 2, root });
  assert.equal(r.size, 1);
  assert.equal([...Deno.readDirSync(join(s.dir, "shards"))].length, 1);
});

Deno.test("extract: a second run does no encoder work", async () => {
  const root = await Deno.makeTempDir();
  const base = randomTextEncoder({ dim: 8, seed: 1 });
  let calls = 0;
  const counting: LanguageEncoder = { ...base, identity: base.identity, embed: (t) => (calls++, base.embed(t)) };
  const store = await storeFor(counting, "float32", root);
  const r1 = await extract(store, counting, asItems(texts(50)), { batchSize: 8, progress: false });
  assert.equal(r1.computed, 50);
  const before = calls;
  const r2 = await extract(await storeFor(counting, "float32", root), counting, asItems(texts(50)), { progress: false });
  assert.equal(r2.computed, 0);
  assert.equal(r2.cached, 50);
  assert.equal(calls, before);
  const m = store.matrix(r2.keys);
  assert.deepEqual([...m.data.subarray(8, 16)], [...(await base.embed([texts(50)[1]]))[0]]);
});

Deno.test("extract: killed mid-run (SIGKILL), a rerun computes only what is missing and every vector is right", async () => {
  const root = await Deno.makeTempDir();
  const child = worker(root, 200, 40).spawn();
  const dir = await (async () => {
    for (let t = 0; t < 400; t++) { // wait until a few parts are on disk
      await new Promise((r) => setTimeout(r, 50));
      for (const e of Deno.readDirSync(root)) {
        const idx = join(root, e.name, "index");
        try {
          if ([...Deno.readDirSync(idx)].filter((f) => f.name.endsWith(".parquet")).length >= 3) return join(root, e.name);
        } catch { /* not yet created */ }
      }
    }
    throw new Error("the worker wrote nothing");
  })();
  child.kill("SIGKILL");
  await child.status;
  const enc = randomTextEncoder({ dim: 64, seed: 3 });
  const partial = await openStore(JSON.parse(await Deno.readTextFile(join(dir, "identity.json"))).identity, { name: enc.identity.name, dim: 64, root });
  const done = partial.size;
  assert.ok(done >= 12 && done < 200, `the kill left ${done} of 200 vectors`);
  const out = await worker(root, 200, 0).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const res = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  assert.equal(res.computed, 200 - done, "only the missing vectors were computed");
  assert.equal(res.cached, done);
  const store = await storeFor(enc, "float32", root);
  const expected = await enc.embed(texts(200));
  const r = await extract(store, enc, asItems(texts(200)), { progress: false });
  assert.equal(r.computed, 0);
  const m = store.matrix(r.keys);
  expected.forEach((v, i) => assert.deepEqual([...m.data.subarray(i * 64, (i + 1) * 64)], [...v], `vector ${i}`));
});

Deno.test("extract: empty text skipped and NaN vector rejected, each named", async () => {
  const root = await Deno.makeTempDir();
  const identity: EncoderIdentity = { kind: "text", name: "picky", model: "m", version: "1", pooling: "p", dtype: "fp32", preprocessing: "", dim: 2 };
  const picky: LanguageEncoder = {
    identity,
    embed: (ts) => {
      for (const t of ts) if (!t.trim()) return Promise.reject(new Error("empty text"));
      return Promise.resolve(ts.map((t) => Float32Array.of(t === "nan" ? NaN : t.length, 1)));
    },
    dispose() {},
  };
  const store = await storeFor(picky, "float32", root);
  const input = ["one", "two", "", "four"];
  await assert.rejects(() => extract(store, picky, asItems(input), { batchSize: 2, progress: false }), /item t2: empty text/);
  assert.equal(store.size, 2, "the batch before the bad item was stored");
  const r = await extract(store, picky, asItems(input), { batchSize: 2, onError: "skip", progress: false });
  assert.deepEqual([r.computed, r.cached, r.skipped], [1, 2, 1]);
  assert.match(store.skipped()[0].itemId, /t2/);
  assert.throws(() => store.matrix(r.keys), /t2 \(skipped: empty text\)/);
  const again = await extract(store, picky, asItems(input), { onError: "skip", progress: false });
  assert.deepEqual([again.computed, again.skipped], [0, 1], "a recorded skip is not retried by default");
  await assert.rejects(() => extract(store, picky, asItems(["ok!", "nan"]), { progress: false }), /item t1: picky produced a non-finite value/);
  assert.equal(store.size as number, 4, "the good item beside the NaN was kept");
  const s2 = await extract(store, picky, asItems(["nan"]), { onError: "skip", progress: false });
  assert.equal(s2.skipped, 1);
});

Deno.test("shards: i/n from arguments and from Slurm / Kubernetes environments; hash assignment covers all keys once", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  assert.throws(() => parseShard("4/4"), /0 <= i < n/);
  assert.deepEqual(shardFromArgs(["x", "--shard", "1/3"]), { index: 1, count: 3 });
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "4", SLURM_ARRAY_TASK_COUNT: "3" }), { index: 1, count: 3 });
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: "2", SHARELOCK_SHARD_COUNT: "8" }), { index: 2, count: 8 });
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: "2" }), /SHARELOCK_SHARD_COUNT/);
  assert.equal(shardFromEnv({}), undefined);
  const keys = texts(300);
  const counts = [0, 1, 2].map((i) => keys.filter((k) => inShard(k, { index: i, count: 3 })).length);
  assert.equal(counts.reduce((a, b) => a + b), 300);
  assert.ok(counts.every((c) => c > 60));
});

Deno.test("extract: two shard processes with separate caches, merged, equal one whole run", async () => {
  const [a, b, whole] = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  const ra = JSON.parse(new TextDecoder().decode((await worker(a, 40, 0, ["--shard", "0/2"]).output()).stdout).trim());
  const rb = JSON.parse(new TextDecoder().decode((await worker(b, 40, 0, ["--shard", "1/2"]).output()).stdout).trim());
  assert.equal(ra.computed + rb.computed, 40);
  assert.equal(ra.otherShards, rb.computed);
  const merged = await mergeStores([rb.dir], ra.dir);
  assert.ok(merged.parts > 0);
  assert.deepEqual(merged.rejected, [], "every part of an intact store is copied");
  const enc = randomTextEncoder({ dim: 64, seed: 3 });
  const store = await storeFor(enc, "float32", a);
  const r = await extract(store, enc, asItems(texts(40)), { progress: false });
  assert.equal(r.computed, 0, "after the merge nothing is missing");
  const ref = await storeFor(enc, "float32", whole);
  const rw = await extract(ref, enc, asItems(texts(40)), { progress: false });
  assert.deepEqual([...store.matrix(r.keys).data], [...ref.matrix(rw.keys).data]);
  await store.compact();
  assert.equal([...Deno.readDirSync(join(store.dir, "index"))].length, 1);
  assert.equal((await storeFor(enc, "float32", a)).size, 40);
});
