/**
 * A small streaming ONNX model READER (the counterpart of `proto.ts`, the writer): graph inputs and
 * outputs with dtypes and shapes, nodes (op type, inputs, outputs, simple attributes), initializer
 * METADATA (name, dtype, dims, byte size, external-data location) and opsets. Tensor bytes are never
 * loaded: the file is read through a small window and large fields are skipped by seeking, so a
 * multi-GB model with embedded weights costs a few MB of memory. Field numbers follow onnx/onnx.proto.
 *
 * @example
 * ```ts
 * const g = await readOnnxModel("model.onnx");
 * console.log(g.inputs.map((i) => `${i.name}: ${i.dtype}[${i.shape}]`), g.outputs.map((o) => o.name));
 * console.log(externalDataFiles(g)); // e.g. ["model.onnx_data"]
 * ```
 */

import { Mem, dec, decodeVarint, parseNode, parseValueInfo, str, tensorMetaFrom, type OnnxValueInfo, type OnnxNodeInfo, type OnnxInitializerInfo, type OnnxModelInfo } from "./wire.ts";
export { ONNX_DTYPES, type OnnxAttrValue, type OnnxInitializerInfo, type OnnxModelInfo, type OnnxNodeInfo, type OnnxValueInfo } from "./wire.ts";


const WINDOW = 1 << 20;

