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

/** ONNX element type numbers (TensorProto.DataType) by name. */
export const ONNX_DTYPES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
  10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
  17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
};
const ELEMENT_BITS: Record<number, number> = { 1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4 };

/** A graph input, output or value_info entry. `shape` null: not stated; a dim is a number, a symbol or null. */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dtype: string;
  shape: (number | string | null)[] | null;
}

/** A node attribute's value: numbers, strings and their lists; tensors and graphs are only named. */
export type OnnxAttrValue = number | string | number[] | string[] | { tensor: string } | { graph: true };

/** One graph node. */
export interface OnnxNodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttrValue>;
}

/** An initializer's metadata (its bytes are not read). */
export interface OnnxInitializerInfo {
  name: string;
  elemType: number;
  dtype: string;
  dims: number[];
  /** Size of the tensor's data in bytes (from dims and dtype). */
  bytes: number;
  /** Where external data lives (`location` is relative to the model file's folder). */
  external?: { location: string; offset: number; length: number | null };
}

/** What {@link readOnnxModel} returns. */
export interface OnnxModelInfo {
  path: string;
  fileBytes: number;
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  graphName: string;
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  nodes: OnnxNodeInfo[];
  initializers: OnnxInitializerInfo[];
  /**
   * Byte spans in the file (start inclusive, end exclusive), for editors that copy the file around them:
   * each top-level `graph` field (tag start, content start, end), and each node and output entry
   * (whole field, tag included), in the order of `nodes`, `outputs` and `initializers`.
   */
  spans: { graphs: { start: number; content: number; end: number }[]; nodes: [number, number][]; outputs: [number, number][]; initializers: [number, number][] };
}

// ---------------------------------------------------------------- in-memory protobuf fields

const dec = new TextDecoder();

