#!/usr/bin/python3
"""Generates the torch cross-check cases for the reference kernels (run once, outputs committed).

Each case <name> writes <name>_x.npy (input), optional <name>_w.npy / <name>_b.npy, <name>_y.npy
(torch's answer) and <name>_p.npy (int64 parameters, layout per family, documented below and
mirrored in ref_torch_crosscheck_test.cc). Sizes are small, odd and prime on purpose.

    /usr/bin/python3 tests/unit/kernels_ref/data/make_ref_cases.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240613)


def save(name, **arrays):
    for k, v in arrays.items():
        np.save(os.path.join(OUT, f"{name}_{k}.npy"), v)


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


# conv: p = [group, sh, sw, dh, dw, pad_top, pad_left, pad_bottom, pad_right]
CONV = {
    "conv_basic": ((1, 3, 7, 7), 5, (3, 3), 1, (1, 1), (1, 1), (1, 1, 1, 1)),
    "conv_groups_asym": ((2, 4, 11, 13), 6, (3, 2), 2, (2, 1), (1, 2), (0, 1, 2, 0)),
    "conv_depthwise_dil": ((1, 6, 9, 7), 6, (5, 5), 6, (2, 2), (2, 2), (2, 2, 2, 2)),
    "conv_prime": ((1, 5, 13, 17), 7, (3, 5), 1, (3, 2), (1, 1), (2, 0, 1, 3)),
}
for name, (xs, m, k, g, s, d, p) in CONV.items():
    x = rand(*xs)
    w = rand(m, xs[1] // g, *k)
    b = rand(m)
    xp = F.pad(torch.from_numpy(x), (p[1], p[3], p[0], p[2]))  # (left, right, top, bottom)
    y = F.conv2d(xp, torch.from_numpy(w), torch.from_numpy(b), stride=s, dilation=d, groups=g).numpy()
    save(name, x=x, w=w, b=b, y=y, p=np.array([g, *s, *d, *p], dtype=np.int64))

# conv_transpose: p = [group, sh, sw, dh, dw, ph, pw, oph, opw] (symmetric pads)
CONVT = {
    "convt_groups": ((1, 4, 5, 5), 3, (3, 3), 2, (2, 2), (1, 1), (1, 1), (1, 1)),
    "convt_mixed": ((2, 3, 4, 7), 2, (2, 3), 1, (3, 2), (2, 1), (0, 1), (1, 0)),
    "convt_prime": ((1, 2, 7, 3), 5, (5, 3), 1, (1, 3), (1, 1), (2, 1), (0, 2)),
}
for name, (xs, mg, k, g, s, d, p, op) in CONVT.items():
    x = rand(*xs)
    w = rand(xs[1], mg, *k)
    b = rand(mg * g)
    y = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=s,
                           padding=p, output_padding=op, groups=g, dilation=d).numpy()
    save(name, x=x, w=w, b=b, y=y, p=np.array([g, *s, *d, *p, *op], dtype=np.int64))

# maxpool: p = [kh, kw, sh, sw, dh, dw, ph, pw, ceil_mode]
MAXP = {
    "maxpool_basic": ((1, 3, 10, 11), (3, 3), (2, 2), (1, 1), (1, 1), 0),
    "maxpool_dil_ceil": ((2, 2, 9, 8), (3, 2), (2, 3), (2, 1), (1, 0), 1),
    "maxpool_ceil": ((1, 1, 7, 7), (2, 2), (2, 2), (1, 1), (0, 0), 1),
}
for name, (xs, k, s, d, p, c) in MAXP.items():
    x = rand(*xs)
    y = F.max_pool2d(torch.from_numpy(x), k, s, p, d, ceil_mode=bool(c)).numpy()
    save(name, x=x, y=y, p=np.array([*k, *s, *d, *p, c], dtype=np.int64))

# avgpool: p = [kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad]
AVGP = {
    "avgpool_incl_pad": ((1, 3, 10, 11), (3, 3), (2, 2), (1, 1), 0, 1),
    "avgpool_ceil_excl": ((2, 2, 9, 8), (3, 2), (2, 3), (1, 1), 1, 0),
    "avgpool_ceil_incl": ((1, 2, 7, 7), (3, 3), (2, 2), (1, 1), 1, 1),
}
for name, (xs, k, s, p, c, cip) in AVGP.items():
    x = rand(*xs)
    y = F.avg_pool2d(torch.from_numpy(x), k, s, p, ceil_mode=bool(c), count_include_pad=bool(cip)).numpy()
    save(name, x=x, y=y, p=np.array([*k, *s, *p, c, cip], dtype=np.int64))

# layernorm: p = [axis]; w and b have the normalised shape.
LN = {"layernorm_last": ((3, 17), -1), "layernorm_two_axes": ((2, 3, 5, 7), -2)}
for name, (xs, axis) in LN.items():
    x = rand(*xs) * 3 + 0.5
    ns = xs[axis:]
    w, b = rand(*ns), rand(*ns)
    y = F.layer_norm(torch.from_numpy(x), ns, torch.from_numpy(w), torch.from_numpy(b), eps=1e-5).numpy()
    save(name, x=x, w=w, b=b, y=y, p=np.array([axis], dtype=np.int64))

# resize: p = [mode (0 nearest, 1 linear), ctm (0 asymmetric, 1 half_pixel, 2 align_corners,
# 3 pytorch_half_pixel), nearest_mode (0 floor, 1 round_prefer_ceil), out_h, out_w]
RESIZE = {
    "resize_nearest_up": ((1, 2, 5, 7), (8, 11), "nearest", None, (0, 0, 0)),
    "resize_nearest_exact_down": ((1, 2, 9, 8), (4, 5), "nearest-exact", None, (0, 1, 1)),
    "resize_linear_up": ((1, 2, 5, 7), (8, 11), "bilinear", False, (1, 3, 0)),
    "resize_linear_down": ((2, 1, 9, 8), (4, 5), "bilinear", False, (1, 1, 0)),
    "resize_linear_align": ((1, 2, 5, 7), (9, 4), "bilinear", True, (1, 2, 0)),
}
for name, (xs, size, mode, ac, codes) in RESIZE.items():
    x = rand(*xs)
    y = F.interpolate(torch.from_numpy(x), size=size, mode=mode, align_corners=ac).numpy()
    save(name, x=x, y=y, p=np.array([*codes, *size], dtype=np.int64))

total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".npy"))
print(f"wrote cases to {OUT}: {total} bytes of .npy")
