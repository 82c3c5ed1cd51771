/**
 * Reverse-mode automatic differentiation over the graph builder: walks the nodes emitted so far
 * in reverse, applies each node's VJP rule and sums gradients of tensors used more than once.
 * The result is more nodes in the same graph, so onnxruntime runs forward and backward together.
 */
import { Graph, Tensor } from './graph';
import { add } from './ops';

/** Gradients of the scalar `loss` with respect to every tensor that requires grad and reaches it. */
export function backward(g: Graph, loss: Tensor): Map<Tensor, Tensor> {
  if (loss.rank !== 0 && !loss.shape.every((d) => d === 1)) {
    throw new Error(`backward needs a scalar loss, got shape [${loss.shape}]`);
  }
  const grads = new Map<Tensor, Tensor>([[loss, g.constant([1], loss.dtype, loss.shape as number[])]]);
  const nodesSoFar = g.nodes.slice();
  for (let n = nodesSoFar.length - 1; n >= 0; n--) {
    const node = nodesSoFar[n];
    const gradOutputs = node.outputs.map((t) => grads.get(t));
    if (gradOutputs.every((d) => d === undefined)) continue;
    const inputs = node.gradInputs ?? node.inputs;
    if (!inputs.some((t) => t.requiresGrad)) continue;
    if (!node.vjp) throw new Error(`no VJP rule for ${node.opType}: cannot differentiate through it`);
    const gradInputs = node.vjp(g, inputs, node.outputs, gradOutputs, node.attributes);
    inputs.forEach((input, i) => {
      const grad = gradInputs[i];
      if (!grad || !input.requiresGrad) return;
      const previous = grads.get(input);
      grads.set(input, previous ? add(g, previous, grad) : grad);
    });
  }
  return grads;
}
