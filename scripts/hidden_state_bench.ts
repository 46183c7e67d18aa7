/**
 * `deno run -A scripts/hidden_state_bench.ts [vocab] [batch]`: what leaving the LM head out of an edited
 * text-generation graph saves. A tiny Llama-shaped export (the test fixture) with a hub-sized vocabulary
 * (default 128256, Llama-3's) is run on one batch of captions two ways on the CPU: its edited copy
 * (only `last_hidden_state`, as this project runs it) and the published graph (every node runs,
 * `logits` included: what any graph that keeps its LM head costs, fetched or not). Best of 5; prints the
 * ratio and the logits bytes the edit never allocates.
 */
import { join } from "node:path";
import { writeTinyDecoder } from "../tests/fixtures/tiny_hub.ts";
import { readOnnxModel } from "../lib/onnx/reader.ts";
import { hiddenStateModel } from "../lib/onnx/hidden_state.ts";
import { openOnnxSession, runGraph, textFeeds } from "../lib/encoders/hf/onnx_run.ts";
import { decoderDims } from "../lib/encoders/hf/hf_layout.ts";

const vocab = Number(Deno.args[0] ?? 128256), batch = Number(Deno.args[1] ?? 8), seq = 48;
const dir = await Deno.makeTempDir();
try {
  const root = await writeTinyDecoder(dir, "llama", "llama", { extraVocab: vocab - 34 });
  const file = join(root, "onnx", "model.onnx");
  const original = await readOnnxModel(file);
  const edited = await hiddenStateModel(file, join(dir, "cache"), original);
  const dims = decoderDims(JSON.parse(await Deno.readTextFile(join(root, "config.json"))), root);
  const tb = { ids: Array.from({ length: batch * seq }, (_, i) => 3 + (i % 28)), mask: new Array(batch * seq).fill(1), batch, seq };
  const time = async (path: string, info: typeof original, output: string) => {
    const s = await openOnnxSession({ path, externalDataDir: join(root, "onnx"), info }, "cpu");
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      await runGraph(s, textFeeds(info, dims, tb), [output]);
      best = Math.min(best, performance.now() - t);
    }
    await s.session.release();
    return best;
  };
  const ours = await time(edited.path, await readOnnxModel(edited.path), "last_hidden_state");
  const full = await time(file, original, "logits");
  console.log(`tiny Llama-shaped decoder, vocabulary ${vocab}, batch ${batch} x ${seq} tokens, cpu, best of 5:`);
  console.log(`  edited copy (last_hidden_state only)   ${ours.toFixed(1)} ms`);
  console.log(`  published graph (LM head and logits)   ${full.toFixed(1)} ms  -> the edit is ${(full / ours).toFixed(1)}x faster here`);
  console.log(`  logits never allocated: ${((batch * seq * vocab * 4) / 2 ** 20).toFixed(0)} MiB per batch`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
