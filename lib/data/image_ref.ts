/**
 * Image references as the items table holds them: a file path, or `archive.tar::member` for an image
 * inside a tar shard (WebDataset). Parsed here ONCE; readers, cache keys and dataset checks use
 * {@link parseImageRef}.
 *
 * @example
 * ```ts
 * import { parseImageRef, readImageBytes } from "./image_ref.ts";
 * parseImageRef("shards/000.tar::cat.jpg");   // { file: "shards/000.tar", member: "cat.jpg" }
 * const bytes = await readImageBytes("shards/000.tar::cat.jpg");
 * ```
 */
import { listTar, readTarMember, type TarMember } from "./tar.ts";

/** A parsed image reference: the file on disk, and the member inside it when the file is a tar archive. */
export interface ImageRef {
  file: string;
  member?: string;
}

/** Split `archive.tar::member` (or a plain path). Pure. */
export function parseImageRef(ref: string): ImageRef {
  const sep = ref.indexOf("::");
  return sep < 0 ? { file: ref } : { file: ref.slice(0, sep), member: ref.slice(sep + 2) };
}

/** The reference of a member of a tar archive. Pure. */
export function tarImageRef(archive: string, member: string): string {
  return `${archive}::${member}`;
}

/** An image as encoders take it: a reference (a path or `archive.tar::member`) or encoded image bytes. */
export type ImageInput = string | Uint8Array;

const tarIndex = new Map<string, Map<string, TarMember>>();

/** Read an image's encoded bytes from a path or `archive.tar::member`. */
export async function readImageBytes(ref: ImageInput): Promise<Uint8Array> {
  if (typeof ref !== "string") return ref;
  const parsed = parseImageRef(ref);
  if (!parsed.member) {
    try {
      return await Deno.readFile(ref);
    } catch (err) {
      throw new Error(`cannot read image ${ref}: ${(err as Error).message}`);
    }
  }
  const { file: archive, member: name } = parsed;
  let index = tarIndex.get(archive);
  if (!index) {
    index = new Map(listTar(archive).map((m) => [m.name, m]));
    tarIndex.set(archive, index);
  }
  const member = index.get(name);
  if (!member) throw new Error(`image ${name} not found in ${archive}`);
  return readTarMember(archive, member);
}

