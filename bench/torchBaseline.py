"""The PyTorch way of computing the Backward Lens grid, for the bench's speed comparison (issue 10).

A researcher's eager GPT-2 with hooks: a forward hook on each MLP's c_fc keeps its input x_i, a
backward hook on each c_proj keeps dL/dy_i; after loss.backward() both stacks are projected by the
unembedding and the top-k and bottom-k tokens of every cell are taken. Bench-only: the extension
never runs Python. Debian's python3-torch (1.13) provides torch; the weights are read from the
same safetensors file the engine reads (a header parse: Debian has no safetensors package).

  python3 bench/torchBaseline.py SPEC.json RESULT.json
SPEC: {modelDir, ids, targetIds, k, runs, weightGrads}; RESULT: per-run wall times in ms and the
loss, so the bench can check both computed the same function.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{name}: only float32 checkpoints are supported by this baseline")
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=np.float32, count=(end - start) // 4, offset=base + start)
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors


class Conv1D(torch.nn.Module):
    """GPT-2's linear layer: y = x W + b with W stored [in, out]."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = torch.nn.Parameter(weight)
        self.bias = torch.nn.Parameter(bias)

    def forward(self, x):
        return torch.addmm(self.bias, x.view(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Block(torch.nn.Module):
    def __init__(self, w, i, heads, eps):
        super().__init__()
        p = f"h.{i}."
        self.heads, self.eps = heads, eps
        self.ln_1 = torch.nn.LayerNorm(w[p + "ln_1.weight"].shape[0], eps=eps)
        self.ln_1.weight, self.ln_1.bias = torch.nn.Parameter(w[p + "ln_1.weight"]), torch.nn.Parameter(w[p + "ln_1.bias"])
        self.ln_2 = torch.nn.LayerNorm(w[p + "ln_2.weight"].shape[0], eps=eps)
        self.ln_2.weight, self.ln_2.bias = torch.nn.Parameter(w[p + "ln_2.weight"]), torch.nn.Parameter(w[p + "ln_2.bias"])
        self.c_attn = Conv1D(w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"])
        self.attn_proj = Conv1D(w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])
        self.c_fc = Conv1D(w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"])
        self.c_proj = Conv1D(w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])

    def attention(self, x):
        T, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=-1)
        q, k, v = (t.view(T, self.heads, d // self.heads).transpose(0, 1) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        attended = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.attn_proj(attended.transpose(0, 1).reshape(T, d))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(torch.nn.Module):
    def __init__(self, w, config):
        super().__init__()
        self.wte = torch.nn.Parameter(w["wte.weight"])
        self.wpe = torch.nn.Parameter(w["wpe.weight"])
        self.blocks = torch.nn.ModuleList(Block(w, i, config["n_head"], config["layer_norm_epsilon"]) for i in range(config["n_layer"]))
        self.ln_f = torch.nn.LayerNorm(self.wte.shape[1], eps=config["layer_norm_epsilon"])
        self.ln_f.weight, self.ln_f.bias = torch.nn.Parameter(w["ln_f.weight"]), torch.nn.Parameter(w["ln_f.bias"])

    def forward(self, ids, activations_only):
        x = self.wte[ids] + self.wpe[: ids.shape[0]]
        # Without weight gradients, the backward pass needs a leaf: the embedded input, which costs nothing to differentiate.
        if activations_only:
            x = x.detach().requires_grad_(True)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.T


def hook_mlps(model):
    """Forward hooks keep each FF1 input x_i; backward hooks keep each FF2 output gradient δ_i."""
    inputs, deltas = {}, {}
    for i, block in enumerate(model.blocks):
        block.c_fc.register_forward_hook(lambda m, args, out, i=i: inputs.__setitem__(i, args[0].detach()))
        block.c_proj.register_full_backward_hook(lambda m, grad_in, grad_out, i=i: deltas.__setitem__(i, grad_out[0].detach()))
    return inputs, deltas


def analyse(model, inputs, deltas, ids, target_ids, k, activations_only):
    """One full grid: forward, loss (the target's tokens after the prompt), backward, both projections' top and bottom k."""
    model.zero_grad(set_to_none=True)
    sequence = torch.tensor(ids + target_ids[:-1])
    logits = model(sequence, activations_only)
    predicted = logits[len(ids) - 1 :]
    loss = F.cross_entropy(predicted, torch.tensor(target_ids))
    loss.backward()
    with torch.no_grad():
        layers = len(model.blocks)
        vectors = torch.stack([inputs[i] for i in range(layers)] + [deltas[i] for i in range(layers)])
        projected = vectors @ model.wte.T
        top = projected.topk(k, dim=-1)
        bottom = projected.topk(k, dim=-1, largest=False)
    return loss.item(), top, bottom


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(os.cpu_count())
    config = json.load(open(os.path.join(spec["modelDir"], "config.json")))
    model = Gpt2(read_safetensors(os.path.join(spec["modelDir"], "model.safetensors")), config)
    for parameter in model.parameters():
        parameter.requires_grad_(spec["weightGrads"])
    inputs, deltas = hook_mlps(model)
    times, loss = [], None
    for _ in range(spec["runs"]):
        start = time.perf_counter()
        loss, _, _ = analyse(model, inputs, deltas, spec["ids"], spec["targetIds"], spec["k"], not spec["weightGrads"])
        times.append((time.perf_counter() - start) * 1000)
    json.dump({"wallMs": times, "loss": loss, "threads": torch.get_num_threads(), "torch": torch.__version__}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
