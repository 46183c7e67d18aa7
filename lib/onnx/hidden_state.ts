/**
 * Hidden states from text-generation exports as published. Optimum's "text-generation-with-past" graphs
 * (the hub's Llama, Qwen2, Gemma-2, Mistral exports) output `logits` and `present.*` only; the feature
 * the paper pools is the LM head's INPUT (the final norm's output). {@link findHiddenState} finds that
 * tensor by walking back from `logits` to the MatMul/Gemm of the LM head; {@link hiddenStateModel}
 * writes, once, a copy of the model whose graph outputs it, cast to float32, as `last_hidden_state`
 * instead of `logits` (the LM head left out; the file is copied around the dropped entries), cached
 * under the original's SHA-256. External data is not copied: the copy
 * names the same files, relative to the ORIGINAL model's folder (`externalDataDir`).
 *
 * @example
 * ```ts
 * import { readOnnxModel } from "./reader.ts";
 * const m = await readOnnxModel("Llama-3.2-1B/onnx/model.onnx");
 * const found = findHiddenState(m); // { tensor: "/model/norm/Mul_1_output_0", ... }
 * const edited = await hiddenStateModel("Llama-3.2-1B/onnx/model.onnx", ".cache/onnx-hidden");
 * ```
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { graphEntries, graphFieldHeader, graphOutputsPatch, node, valueInfo } from "./proto.ts";
import { type OnnxModelInfo, producerOf, readOnnxModel } from "./reader.ts";
import { writeJsonAtomic } from "../runtime/atomic.ts";

/** Version of the edit recipe: part of the cache key, so that a changed recipe never reuses old copies. */
const EDIT_VERSION = 4;

/** The hidden-state output name this project reads. */
export const HIDDEN_OUTPUT = "last_hidden_state";

/** Ops whose first input is the activations of the LM head's matrix product. */
const MATMUL_OPS = new Set(["MatMul", "Gemm", "MatMulNBits", "MatMulInteger", "FusedMatMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "MatMulFpQ4"]);
/** Element-wise or layout ops that may sit between the LM head and `logits` (soft-capping, casts). */
const PASS_OPS = new Set(["Mul", "Div", "Add", "Sub", "Tanh", "Cast", "Identity", "Softcap"]);
/** Quantizers before an integer LM head: their input is the float hidden state. */
const QUANT_OPS = new Set(["DynamicQuantizeLinear", "QuantizeLinear"]);

/** Where the hidden state is, or why it cannot be found. */
export type HiddenStateLookup =
  | { ok: true; tensor: string; edit: boolean; via: string[] }
  | { ok: false; reason: string };

/** An initializer, a Constant's output, or computed from those alone (one level deep). */
function isConstant(m: OnnxModelInfo, inits: Set<string>, t: string, depth = 0): boolean {
  if (!t || inits.has(t)) return true;
  const p = producerOf(m, t);
  if (!p) return false;
  if (p.opType === "Constant") return true;
  return depth < 1 && p.inputs.every((i) => isConstant(m, inits, i, depth + 1));
}

/**
 * Find the final hidden state of a language model graph. A `last_hidden_state` output is used as it is;
 * otherwise the LM head behind `logits` is found (through soft-capping, casts and quantizers). Pure.
 */
export function findHiddenState(m: OnnxModelInfo): HiddenStateLookup {
  const own = m.outputs.find((o) => o.name === HIDDEN_OUTPUT);
  if (own) return { ok: true, tensor: own.name, edit: false, via: [] };
  const logits = m.outputs.find((o) => o.name === "logits");
  if (!logits) {
    return { ok: false, reason: `the graph has neither "${HIDDEN_OUTPUT}" nor "logits" among its outputs (${m.outputs.map((o) => o.name).join(", ")})` };
  }
  const inits = new Set(m.initializers.map((t) => t.name));
  const via: string[] = [];
  let t = logits.name;
  for (let step = 0; step < 16; step++) {
    const p = producerOf(m, t);
    if (!p) return { ok: false, reason: `"${t}" is a graph input or initializer, not the output of an LM head` };
    via.push(`${p.opType}${p.name ? ` (${p.name})` : ""}`);
    if (MATMUL_OPS.has(p.opType)) {
      let data = p.inputs[0];
      const q = producerOf(m, data);
      if (q && QUANT_OPS.has(q.opType)) {
        via.push(q.opType);
        data = q.inputs[0];
      }
      if (isConstant(m, inits, data)) return { ok: false, reason: `the LM head ${p.opType} "${p.name}" has a constant first input` };
      return { ok: true, tensor: data, edit: true, via };
    }
    if (!PASS_OPS.has(p.opType)) {
      return { ok: false, reason: `"logits" comes from a ${p.opType} node ("${p.name}") that is not a matrix product, a cast or soft-capping: the LM head's input cannot be told apart` };
    }
    const live = p.inputs.filter((i) => !isConstant(m, inits, i));
    if (live.length !== 1) return { ok: false, reason: `${p.opType} "${p.name}" before "logits" has ${live.length} non-constant inputs` };
    t = live[0];
  }
  return { ok: false, reason: "no matrix product found within 16 nodes of \"logits\"" };
}

/** SHA-256 of a file, streamed (multi-GB files never sit in memory). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  const f = await Deno.open(path, { read: true });
  try {
    for await (const chunk of f.readable) h.update(chunk);
  } catch (err) {
    throw new Error(`cannot hash ${path}: ${(err as Error).message}`);
  }
  return h.digest("hex");
}

/**
 * Indices of the nodes needed to compute `target` (walking producers back to the graph inputs), or null
 * when one of them holds a subgraph (If, Loop, Scan: its outer-scope inputs are not listed). Pure.
 */
export function nodesNeededFor(m: OnnxModelInfo, target: string): Set<number> | null {
  const producer = new Map<string, number>();
  m.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const need = new Set<number>(), stack = [target];
  while (stack.length) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || need.has(i)) continue;
    need.add(i);
    if (Object.values(m.nodes[i].attributes).some((a) => typeof a === "object" && a !== null && "graph" in a)) return null;
    stack.push(...m.nodes[i].inputs.filter(Boolean));
  }
  return need;
}

