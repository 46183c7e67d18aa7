/**
 * The streaming ONNX reader on files it did not write: models made by Python's `onnx` package (Debian's
 * python3-onnx; the tests say so and are skipped when no Python has it), compared with what `onnx`
 * itself reports; and a large embedded tensor read without loading it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { externalDataFiles, readOnnxModel, weightBytes } from "../lib/onnx/reader.ts";
import { findHiddenState } from "../lib/onnx/hidden_state.ts";
import { valueInfo } from "../lib/onnx/proto.ts";
import { aptInstall } from "../scripts/setup.ts";

async function pythonWithOnnx(): Promise<string | null> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      const r = await new Deno.Command(py, { args: ["-c", "import onnx, numpy"], stdout: "null", stderr: "null" }).output();
      if (r.success) return py;
    } catch { /* not installed */ }
  }
  return null;
}
let PY = await pythonWithOnnx();
if (!PY && Deno.env.get("CI") && Deno.uid?.() === 0) {
  await aptInstall(["python3-onnx"]); // under CI (root, apt): CI must run these checks
  PY = await pythonWithOnnx();
  if (!PY) throw new Error("CI must run the ONNX reader's cross-checks, but python3-onnx could not be installed with apt-get");
}
if (!PY) console.log("onnx_reader_test: no python3 with the onnx package (apt install python3-onnx): the cross-checks with onnx are skipped");

