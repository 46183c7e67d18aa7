import { dataset } from "./lib/data/registry.ts";
for (const n of ["emoji-google", "emoji-twitter", "openclipart", "tuxpaint", "fashion-mnist"]) {
  const d = await dataset(n);
  const withCap = d.items.filter((i) => i.caption).length;
  console.log(n, d.items.length, "classes", d.classes.length, "captions", withCap, d.items[0].image_path, JSON.stringify(d.items[0]).slice(0, 300));
}
