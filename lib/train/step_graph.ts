/**
 * What a training-step graph is built from: the loss settings it bakes in and the layer sizes of a
 * projection. The graph itself (forward pass, contrastive loss and every gradient, written out by hand,
 * for R runs at once) is `batched_graph.ts`; one run is R = 1.
 *
 * @example
 * ```ts
 * import { layerDims } from "./step_graph.ts";
 * layerDims({ kind: "mlp", inDim: 512, outDim: 1792, hidden: 1024, layers: 3 });   // [512, 1024, 1024, 1792]
 * ```
 */
import { projectionDefaults, type ProjectionConfig } from "./projection.ts";

/** Loss settings baked into the graph. */
export interface GraphLoss {
  loss: "clip" | "siglip";
  scale: number;
  bias?: number;
}

/** Layer sizes of a projection: [in, hidden..., out]. Pure. */
export function layerDims(c: ProjectionConfig): number[] {
  const p = projectionDefaults(c);
  return p.kind === "linear" ? [p.inDim, p.outDim] : [p.inDim, ...Array(p.layers - 1).fill(p.hidden), p.outDim];
}
