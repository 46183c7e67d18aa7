/**
 * Minimal reader for uncompressed tar archives (webdataset shards): list members, read one member's bytes.
 * Members are addressed as `archive.tar::member/name.jpg` in the items table.
 *
 * @example
 * ```ts
 * const members = listTar("shard-000000.tar");
 * for (const m of listTar("shard-000000.tar")) console.log(m.name, m.size);
 * const jpeg = readTarMember("shard-000000.tar", members[0]);
 * ```
 */

/** One regular file in a tar archive. */
export interface TarMember {
  name: string;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  size: number;
}

const dec = new TextDecoder();

function field(block: Uint8Array, start: number, len: number): string {
  const raw = block.subarray(start, start + len);
  const end = raw.indexOf(0);
  return dec.decode(end >= 0 ? raw.subarray(0, end) : raw);
}

/** List the regular files of a tar archive (ustar and GNU long names). Reads headers only. */
export function listTar(path: string): TarMember[] {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    const members: TarMember[] = [];
    const header = new Uint8Array(512);
    let pos = 0, longName: string | null = null;
    while (pos + 512 <= size) {
      file.seekSync(pos, Deno.SeekMode.Start);
      if (file.readSync(header) !== 512) break;
      if (header.every((b) => b === 0)) break;
      const checksum = parseInt(field(header, 148, 8).trim() || "0", 8);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      if (sum !== checksum) throw new Error(`${path}: bad tar header checksum at byte ${pos} (not a tar file, or corrupt)`);
      const type = String.fromCharCode(header[156] || 48);
      const sizeField = field(header, 124, 12).trim();
      const memberSize = parseInt(sizeField || "0", 8);
      const prefix = field(header, 345, 155);
      let name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = null;
      const dataStart = pos + 512;
      if (type === "L") {
        file.seekSync(dataStart, Deno.SeekMode.Start);
        const buf = new Uint8Array(memberSize);
        file.readSync(buf);
        longName = field(buf, 0, memberSize);
      } else if (type === "0" || type === "\0") {
        if (name.startsWith("./")) name = name.slice(2);
        members.push({ name, offset: dataStart, size: memberSize });
      }
      pos = dataStart + Math.ceil(memberSize / 512) * 512;
    }
    return members;
  } finally {
    file.close();
  }
}

/** Read one member's bytes. */
export function readTarMember(path: string, member: TarMember): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    file.seekSync(member.offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(member.size);
    let got = 0;
    while (got < buf.length) {
      const n = file.readSync(buf.subarray(got));
      if (n === null) throw new Error(`${path}: member ${member.name} truncated`);
      got += n;
    }
    return buf;
  } finally {
    file.close();
  }
}
