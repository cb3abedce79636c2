#!/usr/bin/env python3
"""Parameter count of the paper's predictor U-Net, computed from the architecture description
alone (pure Python, no framework): the independent check `cargo bench --bench paper_start`
compares pdd's models against.

The architecture (described here in full, so the count owes nothing to pdd's code): init conv k=5 (C·w → dim); time MLP
sinusoidal(dim) → Linear(dim, 4dim) → GELU → Linear(4dim, 4dim); per level two time-conditioned
ResBlocks (Block = conv k=3 + RMSNorm gain; FiLM Linear(4dim → 2·dout); 1×1 residual conv when
din ≠ dout), linear attention at the attention levels (LayerNorm gain, 1×1 qkv conv without bias
to 3·heads·dim_head, 1×1 output conv with bias), a k=5 down-sampling conv between levels; the
middle: ResBlock, full attention (LayerNorm gain, qkv Linear without bias, output Linear without
bias), ResBlock; the mirrored up path (ResBlock 2·d_out → d_in, ResBlock, attention, k=5 conv
after the ×2 up-sampling); the final ResBlock without time (2·dim → dim) and a 1×1 head conv
(dim → C) per output head.

Usage: param_count.py [lorenz96|kolmogorov] [--heads 1|2]; prints one JSON line per model.
"""

import json
import sys


def conv(din, dout, k, nd, bias=True):
    return din * dout * k**nd + (dout if bias else 0)


def linear(din, dout, bias=True):
    return din * dout + (dout if bias else 0)


def block(din, dout, nd):
    return conv(din, dout, 3, nd) + dout  # conv k=3 + RMSNorm gain


def resblock(din, dout, nd, temb=None):
    n = block(din, dout, nd) + block(dout, dout, nd)
    if temb is not None:
        n += linear(temb, 2 * dout)  # FiLM scale and shift
    if din != dout:
        n += conv(din, dout, 1, nd)
    return n


def lin_attn(d, heads, dim_head, nd):
    hidden = heads * dim_head
    return d + conv(d, 3 * hidden, 1, nd, bias=False) + conv(hidden, d, 1, nd)


def full_attn(d, heads, dim_head):
    hidden = heads * dim_head
    return d + linear(d, 3 * hidden, bias=False) + linear(hidden, d, bias=False)


def unet(channels, window, nd, mults, att, dim=32, heads=8, dim_head=32, out_heads=1):
    temb = 4 * dim
    dims = [dim] + [dim * m for m in mults]
    n = conv(channels * window, dim, 5, nd)  # init conv
    n += linear(dim, temb) + linear(temb, temb)  # time MLP
    levels = len(mults)
    for i in range(levels):  # down path
        n += resblock(dims[i], dims[i + 1], nd, temb) + resblock(dims[i + 1], dims[i + 1], nd, temb)
        if i in att:
            n += lin_attn(dims[i + 1], heads, dim_head, nd)
        if i < levels - 1:
            n += conv(dims[i + 1], dims[i + 1], 5, nd)
    mid = dims[-1]
    n += 2 * resblock(mid, mid, nd, temb) + full_attn(mid, heads, dim_head)
    for i in reversed(range(levels)):  # up path
        n += resblock(2 * dims[i + 1], dims[i], nd, temb) + resblock(dims[i], dims[i], nd, temb)
        if i in att:
            n += lin_attn(dims[i], heads, dim_head, nd)
        if i > 0:
            n += conv(dims[i], dims[i], 5, nd)
    n += resblock(2 * dim, dim, nd)  # final block, no time conditioning
    n += out_heads * conv(dim, channels, 1, nd)
    return n


MODELS = {
    # the paper presets' [model] sections on their data: C channels, window 5
    "lorenz96": dict(channels=2, window=5, nd=1, mults=[1, 2, 4, 4, 6], att=[4]),
    "kolmogorov": dict(channels=1, window=5, nd=2, mults=[1, 2, 4, 6], att=[3]),
}


def main(argv):
    heads = 1
    if "--heads" in argv:
        heads = int(argv[argv.index("--heads") + 1])
    names = [a for a in argv if a in MODELS] or list(MODELS)
    for name in names:
        print(json.dumps({"model": name, "heads": heads, "params": unet(**MODELS[name], out_heads=heads)}))


if __name__ == "__main__":
    main(sys.argv[1:])
