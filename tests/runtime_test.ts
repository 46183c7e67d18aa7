import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { formatProgress, progress } from "../lib/runtime/progress.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { readJsonOr, writeJsonAtomic } from "../lib/runtime/atomic.ts";

Deno.test("formatProgress shows count, percent, rate and time left", () => {
  const line = formatProgress({ label: "feat", done: 30, total: 120, elapsedMs: 2500 });
  assert.equal(line, "feat  30/120 (25%)  12 it/s  elapsed 0:03  left 0:08");
  assert.match(formatProgress({ label: "x", done: 0, total: 5, elapsedMs: 0 }), /left \?/);
});

Deno.test("progress in a log writes a line per tenth and a final line", async () => {
  let t = 0;
  const lines: string[] = [];
  const bar = progress(100, "job", { sink: "log", intervalMs: 0, now: () => t, write: (s) => lines.push(s) });
  for (let i = 0; i < 100; i++) {
    t += 10;
    bar.tick();
  }
  await bar.done("finished");
  assert.equal(lines.length, 12, lines.join(""));
  assert.match(lines.at(-1)!, /job {2}100\/100 \(100%\).*finished/);
});

Deno.test("selectTfBackend reports every attempt and forced backends fail loudly", async () => {
  const auto = await selectTfBackend("auto");
  assert.ok(["tensorflow", "wasm", "cpu"].includes(auto.backend));
  assert.equal(tf.getBackend(), auto.backend);
  assert.ok(auto.attempts.some((a) => a.ok));
  if (auto.backend !== "tensorflow") assert.match(auto.reason, /tfjs-node-gpu/);
  const cpu = await selectTfBackend("cpu");
  assert.equal(cpu.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  if (auto.backend !== "tensorflow") {
    await assert.rejects(() => selectTfBackend("tensorflow"), /"tensorflow" was requested.*tfjs-node-gpu/);
  }
  await selectTfBackend(auto.backend);
});

Deno.test("projectPaths honours the environment", () => {
  const env = new Map([["SHARELOCK_CACHE_DIR", "/tmp/c"], ["SHARELOCK_OUTPUTS_DIR", "/tmp/o"]]);
  const p = projectPaths({ get: (k) => env.get(k) });
  assert.equal(p.cache, "/tmp/c");
  assert.equal(p.outputs, "/tmp/o");
  assert.match(p.data, /\/data$/);
});

Deno.test("atomic JSON write and read, with a clear error for a corrupt file", async () => {
  const dir = await Deno.makeTempDir();
  await writeJsonAtomic(`${dir}/a/b.json`, { x: 1 });
  assert.deepEqual(await readJsonOr(`${dir}/a/b.json`, null), { x: 1 });
  assert.equal(await readJsonOr(`${dir}/missing.json`, 7), 7);
  await Deno.writeTextFile(`${dir}/bad.json`, "{");
  await assert.rejects(() => readJsonOr(`${dir}/bad.json`, 0), /bad\.json is not valid JSON/);
});

Deno.test("memoJson computes once per key and stores atomically", async () => {
  const { memoJson } = await import("../lib/runtime/memo.ts");
  const cache = await Deno.makeTempDir();
  let calls = 0;
  const f = () => (calls++, Promise.resolve({ v: 42 }));
  assert.deepEqual(await memoJson("t", { a: 1, b: [2] }, f, cache), { v: 42 });
  assert.deepEqual(await memoJson("t", { b: [2], a: 1 }, f, cache), { v: 42 }, "key order does not matter");
  await memoJson("t", { a: 2 }, f, cache);
  assert.equal(calls, 2);
});