async function python(script: string, cwd: string): Promise<unknown> {
  const r = await new Deno.Command(PY!, { args: ["-c", script], cwd, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

const MAKE_AND_DESCRIBE = `
import json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data
big = numpy_helper.from_array(np.linspace(-1, 1, 300000, dtype=np.float32).reshape(600, 500), "big")
w = numpy_helper.from_array(np.ones((500, 7), dtype=np.float16), "w16")
b = numpy_helper.from_array(np.arange(7, dtype=np.int64), "idx")
nodes = [
  helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array([2.5], dtype=np.float32))),
  helper.make_node("Constant", [], ["kbig"], value=numpy_helper.from_array(np.zeros(5_000_000, dtype=np.float32), "kbig_value"), name="big_constant"),
  helper.make_node("MatMul", ["x", "big"], ["h"], name="mm"),
  helper.make_node("Cast", ["w16"], ["w32"], to=1),
  helper.make_node("MatMul", ["h", "w32"], ["z"]),
  helper.make_node("Mul", ["z", "k"], ["zk"]),
  helper.make_node("Gather", ["zk", "idx"], ["y"], axis=-1, name="gather"),
  helper.make_node("LeakyRelu", ["y"], ["out"], alpha=0.25),
  helper.make_node("Transpose", ["out"], ["t"], perm=[1, 0], name="tr"),
  helper.make_node("Identity", ["t"], ["s"], name="note"),
]
nodes[-1].attribute.append(helper.make_attribute("comment", "made by python onnx"))
g = helper.make_graph(nodes, "pygraph",
  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 600]), helper.make_tensor_value_info("big", TensorProto.FLOAT, [600, 500])],
  [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 7]), helper.make_tensor_value_info("s", TensorProto.FLOAT, [7, None])],
  [big, w, b], value_info=[helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", 500])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)], producer_name="pytest-maker")
m.ir_version = 8
onnx.save_model(m, "embedded.onnx")
convert_model_to_external_data(m, all_tensors_to_one_file=False, size_threshold=1024)
onnx.save_model(m, "external.onnx")
def dims(vi):
  return [d.dim_value if d.HasField("dim_value") else (d.dim_param if d.HasField("dim_param") else None) for d in vi.type.tensor_type.shape.dim]
def attr(a):
  v = helper.get_attribute_value(a)
  if isinstance(v, bytes): return v.decode()
  if isinstance(v, onnx.TensorProto): return {"tensor": v.name}
  if isinstance(v, list): return [x for x in v]
  return v
def describe(path):
  m = onnx.load(path, load_external_data=False)
  inits = {t.name for t in m.graph.initializer}
  return {
    "ir": m.ir_version, "producer": m.producer_name,
    "opsets": [[o.domain, o.version] for o in m.opset_import],
    "inputs": [[i.name, i.type.tensor_type.elem_type, dims(i)] for i in m.graph.input if i.name not in inits],
    "outputs": [[o.name, o.type.tensor_type.elem_type, dims(o)] for o in m.graph.output],
    "value_info": [v.name for v in m.graph.value_info],
    "nodes": [[n.op_type, n.name, list(n.input), list(n.output), {a.name: attr(a) for a in n.attribute}] for n in m.graph.node],
    "inits": [[t.name, t.data_type, list(t.dims), {e.key: e.value for e in t.external_data}] for t in m.graph.initializer],
  }
print(json.dumps({"embedded": describe("embedded.onnx"), "external": describe("external.onnx")}))
`;

type PyDesc = {
  ir: number;
  producer: string;
  opsets: [string, number][];
  inputs: [string, number, (number | string | null)[]][];
  outputs: [string, number, (number | string | null)[]][];
  value_info: string[];
  nodes: [string, string, string[], string[], Record<string, unknown>][];
  inits: [string, number, number[], Record<string, string>][];
};

Deno.test({
  name: "readOnnxModel: models written by Python's onnx read as onnx reads them (embedded and external data, a 20 MB Constant node)",
  ignore: !PY,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const py = await python(MAKE_AND_DESCRIBE, dir) as Record<"embedded" | "external", PyDesc>;
    for (const which of ["embedded", "external"] as const) {
      const m = await readOnnxModel(join(dir, `${which}.onnx`)), want = py[which];
      assert.equal(m.irVersion, want.ir);
      assert.equal(m.producer, want.producer);
      assert.deepEqual(m.opsets.map((o) => [o.domain, o.version]), want.opsets);
      assert.deepEqual(m.inputs.map((i) => [i.name, i.elemType, i.shape]), want.inputs, "initializer-inputs are left out");
      assert.deepEqual(m.outputs.map((o) => [o.name, o.elemType, o.shape]), want.outputs);
      assert.deepEqual(m.valueInfo.map((v) => v.name), want.value_info);
      assert.deepEqual(m.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs]), want.nodes.map(([op, name, i, o]) => [op, name, i, o]));
      m.nodes.forEach((n, k) => {
        for (const [key, v] of Object.entries(want.nodes[k][4])) {
          const got = n.attributes[key];
          if (typeof v === "number" && !Number.isInteger(v)) assert.ok(Math.abs((got as number) - v) < 1e-6, `${n.opType}.${key}`);
          else assert.deepEqual(got, v, `${n.opType}.${key}`);
        }
      });
      assert.deepEqual(m.initializers.map((t) => [t.name, t.elemType, t.dims]), want.inits.map(([n, ty, d]) => [n, ty, d]));
      m.initializers.forEach((t, k) => {
        const ext = want.inits[k][3];
        if (!ext.location) return assert.equal(t.external, undefined);
        assert.deepEqual(t.external, { location: ext.location, offset: Number(ext.offset ?? 0), length: ext.length ? Number(ext.length) : null });
      });
    }
    const ext = await readOnnxModel(join(dir, "external.onnx"));
    assert.deepEqual(externalDataFiles(ext).sort(), ["big", "w16"]);
    assert.equal(weightBytes(ext), 600 * 500 * 4 + 500 * 7 * 2 + 7 * 8);
  },
});

