/**
 * Class representations: class names through prompt templates (CLIP's 80 ImageNet templates, the
 * paper's protocol), and descriptions split into sentences (each sentence one text, predictions averaged
 * over a class's sentences).
 *
 * @example
 * ```ts
 * fillTemplates("tabby cat", CLIP_IMAGENET_TEMPLATES).length;  // 80
 * fillTemplates("tabby cat", CLIP_ENSEMBLE_7);                   // the 7-template subset
 * splitSentences("A feline. Often kept as a pet.");              // ["A feline.", "Often kept as a pet."]
 * ```
 */

/** CLIP's 80 ImageNet prompt templates (Radford et al. 2021), as CLIP_benchmark uses them. */
export const CLIP_IMAGENET_TEMPLATES: readonly string[] = [
  "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.", "a photo of the hard to see {}.",
  "a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.", "a bad photo of the {}.",
  "a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
  "a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
  "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
  "a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.", "a painting of a {}.",
  "a pixelated photo of the {}.", "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
  "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
  "a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.", "a {} in a video game.",
  "a photo of one {}.", "a doodle of a {}.", "a close-up photo of the {}.", "a photo of a {}.",
  "the origami {}.", "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.",
  "a origami {}.", "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
  "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.", "a photo of a nice {}.",
  "a photo of a weird {}.", "a blurry photo of a {}.", "a cartoon {}.", "art of a {}.",
  "a sketch of the {}.", "a embroidered {}.", "a pixelated photo of a {}.", "itap of the {}.",
  "a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
  "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
  "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.", "the plushie {}.",
  "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.", "a toy {}.",
  "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
];

/** The 7-template subset CLIP's authors found best on ImageNet (a cheaper default on CPU). */
export const CLIP_ENSEMBLE_7: readonly string[] = [
  "itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
  "a {} in a video game.", "art of the {}.", "a photo of the small {}.",
];

/** Templates for drawings and icons (emoji, clip art): the style-neutral part of the 80. */
export const DRAWING_TEMPLATES: readonly string[] = [
  "a drawing of a {}.", "a cartoon {}.", "art of a {}.", "a doodle of a {}.", "a sketch of a {}.",
  "a rendering of a {}.", "a photo of a {}.", "the {}.",
];

/** Fill each template with a class name. Pure. */
export function fillTemplates(className: string, templates: readonly string[]): string[] {
  return templates.map((t) => {
    if (!t.includes("{}")) throw new Error(`template "${t}" has no "{}" placeholder`);
    return t.replaceAll("{}", className);
  });
}

/**
 * Split a description into sentences (on ., ! or ? followed by space and a capital or digit; keeps
 * abbreviations like "e.g." and "U.S." together when followed by lower case). Empty parts are dropped.
 */
export function splitSentences(text: string): string[] {
  return text.replace(/\s+/g, " ").trim().split(/(?<=[.!?;])\s+(?=["'(]?[A-Z0-9])/).map((s) => s.trim())
    .filter((s) => s.length > 0);
}
