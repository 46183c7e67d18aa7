/**
 * A minimal ONNX model writer: enough protobuf to build small graphs (test models with known outputs,
 * exported projections) without Python. Field numbers follow onnx/onnx.proto (IR version 8, opset 17).
 *
 * @example
 * ```ts
 * const bytes = onnxModel({
 *   inputs: [valueInfo("x", "float32", ["batch", 4])],
 *   outputs: [valueInfo("y", "float32", ["batch", 2])],
 *   initializers: [tensorProto("W", "float32", [4, 2], new Float32Array(8).fill(0.5))],
 *   nodes: [node("MatMul", ["x", "W"], ["y"])],
 * });
 * await Deno.writeFile("tiny.onnx", bytes);
 * ```
 */

type Bytes = Uint8Array;

class Writer {
  // small fields accumulate in #small; large byte fields are kept as views (no per-byte copy)
  #parts: Uint8Array[] = [];
  #small: number[] = [];
  #flush() {
    if (this.#small.length) this.#parts.push(Uint8Array.from(this.#small));
    this.#small = [];
  }
  varint(v: number | bigint) {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.#small.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.#small.push(Number(n));
    return this;
  }
  tag(field: number, wire: number) {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint) {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Bytes) {
    this.tag(field, 2).varint(b.length);
    if (b.length < 256) for (const x of b) this.#small.push(x);
    else {
      this.#flush();
      this.#parts.push(b);
    }
    return this;
  }
  string(field: number, s: string) {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  float(field: number, f: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.tag(field, 5);
    for (const x of b) this.#small.push(x);
    return this;
  }
  done(): Bytes {
    this.#flush();
    const out = new Uint8Array(this.#parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of this.#parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** ONNX element types used here (float16 data is given as its raw bits, a Uint16Array). */
export type OnnxType = "float32" | "int64" | "float16";
const ELEM: Record<OnnxType, number> = { float32: 1, int64: 7, float16: 10 };

/** Where an initializer's bytes live when they are not in the model file (ONNX external data). */
export interface ExternalRef {
  /** File name relative to the model's folder. */
  location: string;
  offset: number;
  length: number;
}

/** An initializer (constant tensor); with `external`, its bytes are in another file (not written here). */
export function tensorProto(
  name: string,
  type: OnnxType,
  dims: number[],
  data: Float32Array | BigInt64Array | Uint16Array,
  external?: ExternalRef,
): Bytes {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, ELEM[type]).string(8, name);
  if (!external) return w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).done();
  const entry = (k: string, v: string) => new Writer().string(1, k).string(2, v).done();
  w.bytes(13, entry("location", external.location)).bytes(13, entry("offset", String(external.offset)))
    .bytes(13, entry("length", String(external.length)));
  return w.int(14, 1).done();
}

/**
 * A graph input or output with a shape of numbers and symbolic names (`null`: shape not stated); the
 * type is a name or an ONNX element type number.
 */
export function valueInfo(name: string, type: OnnxType | number, shape: (number | string)[] | null): Bytes {
  const tt = new Writer().int(1, typeof type === "number" ? type : ELEM[type]);
  if (shape) {
    const shapeW = new Writer();
    for (const d of shape) {
      const dim = new Writer();
      if (typeof d === "number") dim.int(1, d);
      else dim.string(2, d);
      shapeW.bytes(1, dim.done());
    }
    tt.bytes(2, shapeW.done());
  }
  const tensorType = tt.done();
  const typeProto = new Writer().bytes(1, tensorType).done();
  return new Writer().string(1, name).bytes(2, typeProto).done();
}

/** A node attribute: a number (int when integral, unless `float`), a list of ints, or a string. */
export type Attr = number | number[] | string | { float: number };

function attribute(name: string, v: Attr): Bytes {
  const w = new Writer().string(1, name);
  if (typeof v === "string") return w.bytes(4, new TextEncoder().encode(v)).int(20, 3).done();
  if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    return w.int(20, 7).done();
  }
  if (typeof v === "object") return w.float(2, v.float).int(20, 1).done();
  return w.int(3, v).int(20, 2).done();
}

/** A graph node. */
export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, name?: string): Bytes {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name ?? `${op}_${outputs[0]}`).string(4, op);
  for (const [k, v] of Object.entries(attrs)) w.bytes(5, attribute(k, v));
  return w.done();
}

