/**
 * ONNX protobuf messages decoded from bytes in memory (value infos, attributes, nodes, tensor metadata),
 * the types they produce, and the varint and field walking they share. `reader.ts` streams a model file
 * through these; nothing here touches the file system.
 *
 * @example
 * ```ts
 * const m = new Mem(Uint8Array.of(0x08, 0x96, 0x01)); // field 1, varint 150
 * for (const [field, , value] of m.fields()) console.log(field, value); // 1 150
 * ```
 */
/** ONNX element type numbers (TensorProto.DataType) by name. */
export const ONNX_DTYPES: Record<number, string> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
  10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
  17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
};
export const ELEMENT_BITS: Record<number, number> = { 1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4 };

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

export const dec = new TextDecoder();

export class Mem {
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

export const str = (v: number | Uint8Array) => dec.decode(v as Uint8Array);

/** A varint at `pos` as a signed 64-bit value (negative int64s take 10 bytes) and its length. */
export function decodeVarint(b: Uint8Array, pos: number): [number, number] {
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
export function pushInts(out: number[], wire: number, v: number | Uint8Array) {
  if (wire === 0) out.push(v as number);
  else {
    const m = new Mem(v as Uint8Array);
    while (m.pos < m.b.length) out.push(m.varint());
  }
}

export function parseValueInfo(b: Uint8Array): OnnxValueInfo {
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

export function parseAttribute(b: Uint8Array): [string, OnnxAttrValue] {
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

export function parseNode(b: Uint8Array): OnnxNodeInfo {
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
export function tensorMetaFrom(fields: Iterable<[number, number, number | Uint8Array]>): OnnxInitializerInfo {
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

export function parseTensorMeta(b: Uint8Array): OnnxInitializerInfo {
  return tensorMetaFrom(new Mem(b).fields());
}

// ---------------------------------------------------------------- streaming over a file
