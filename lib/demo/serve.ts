/**
 * A minimal static file server on localhost for the demo site (right MIME types for `.wasm` and `.mjs`,
 * which browsers require; no directory listings; nothing outside the folder).
 *
 * @example
 * ```ts
 * const server = serveStatic("outputs/demo");
 * console.log(`open ${server.url}`);
 * await server.shutdown();
 * ```
 */
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".onnx": "application/octet-stream",
  ".bin": "application/octet-stream",
};

/** The MIME type served for a file name. Pure. */
export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** A running static server. */
export interface StaticServer {
  url: string;
  shutdown(): Promise<void>;
}

/** Serve `dir` on 127.0.0.1 (`port` 0: a free one). */
export function serveStatic(dir: string, port = 0): StaticServer {
  const root = resolve(dir);
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root + sep)) return new Response("forbidden", { status: 403 });
    try {
      const body = await Deno.readFile(file);
      return new Response(body, { headers: { "content-type": contentType(file), "cache-control": "no-store" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, shutdown: () => server.shutdown() };
}