/** A whole model. */
export function onnxModel(g: { nodes: Bytes[]; inputs: Bytes[]; outputs: Bytes[]; initializers?: Bytes[]; name?: string; opset?: number }): Bytes {
  const graph = new Writer();
  for (const n of g.nodes) graph.bytes(1, n);
  graph.string(2, g.name ?? "graph");
  for (const t of g.initializers ?? []) graph.bytes(5, t);
  for (const i of g.inputs) graph.bytes(11, i);
  for (const o of g.outputs) graph.bytes(12, o);
  const opset = new Writer().string(1, "").int(2, g.opset ?? 17).done();
  return new Writer().int(1, 8).string(2, "sharelock-notebooks").bytes(7, graph.done()).bytes(8, opset).done();
}

/**
 * A small graph builder: `g.op("MatMul", [a, b])` adds a node and returns its output name.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder();
 * const x = g.input("x", "float32", ["batch", 4]);
 * g.output(g.op("Relu", [x]), "y");
 * const bytes = g.model("tiny");
 * ```
 */
export class GraphBuilder {
  #nodes: Bytes[] = [];
  #inits: [string, Bytes][] = [];
  #inputs: Bytes[] = [];
  #outputs: Bytes[] = [];
  #used = new Set<string>();
  #n = 0;
  #consts = new Map<string, string>();

  /** Declare a graph input. */
  input(name: string, type: OnnxType, shape: (number | string)[] | null): string {
    this.#inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Add a node; returns the name of its (first) output. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs?: string[]): string {
    const outs = outputs ?? [`${type.toLowerCase()}_${this.#n++}`];
    for (const i of inputs) this.#used.add(i);
    this.#nodes.push(node(type, inputs, outs, attrs, `n${this.#n++}_${type}`));
    return outs[0];
  }

  /** A float32 or int64 constant (deduplicated by value). */
  const(values: number[], type: OnnxType = "float32", dims: number[] = [values.length]): string {
    const key = `${type}:${dims}:${values}`;
    const known = this.#consts.get(key);
    if (known) return known;
    const name = `const_${this.#n++}`;
    this.#inits.push([name, tensorProto(name, type, dims, type === "int64" ? BigInt64Array.from(values.map(BigInt)) : Float32Array.from(values))]);
    this.#consts.set(key, name);
    return name;
  }

  /** A named float32 or int64 initializer from a typed array (large weights; not deduplicated). */
  tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const type: OnnxType = data instanceof Float32Array ? "float32" : "int64";
    this.#inits.push([name, tensorProto(name, type, dims, data)]);
    return name;
  }

  /** Expose `value` as a graph output named `name`. */
  output(value: string, name: string, type: OnnxType = "float32"): string {
    this.op("Identity", [value], {}, [name]);
    this.#outputs.push(valueInfo(name, type, null));
    return name;
  }

  /** The model bytes (opset 17). Constants no node uses are left out. */
  model(name: string): Bytes {
    const inits = this.#inits.filter(([n]) => this.#used.has(n)).map(([, b]) => b);
    return onnxModel({ name, nodes: this.#nodes, inputs: this.#inputs, outputs: this.#outputs, initializers: inits });
  }
}

/**
 * GraphProto entries (nodes, then outputs) as bytes: appended inside a graph's content they add those
 * nodes and outputs (repeated fields concatenate).
 */
export function graphEntries(outputs: Bytes[], nodes: Bytes[] = []): Bytes {
  const graph = new Writer();
  for (const n of nodes) graph.bytes(1, n);
  for (const o of outputs) graph.bytes(12, o);
  return graph.done();
}

/** The tag and length of a ModelProto `graph` field whose content is `length` bytes. */
export function graphFieldHeader(length: number): Bytes {
  return new Writer().tag(7, 2).varint(length).done();
}

/**
 * Bytes that, APPENDED to a serialized ModelProto, add graph outputs (and nodes): protobuf merges a
 * repeated top-level `graph` field into the first, so `original + patch` is the original model with
 * `outputs` and `nodes` appended to its graph's. Nothing else changes (weights, external data references).
 *
 * @example
 * ```ts
 * const patch = graphOutputsPatch([valueInfo("last_hidden_state", "float32", null)]);
 * ```
 */
export function graphOutputsPatch(outputs: Bytes[], nodes: Bytes[] = []): Bytes {
  const content = graphEntries(outputs, nodes);
  const header = graphFieldHeader(content.length);
  const out = new Uint8Array(header.length + content.length);
  out.set(header);
  out.set(content, header.length);
  return out;
}
