/**
 * A minimal ustar writer (regular files, names up to 100 bytes): what img2dataset's webdataset shards
 * are, and what `lib/data/tar.ts` reads. Pure: entries in, archive bytes out.
 *
 * @example
 * ```ts
 * const bytes = tarArchive([{ name: "000000.txt", data: new TextEncoder().encode("a red apple") }]);
 * await Deno.writeFile("/tmp/shard-00000.tar", bytes);
 * ```
 */

/** One file of an archive. */
export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const enc = new TextEncoder();

function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, at: number, len: number) => h.set(enc.encode(s).subarray(0, len), at);
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) throw new Error(`tar member name "${name}" is over 100 bytes`);
  h.set(nameBytes, 0);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(size.toString(8).padStart(11, "0") + "\0", 124, 12);
  put("00000000000\0", 136, 12);
  put("        ", 148, 8);
  h[156] = "0".charCodeAt(0);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

/** The bytes of a tar archive holding `entries` in order (two zero blocks at the end). */
export function tarArchive(entries: TarEntry[]): Uint8Array {
  const size = entries.reduce((a, e) => a + 512 + Math.ceil(e.data.length / 512) * 512, 0) + 1024;
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    out.set(header(e.name, e.data.length), at);
    out.set(e.data, at + 512);
    at += 512 + Math.ceil(e.data.length / 512) * 512;
  }
  return out;
}