class Mem {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  varint(): number {
    const [v, n] = decodeVarint(this.b, this.pos);
    this.pos += n;
    return v;
  }
  /** Each field of the message: `(field, wire, value)`, value a number (wire 0/1/5) or bytes (wire 2). */
  *fields(): Generator<[number, number, number | Uint8Array]> {
    while (this.pos < this.b.length) {
      const key = this.varint(), field = Math.floor(key / 8), wire = key & 7;
      if (wire === 0) yield [field, wire, this.varint()];
      else if (wire === 2) {
        const n = this.varint();
        yield [field, wire, this.b.subarray(this.pos, this.pos += n)];
      } else if (wire === 5) {
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getFloat32(0, true);
        this.pos += 4;
        yield [field, wire, v];
      } else if (wire === 1) {
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        yield [field, wire, v];
      } else throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const str = (v: number | Uint8Array) => dec.decode(v as Uint8Array);

/** A varint at `pos` as a signed 64-bit value (negative int64s take 10 bytes) and its length. */
function decodeVarint(b: Uint8Array, pos: number): [number, number] {
  let x = 0, mul = 1, n = 0, byte: number;
  do {
    if (pos + n >= b.length) throw new Error("truncated varint");
    byte = b[pos + n++];
    x += (byte & 0x7f) * mul;
    mul *= 128;
  } while (byte & 0x80);
  if (n <= 7) return [x, n];
  let big = 0n;
  for (let k = n - 1; k >= 0; k--) big = (big << 7n) | BigInt(b[pos + k] & 0x7f);
  return [Number(BigInt.asIntN(64, big)), n];
}
/** Packed or unpacked repeated varints. */
function pushInts(out: number[], wire: number, v: number | Uint8Array) {
  if (wire === 0) out.push(v as number);
  else {
    const m = new Mem(v as Uint8Array);
    while (m.pos < m.b.length) out.push(m.varint());
  }
}

function parseValueInfo(b: Uint8Array): OnnxValueInfo {
  const vi: OnnxValueInfo = { name: "", elemType: 0, dtype: "?", shape: null };
  for (const [f, , v] of new Mem(b).fields()) {
    if (f === 1) vi.name = str(v);
    if (f !== 2) continue;
    for (const [tf, , tv] of new Mem(v as Uint8Array).fields()) {
      if (tf !== 1) continue; // tensor_type only (sequences and maps are left as "?")
      for (const [ttf, , ttv] of new Mem(tv as Uint8Array).fields()) {
        if (ttf === 1) vi.elemType = ttv as number;
        if (ttf === 2) {
          vi.shape = [];
          for (const [, , dim] of new Mem(ttv as Uint8Array).fields()) {
            let d: number | string | null = null;
            for (const [df, , dv] of new Mem(dim as Uint8Array).fields()) {
              if (df === 1) d = dv as number;
              if (df === 2) d = str(dv);
            }
            vi.shape.push(d);
          }
        }
      }
    }
  }
  vi.dtype = ONNX_DTYPES[vi.elemType] ?? "?";
  return vi;
}

function parseAttribute(b: Uint8Array): [string, OnnxAttrValue] {
  let name = "", type = 0;
  let f: number | null = null, i: number | null = null, s: string | null = null;
  const ints: number[] = [], floats: number[] = [], strings: string[] = [];
  let tensor: string | null = null;
  for (const [field, wire, v] of new Mem(b).fields()) {
    if (field === 1) name = str(v);
    else if (field === 20) type = v as number;
    else if (field === 2) f = v as number;
    else if (field === 3) i = v as number;
    else if (field === 4) s = str(v);
    else if (field === 5) tensor = parseTensorMeta(v as Uint8Array).name;
    else if (field === 6) continue; // a subgraph: only its presence is reported
    else if (field === 7) {
      if (wire === 5) floats.push(v as number);
      else for (let k = 0; k < (v as Uint8Array).length; k += 4) floats.push(new DataView((v as Uint8Array).buffer, (v as Uint8Array).byteOffset + k, 4).getFloat32(0, true));
    } else if (field === 8) pushInts(ints, wire, v);
    else if (field === 9) strings.push(str(v));
  }
  const value: OnnxAttrValue = type === 1 ? f! : type === 2 ? i! : type === 3 ? s! : type === 4 ? { tensor: tensor ?? "" } : type === 5 ? { graph: true as const } :
    type === 6 ? floats : type === 7 ? ints : type === 8 ? strings : (i ?? f ?? s ?? (ints.length ? ints : floats.length ? floats : strings));
  return [name, value];
}

function parseNode(b: Uint8Array): OnnxNodeInfo {
  const n: OnnxNodeInfo = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: {} };
  for (const [f, , v] of new Mem(b).fields()) {
    if (f === 1) n.inputs.push(str(v));
    else if (f === 2) n.outputs.push(str(v));
    else if (f === 3) n.name = str(v);
    else if (f === 4) n.opType = str(v);
    else if (f === 7) n.domain = str(v);
    else if (f === 5) {
      const [k, val] = parseAttribute(v as Uint8Array);
      n.attributes[k] = val;
    }
  }
  return n;
}

/** TensorProto metadata from its fields; `data` fields are never decoded. */
function tensorMetaFrom(fields: Iterable<[number, number, number | Uint8Array]>): OnnxInitializerInfo {
  const t: OnnxInitializerInfo = { name: "", elemType: 0, dtype: "?", dims: [], bytes: 0 };
  const ext: Record<string, string> = {};
  let location = 0;
  for (const [f, wire, v] of fields) {
    if (f === 1) pushInts(t.dims, wire, v);
    else if (f === 2) t.elemType = v as number;
    else if (f === 8) t.name = str(v);
    else if (f === 14) location = v as number;
    else if (f === 13) {
      let k = "", val = "";
      for (const [ef, , ev] of new Mem(v as Uint8Array).fields()) {
        if (ef === 1) k = str(ev);
        if (ef === 2) val = str(ev);
      }
      ext[k] = val;
    }
  }
  t.dtype = ONNX_DTYPES[t.elemType] ?? "?";
  const count = t.dims.reduce((a, d) => a * d, 1);
  t.bytes = Math.ceil((count * (ELEMENT_BITS[t.elemType] ?? 0)) / 8);
  if (location === 1 || ext.location) {
    t.external = { location: ext.location ?? "", offset: Number(ext.offset ?? 0), length: ext.length !== undefined ? Number(ext.length) : null };
  }
  return t;
}

function parseTensorMeta(b: Uint8Array): OnnxInitializerInfo {
  return tensorMetaFrom(new Mem(b).fields());
}

// ---------------------------------------------------------------- streaming over a file

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