/** Copy bytes `[start, end)` of `src` to `dst` in 4 MiB pieces. */
async function copyRange(src: Deno.FsFile, dst: Deno.FsFile, start: number, end: number) {
  const buf = new Uint8Array(4 << 20);
  await src.seek(start, Deno.SeekMode.Start);
  for (let pos = start; pos < end;) {
    const n = await src.read(buf.subarray(0, Math.min(buf.length, end - pos)));
    if (n === null) throw new Error(`unexpected end of file at byte ${pos}`);
    await dst.write(buf.subarray(0, n));
    pos += n;
  }
}

/**
 * Write the edited model: the graph's outputs become `last_hidden_state` alone and the nodes and
 * initializers it does not need (the LM head and its weight, soft-capping, the `present.*` copies) are left out, so that logits are neither
 * computed nor held in memory (onnxruntime runs every node of a graph, fetched or not). The file is
 * copied around the dropped entries (streaming; weights are never parsed). Graphs with subgraphs, or a
 * graph split over several fields, get the appended patch instead (every node kept).
 */
async function writeEdited(path: string, m: OnnxModelInfo, tensor: string, out: string): Promise<"pruned" | "appended"> {
  // a Cast to float32, not an Identity: the tensor's own type is often not declared (fp16, bf16 graphs)
  const outputs = [valueInfo(HIDDEN_OUTPUT, "float32", null)];
  const nodes = [node("Cast", [tensor], [HIDDEN_OUTPUT], { to: 1 }, "sharelock_last_hidden_state")];
  const need = m.spans.graphs.length === 1 ? nodesNeededFor(m, tensor) : null;
  const src = await Deno.open(path, { read: true });
  const dst = await Deno.open(out, { write: true, create: true, truncate: true });
  try {
    if (!need) {
      await copyRange(src, dst, 0, m.fileBytes);
      await dst.write(graphOutputsPatch(outputs, nodes));
      return "appended";
    }
    const g = m.spans.graphs[0];
    const used = new Set([...need].flatMap((i) => m.nodes[i].inputs));
    const drop = [
      ...m.spans.outputs,
      ...m.spans.nodes.filter((_, i) => !need.has(i)),
      ...m.spans.initializers.filter((_, i) => !used.has(m.initializers[i].name)), // the LM head's weight
    ].sort((a, b) => a[0] - b[0]);
    const added = graphEntries(outputs, nodes);
    const length = g.end - g.content - drop.reduce((a, [s, e]) => a + e - s, 0) + added.length;
    await copyRange(src, dst, 0, g.start);
    await dst.write(graphFieldHeader(length));
    let pos = g.content;
    for (const [s, e] of drop) {
      await copyRange(src, dst, pos, s);
      pos = e;
    }
    await copyRange(src, dst, pos, g.end);
    await dst.write(added);
    await copyRange(src, dst, g.end, m.fileBytes);
    return "pruned";
  } finally {
    src.close();
    dst.close();
  }
}

/** What {@link hiddenStateModel} returns. */
export interface HiddenStateModel {
  /** Model file to load (the original when it already outputs the hidden state). */
  path: string;
  /** Folder the external data locations are relative to (the original model's folder). */
  externalDataDir: string;
  /** Whether `path` is an edited copy. */
  edited: boolean;
  /** The tensor that `last_hidden_state` is (for reports). */
  tensor: string;
  via: string[];
}

/**
 * A model file whose graph outputs `last_hidden_state`: the original when it has one, else an edited
 * copy under `cacheDir/<sha256 of the original>-v<recipe>/` written once (atomically), whose only output
 * is the hidden state (the LM head is left out). A graph whose hidden state cannot be found is an error
 * that says why; logits are never offered instead.
 */
export async function hiddenStateModel(path: string, cacheDir: string, info?: OnnxModelInfo): Promise<HiddenStateModel> {
  const m = info ?? await readOnnxModel(path);
  const found = findHiddenState(m);
  if (!found.ok) {
    throw new Error(
      `${path}: no hidden state to use as features: ${found.reason}. Logits are never used as features. ` +
        `Export the model with a last_hidden_state output (optimum-cli export onnx --task feature-extraction --model <id> <dir>).`,
    );
  }
  const externalDataDir = dirname(path);
  if (!found.edit) return { path, externalDataDir, edited: false, tensor: found.tensor, via: [] };
  const sha = await fileSha256(path);
  const dir = join(cacheDir, `${sha}-v${EDIT_VERSION}`);
  const out = join(dir, basename(path));
  if (!existsSync(out)) {
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${out}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    let how: string;
    try {
      how = await writeEdited(path, m, found.tensor, tmp);
      await Deno.rename(tmp, out);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw new Error(`cannot write the edited model ${out}: ${(err as Error).message}`);
    }
    await writeJsonAtomic(join(dir, "edit.json"), { original: path, sha256: sha, output: HIDDEN_OUTPUT, tensor: found.tensor, via: found.via, how });
  }
  return { path: out, externalDataDir, edited: true, tensor: found.tensor, via: found.via };
}
