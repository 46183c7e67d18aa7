/**
 * Reader of Qt's compiled resource files (`.rcc`, the format `rcc -binary` writes, versions 1-3): a
 * tree of named folders and files, each file stored raw or zlib-compressed (a 4-byte big-endian size,
 * then the zlib stream). GCompris ships its pictures in such files. Every offset is checked against the
 * file's size, so a damaged file is an error naming it, never a wrong picture.
 *
 * @example
 * ```ts
 * const bytes = await Deno.readFile("/usr/share/gcompris-qt/rcc/lang.rcc");
 * const files = readQtResources(bytes, "lang.rcc");
 * const json = new TextDecoder().decode(files.get("/gcompris/src/activities/lang/resource/words_sample.json"));
 * ```
 */
import { inflateSync } from "node:zlib";

const FLAG_COMPRESSED = 0x01, FLAG_DIRECTORY = 0x02, FLAG_ZSTD = 0x04;

/** Every file of a Qt resource file, by its absolute resource path ("/a/b.png"), decompressed. Pure. */
export function readQtResources(bytes: Uint8Array, label = "resource file"): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new Error(`${label}: not a readable Qt resource file (${what})`);
  };
  const need = (offset: number, length: number, what: string) => {
    if (offset < 0 || offset + length > bytes.length) fail(`${what} at byte ${offset} runs past the end (${bytes.length} bytes)`);
  };
  need(0, 20, "header");
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "qres") fail("no 'qres' magic");
  const version = view.getUint32(4), tree = view.getUint32(8), data = view.getUint32(12), names = view.getUint32(16);
  if (version < 1 || version > 3) fail(`format version ${version}, expected 1 to 3`);
  const nodeSize = version >= 2 ? 22 : 14;

  const nameAt = (offset: number): string => {
    need(names + offset, 6, "name");
    const length = view.getUint16(names + offset);
    need(names + offset + 6, 2 * length, "name");
    let s = "";
    for (let i = 0; i < length; i++) s += String.fromCharCode(view.getUint16(names + offset + 6 + 2 * i));
    return s;
  };
  const out = new Map<string, Uint8Array>();
  const visit = (node: number, path: string, depth: number) => {
    if (depth > 64) fail("folders nested over 64 deep");
    const at = tree + node * nodeSize;
    need(at, 14, `tree node ${node}`);
    const flags = view.getUint16(at + 4);
    const name = node === 0 ? "" : nameAt(view.getUint32(at));
    if (flags & FLAG_DIRECTORY) {
      const count = view.getUint32(at + 6), first = view.getUint32(at + 10);
      if (first <= node && count) fail(`folder node ${node} points back to node ${first}`);
      for (let k = 0; k < count; k++) visit(first + k, `${path}${name}/`, depth + 1);
      return;
    }
    const offset = data + view.getUint32(at + 10);
    need(offset, 4, `data of ${path}${name}`);
    const size = view.getUint32(offset);
    need(offset + 4, size, `data of ${path}${name}`);
    const raw = bytes.subarray(offset + 4, offset + 4 + size);
    if (flags & FLAG_ZSTD) fail(`${path}${name} is zstd-compressed, which this reader does not decode`);
    out.set(`${path}${name}`, flags & FLAG_COMPRESSED ? inflated(raw, `${path}${name}`, fail) : raw.slice());
  };
  visit(0, "", 0);
  return out;
}

function inflated(raw: Uint8Array, path: string, fail: (what: string) => never): Uint8Array {
  if (raw.length < 4) fail(`${path}: compressed data shorter than its size field`);
  const expected = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0);
  let out: Uint8Array;
  try {
    out = new Uint8Array(inflateSync(raw.subarray(4)));
  } catch (err) {
    return fail(`${path}: zlib data does not inflate (${(err as Error).message})`);
  }
  if (out.length !== expected) fail(`${path}: inflated to ${out.length} bytes, its header says ${expected}`);
  return out;
}