Deno.test({
  name: "findHiddenState: walks back from logits through soft-capping, casts and a dynamically quantized LM head; refuses Gather and If heads (graphs from Python's onnx)",
  ignore: !PY,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await python(`
import json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
def save(nodes, inits, path):
  g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", "s", 5])], inits)
  onnx.save_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
E = numpy_helper.from_array(np.ones((5, 4), np.float32), "E")
W = numpy_helper.from_array(np.ones((4, 5), np.float32), "W")
W8 = numpy_helper.from_array(np.ones((4, 5), np.uint8), "W8")
cap = numpy_helper.from_array(np.array([30.0], np.float32), "cap")
head = [helper.make_node("Gather", ["E", "input_ids"], ["emb"]), helper.make_node("Sqrt", ["emb"], ["/model/norm/out"])]
save(head + [helper.make_node("MatMul", ["/model/norm/out", "W"], ["z"]), helper.make_node("Div", ["z", "cap"], ["d"]),
  helper.make_node("Tanh", ["d"], ["t"]), helper.make_node("Mul", ["t", "cap"], ["logits"])], [E, W, cap], "softcap.onnx")
save(head + [helper.make_node("DynamicQuantizeLinear", ["/model/norm/out"], ["q", "qs", "qz"]),
  helper.make_node("MatMulInteger", ["q", "W8", "qz"], ["zi"]), helper.make_node("Cast", ["zi"], ["logits"], to=1)], [E, W8], "quantized.onnx")
save(head + [helper.make_node("Gather", ["E", "input_ids"], ["logits"])], [E], "gather.onnx")
branch = lambda: helper.make_graph([helper.make_node("MatMul", ["/model/norm/out", "W"], ["z"])], "b", [], [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)])
flag = numpy_helper.from_array(np.array(True), "use_cache_branch")
save(head + [helper.make_node("If", ["use_cache_branch"], ["logits"], then_branch=branch(), else_branch=branch())], [E, W, flag], "merged.onnx")
print("{}")
`, dir);
    for (const f of ["softcap", "quantized"]) {
      const found = findHiddenState(await readOnnxModel(join(dir, `${f}.onnx`)));
      assert.ok(found.ok, f);
      assert.equal(found.ok && found.tensor, "/model/norm/out", f);
    }
    const bad = findHiddenState(await readOnnxModel(join(dir, "gather.onnx")));
    assert.ok(!bad.ok && /comes from a Gather node/.test(bad.reason));
    const merged = await readOnnxModel(join(dir, "merged.onnx"));
    assert.deepEqual(merged.nodes.at(-1)!.attributes, { then_branch: { graph: true }, else_branch: { graph: true } });
    const m = findHiddenState(merged);
    assert.ok(!m.ok && /comes from a If node/.test(m.reason), "a merged decoder (LM head inside a subgraph) is refused");
  },
});

Deno.test("readOnnxModel: a 96 MB embedded tensor is skipped, not loaded; a non-ONNX file is an error naming it", async () => {
  const dir = await Deno.makeTempDir();
  const n = 24 << 20;
  // written piece by piece (the writer in proto.ts holds bytes in memory): ModelProto { ir_version 8,
  // graph { initializer { dims n, float, "huge", raw_data <4n zero bytes> }, input x, output y }, opset 17 }
  const varint = (v: number) => {
    const o: number[] = [];
    while (v >= 0x80) o.push((v % 128) | 0x80), v = Math.floor(v / 128);
    return [...o, v];
  };
  const field = (tag: number, body: number[] | Uint8Array) => [tag, ...varint(body.length), ...body];
  const tensorHead = [0x08, ...varint(n), 0x10, 0x01, ...field(0x42, new TextEncoder().encode("huge")), 0x4a, ...varint(4 * n)];
  const tensorLen = tensorHead.length + 4 * n;
  const io = [...field(0x5a, valueInfo("x", "float32", ["n"])), ...field(0x62, valueInfo("y", "float32", ["n"]))];
  const graphLen = 1 + varint(tensorLen).length + tensorLen + io.length;
  const f = await Deno.open(join(dir, "big.onnx"), { write: true, create: true });
  await f.write(Uint8Array.from([0x08, 0x08, 0x3a, ...varint(graphLen), 0x2a, ...varint(tensorLen), ...tensorHead]));
  const zeros = new Uint8Array(1 << 20);
  for (let k = 0; k < (4 * n) / zeros.length; k++) await f.write(zeros);
  await f.write(Uint8Array.from([...io, ...field(0x42, [0x0a, 0x00, 0x10, 17])]));
  f.close();
  const before = Deno.memoryUsage();
  const m = await readOnnxModel(join(dir, "big.onnx"));
  const after = Deno.memoryUsage();
  assert.deepEqual(m.initializers.map((t) => [t.name, t.dims, t.bytes]), [["huge", [n], 4 * n]]);
  const grew = (after.heapUsed + after.external) - (before.heapUsed + before.external);
  assert.ok(grew < 16 << 20, `reading grew memory by ${(grew / 2 ** 20).toFixed(1)} MiB`);
  await Deno.writeTextFile(join(dir, "notes.onnx"), "this is not a model");
  await assert.rejects(() => readOnnxModel(join(dir, "notes.onnx")), /cannot read ONNX model .*notes\.onnx/);
});