/** A forward reader over a file with a 1 MiB window; `skip` seeks instead of reading. */
class FileStream {
  pos = 0;
  #buf = new Uint8Array(WINDOW);
  #start = 0;
  #len = 0;
  constructor(readonly file: Deno.FsFile, readonly size: number) {}
  async #fill(need: number) {
    if (this.pos >= this.#start && this.pos + need <= this.#start + this.#len) return;
    if (need > this.#buf.length) this.#buf = new Uint8Array(need);
    await this.file.seek(this.pos, Deno.SeekMode.Start);
    let got = 0;
    const want = Math.min(this.#buf.length, this.size - this.pos);
    while (got < want) {
      const n = await this.file.read(this.#buf.subarray(got, want));
      if (n === null) break;
      got += n;
    }
    this.#start = this.pos;
    this.#len = got;
    if (got < need) throw new Error(`unexpected end of file at byte ${this.pos + got}`);
  }
  async varint(): Promise<number> {
    await this.#fill(Math.min(10, this.size - this.pos));
    const [v, n] = decodeVarint(this.#buf.subarray(0, this.#len), this.pos - this.#start);
    this.pos += n;
    return v;
  }
  async bytes(n: number): Promise<Uint8Array> {
    await this.#fill(n);
    const off = this.pos - this.#start;
    this.pos += n;
    return this.#buf.slice(off, off + n);
  }
  skip(n: number) {
    this.pos += n;
  }
  /** Where the field last yielded by {@link fields} starts (its tag). */
  fieldStart = 0;
  /** The fields of a message that ends at `end`; wire-2 values come as their length (not read yet). */
  async *fields(end: number): AsyncGenerator<[number, number, number]> {
    while (this.pos < end) {
      const start = this.pos;
      const key = await this.varint(), field = Math.floor(key / 8), wire = key & 7;
      this.fieldStart = start;
      if (wire === 0) yield [field, wire, await this.varint()];
      else if (wire === 2) {
        const n = await this.varint();
        const after = this.pos + n;
        yield [field, wire, n];
        this.pos = Math.max(this.pos, after); // the consumer read it or not: go on after it
        if (this.pos !== after) throw new Error(`protobuf field ${field} overran its length at byte ${this.pos}`);
      } else if (wire === 5 || wire === 1) {
        this.skip(wire === 5 ? 4 : 8);
        yield [field, wire, 0];
      }
      else throw new Error(`unsupported protobuf wire type ${wire} at byte ${this.pos}`);
    }
  }
}

/** Fields whose bytes are tensor data: skipped by seeking. */
const TENSOR_DATA_FIELDS = new Set([4, 5, 6, 7, 9, 10, 11]);
/** Larger nodes (Constant holding a big tensor) are parsed from the file field by field. */
const NODE_IN_MEMORY_LIMIT = 16 << 20;

async function streamTensorMeta(s: FileStream, end: number): Promise<OnnxInitializerInfo> {
  const small: [number, number, number | Uint8Array][] = [];
  for await (const [f, wire, v] of s.fields(end)) {
    if (wire === 2 && TENSOR_DATA_FIELDS.has(f)) s.skip(v);
    else small.push([f, wire, wire === 2 ? await s.bytes(v) : v]);
  }
  return tensorMetaFrom(small);
}

async function streamNode(s: FileStream, end: number): Promise<OnnxNodeInfo> {
  const n: OnnxNodeInfo = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: {} };
  for await (const [f, wire, v] of s.fields(end)) {
    if (wire !== 2) continue;
    if (f === 5) {
      const attrEnd = s.pos + v;
      let name = "";
      for await (const [af, aw, av] of s.fields(attrEnd)) {
        if (af === 1 && aw === 2) name = dec.decode(await s.bytes(av));
        else if (af === 5 && aw === 2) n.attributes[name || "value"] = { tensor: (await streamTensorMeta(s, s.pos + av)).name };
        else if (aw === 2) s.skip(av);
      }
      continue;
    }
    const text = dec.decode(await s.bytes(v));
    if (f === 1) n.inputs.push(text);
    else if (f === 2) n.outputs.push(text);
    else if (f === 3) n.name = text;
    else if (f === 4) n.opType = text;
    else if (f === 7) n.domain = text;
  }
  return n;
}

/**
 * Read an ONNX model's structure from `path` without loading tensor bytes. Throws naming the file when
 * it is not an ONNX model (no graph found, or the protobuf is malformed).
 */
export async function readOnnxModel(path: string): Promise<OnnxModelInfo> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const s = new FileStream(file, size);
    const info: OnnxModelInfo = {
      path, fileBytes: size, irVersion: 0, producer: "", opsets: [], graphName: "",
      inputs: [], outputs: [], valueInfo: [], nodes: [], initializers: [], spans: { graphs: [], nodes: [], outputs: [], initializers: [] },
    };
    let sawGraph = false;
    const allInputs: OnnxValueInfo[] = [];
    for await (const [f, wire, v] of s.fields(size)) {
      if (f === 1 && wire === 0) info.irVersion = v;
      else if (f === 2 && wire === 2) info.producer = dec.decode(await s.bytes(v));
      else if (f === 8 && wire === 2) {
        const op = { domain: "", version: 0 };
        for (const [of, , ov] of new Mem(await s.bytes(v)).fields()) {
          if (of === 1) op.domain = str(ov);
          if (of === 2) op.version = ov as number;
        }
        info.opsets.push(op);
      } else if (f === 7 && wire === 2) {
        sawGraph = true; // a graph may come in several pieces (protobuf merges them): read each
        info.spans.graphs.push({ start: s.fieldStart, content: s.pos, end: s.pos + v });
        for await (const [gf, gw, gv] of s.fields(s.pos + v)) {
          if (gw !== 2) continue;
          const span: [number, number] = [s.fieldStart, s.pos + gv];
          if (gf === 1) info.spans.nodes.push(span);
          if (gf === 12) info.spans.outputs.push(span);
          if (gf === 5) info.spans.initializers.push(span);
          if (gf === 1) info.nodes.push(gv <= NODE_IN_MEMORY_LIMIT ? parseNode(await s.bytes(gv)) : await streamNode(s, s.pos + gv));
          else if (gf === 2) info.graphName = dec.decode(await s.bytes(gv));
          else if (gf === 5) info.initializers.push(await streamTensorMeta(s, s.pos + gv));
          else if (gf === 11) allInputs.push(parseValueInfo(await s.bytes(gv)));
          else if (gf === 12) info.outputs.push(parseValueInfo(await s.bytes(gv)));
          else if (gf === 13) info.valueInfo.push(parseValueInfo(await s.bytes(gv)));
          else s.skip(gv);
        }
      } else if (wire === 2) s.skip(v);
    }
    if (!sawGraph) throw new Error("no graph (field 7) found");
    const inits = new Set(info.initializers.map((t) => t.name));
    info.inputs = allInputs.filter((i) => !inits.has(i.name));
    return info;
  } catch (err) {
    throw new Error(`cannot read ONNX model ${path}: ${(err as Error).message}`);
  } finally {
    file.close();
  }
}

/** The external data files a model refers to, in order of first use (relative to its folder). */
export function externalDataFiles(m: OnnxModelInfo): string[] {
  return [...new Set(m.initializers.filter((t) => t.external).map((t) => t.external!.location))];
}

/** Total bytes of the model's weights (embedded and external). */
export function weightBytes(m: OnnxModelInfo): number {
  return m.initializers.reduce((a, t) => a + t.bytes, 0);
}

/** The node that produces `tensor`, if any. */
export function producerOf(m: OnnxModelInfo, tensor: string): OnnxNodeInfo | undefined {
  return m.nodes.find((n) => n.outputs.includes(tensor));
}
