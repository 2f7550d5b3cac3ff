#!/usr/bin/python3
"""Makes DeepShark's test and benchmark models: ONNX exports with seeded random weights, their inputs,
PyTorch reference outputs, ONNX Runtime outputs, and a manifest.

    /usr/bin/python3 scripts/make_models.py                    # everything into build/models
    /usr/bin/python3 scripts/make_models.py --quick            # only the tiny test models
    /usr/bin/python3 scripts/make_models.py --only resnet50,gpt2_stack --force

For each model NAME it writes into the output folder:
    NAME.onnx                  opset 13 (constant folding on, eval mode)
    NAME.input_<in>.npy        seeded random input, realistic range
    NAME.ref_<out>.npy         PyTorch float32 output (the reference)
    NAME.ort_<out>.npy         ONNX Runtime output of the .onnx file (scripts/ort_run.js, 1 thread)
    NAME.meta.json             what the manifest says about this model
and rebuilds manifest.json from every *.meta.json (also those of scripts/ocr_inputs.py in ocr/).
A model whose files all exist is skipped unless --force. Weights are random (nothing pretrained can be
downloaded here) but seeded, so every run of this script makes the same bytes on the same torch build.
See docs/models.md.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")
OPSET = 13


def log(msg):
    print(msg, flush=True)


def sanitize(name):
    """File-name form of a tensor name; the same rule as ort_run.js and the deepshark CLI."""
    r = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "output" if r in ("", ".", "..") else r


# ---------------------------------------------------------------------------------------------------
# Helpers shared with ocr_inputs.py and bench/run_bench.py


def onnx_weight_bytes(path):
    """Bytes of initializers plus Constant-node tensors (some exporters keep weights as Constants)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    total = 0
    count = 0
    for t in m.graph.initializer:
        total += numpy_helper.to_array(t).nbytes
        count += 1
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    total += numpy_helper.to_array(a.t).nbytes
                    count += 1
    ops = sorted({n.op_type for n in m.graph.node})
    opset = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0)
    return total, count, ops, len(m.graph.node), opset


def run_ort(onnx_path, inputs, out_dir, threads=1):
    """Runs ort_run.js; inputs is {name: npy path}; returns {output name: npy path in out_dir}."""
    cmd = ["node", ORT_RUN, onnx_path, "--output-dir", out_dir, "--threads", str(threads), "--json"]
    for name, f in inputs.items():
        cmd += ["--input", f"{name}={f}"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"ort_run failed on {onnx_path}: {p.stderr.strip()}")
    rep = json.loads(p.stdout.strip().splitlines()[-1])
    return {name: o["file"] for name, o in rep["outputs"].items()}, rep


def max_abs_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, obj):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def write_manifest(out_dir):
    metas = sorted(glob.glob(os.path.join(out_dir, "*.meta.json")) +
                   glob.glob(os.path.join(out_dir, "*", "*.meta.json")))
    models = []
    for p in metas:
        with open(p) as f:
            m = json.load(f)
        # Paths in the manifest are relative to the manifest's folder.
        base = os.path.dirname(p)
        for key in ("onnx", "keys"):
            if key in m:
                m[key] = os.path.relpath(os.path.join(base, m[key]), out_dir)
        for group in ("inputs", "outputs"):
            for e in m[group]:
                for k in ("file", "ref", "ort"):
                    if k in e and e[k]:
                        e[k] = os.path.relpath(os.path.join(base, e[k]), out_dir)
        models.append(m)
    manifest = {
        "about": "DeepShark test/benchmark models; made by scripts/make_models.py and "
                 "scripts/ocr_inputs.py; see docs/models.md. Paths are relative to this file.",
        "models": models,
    }
    write_json(os.path.join(out_dir, "manifest.json"), manifest)
    return manifest


# ---------------------------------------------------------------------------------------------------
# Models


def seed_for(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def randomize_norms(model, torch, gen, calib_inputs=None):
    """Makes every BatchNorm/LayerNorm a non-trivial affine map with realistic statistics.

    BatchNorm running stats are first calibrated (train-mode forward on random inputs, cumulative
    average) so activations keep a sane scale through deep nets, then perturbed, and the affine
    parameters are randomised; LayerNorm affine parameters are randomised too.
    """
    import torch.nn as nn

    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if bns and calib_inputs is not None:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative moving average
        model.train()
        with torch.no_grad():
            for x in calib_inputs:
                model(x)
        model.eval()
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.running_mean.add_(0.05 * torch.randn(c, generator=gen))
            m.running_var.mul_(torch.empty(c).uniform_(0.8, 1.25, generator=gen))
            m.weight.copy_(torch.empty(c).uniform_(0.6, 1.4, generator=gen))
            m.bias.copy_(0.1 * torch.randn(c, generator=gen))
        for m in model.modules():
            if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.6, 1.4, generator=gen))
                m.bias.copy_(0.05 * torch.randn(m.bias.shape, generator=gen))


def image_input(torch, gen, shape):
    """A random 'photo' in [0,1], normalised with ImageNet mean/std (range about [-2.1, 2.6])."""
    x = torch.rand(shape, generator=gen)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def make_gpt_module(torch, d_model, n_heads, n_layers, seq, d_ff):
    """A GPT-2-style pre-LayerNorm decoder stack; input: token+position embeddings [1, T, d_model]."""
    import math

    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d_model)
            self.q = nn.Linear(d_model, d_model)
            self.k = nn.Linear(d_model, d_model)
            self.v = nn.Linear(d_model, d_model)
            self.proj = nn.Linear(d_model, d_model)
            self.ln2 = nn.LayerNorm(d_model)
            self.fc = nn.Linear(d_model, d_ff)
            self.act = nn.GELU()  # erf form: exports as Div, Erf, Add, Mul, Mul
            self.fc_out = nn.Linear(d_ff, d_model)
            self.dh = d_model // n_heads
            self.scale = 1.0 / math.sqrt(self.dh)

        def forward(self, x, mask):
            b, t, _ = x.shape
            h = self.ln1(x)
            q = self.q(h).reshape(b, t, n_heads, self.dh).transpose(1, 2)      # [b, H, t, dh]
            k = self.k(h).reshape(b, t, n_heads, self.dh).permute(0, 2, 3, 1)  # [b, H, dh, t]
            v = self.v(h).reshape(b, t, n_heads, self.dh).transpose(1, 2)      # [b, H, t, dh]
            att = torch.matmul(q, k) * self.scale + mask
            att = torch.softmax(att, dim=-1)
            y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d_model)
            x = x + self.proj(y)
            x = x + self.fc_out(self.act(self.fc(self.ln2(x))))
            return x

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block() for _ in range(n_layers)])
            self.ln_f = nn.LayerNorm(d_model)
            causal = torch.triu(torch.full((seq, seq), -1e9), diagonal=1)  # 0 on/below diagonal
            self.register_buffer("mask", causal.view(1, 1, seq, seq))

        def forward(self, x):
            for blk in self.blocks:
                x = blk(x, self.mask)
            return self.ln_f(x)

    m = Stack()
    # GPT-2 initialisation: N(0, 0.02) weights, zero biases, residual projections scaled down.
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("bias") and "ln" not in name:
                p.normal_(0.0, 0.02)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("proj.weight", "fc_out.weight")) \
                    else 0.02
                p.normal_(0.0, std)
    return m


def make_tiny_cnn(torch):
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2), nn.BatchNorm2d(8),  # a BN that export cannot fold into a Conv
        nn.Conv2d(8, 16, 3, padding=1, stride=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1, groups=4), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def make_tiny_mlp(torch):
    import torch.nn as nn

    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.Sigmoid(),
                         nn.Linear(128, 10), nn.Softmax(dim=-1))


# name -> (builder(torch) -> module, {input name: shape}, kind, notes)
def model_specs():
    import torchvision.models as tvm

    def tv(fn):
        return lambda torch: fn(weights=None)

    img = {"input": (1, 3, 224, 224)}
    return {
        "tiny_mlp": (make_tiny_mlp, {"input": (1, 64)}, "tiny", "Gemm/Relu/Sigmoid/Softmax"),
        "tiny_cnn": (make_tiny_cnn, {"input": (1, 3, 32, 32)}, "tiny",
                     "3 conv (one grouped; their BNs folded by export) + MaxPool + standalone BatchNormalization + GlobalAveragePool + Gemm"),
        "tiny_gpt": (lambda torch: make_gpt_module(torch, 64, 4, 2, 16, 256), {"input": (1, 16, 64)},
                     "tiny", "2-layer GPT-style decoder, d=64, 4 heads, T=16"),
        "squeezenet1_1": (tv(tvm.squeezenet1_1), img, "bench", "torchvision squeezenet1_1"),
        "mobilenet_v2": (tv(tvm.mobilenet_v2), img, "bench", "torchvision mobilenet_v2"),
        "resnet50": (tv(tvm.resnet50), img, "bench", "torchvision resnet50"),
        "vgg16": (tv(tvm.vgg16), img, "bench", "torchvision vgg16 (no BN)"),
        "vit_b_16": (tv(tvm.vit_b_16), img, "bench", "torchvision vit_b_16"),
        "gpt2_stack": (lambda torch: make_gpt_module(torch, 768, 12, 12, 128, 3072),
                       {"input": (1, 128, 768)}, "bench",
                       "12-layer GPT-2-small decoder stack, d=768, 12 heads, T=128, MLP 3072, "
                       "erf GELU, float embeddings in, final LayerNorm out, no LM head"),
    }


def make_input(torch, gen, name, in_name, shape):
    if name.endswith("gpt") or name.startswith("gpt"):
        # Token + position embeddings as GPT-2 has them: roughly N(0, 0.1) per feature.
        return (0.1 * torch.randn(shape, generator=gen)).contiguous()
    if len(shape) == 4:
        return image_input(torch, gen, shape)
    return torch.randn(shape, generator=gen)


def files_for(out_dir, name):
    return os.path.join(out_dir, name + ".onnx"), os.path.join(out_dir, name + ".meta.json")


def build_model(name, spec, out_dir, force):
    onnx_path, meta_path = files_for(out_dir, name)
    if not force and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        needed = [onnx_path] + [os.path.join(out_dir, e["file"]) for e in meta["inputs"]] + \
                 [os.path.join(out_dir, e[k]) for e in meta["outputs"] for k in ("ref", "ort")]
        if all(os.path.exists(p) for p in needed):
            log(f"[{name}] up to date (use --force to rebuild)")
            return meta

    import torch

    builder, in_shapes, kind, notes = spec
    seed = seed_for(name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    t0 = time.time()
    log(f"[{name}] building (seed {seed})")
    model = builder(torch)
    model.eval()
    # Zero-initialised parameters (ViT's head and class token, biases of VGG, SqueezeNet and
    # MobileNetV2) would hide bugs (a wrong bias or a dropped head still gives the right zeros).
    with torch.no_grad():
        for p in model.parameters():
            if not bool(p.any()):
                p.normal_(0.0, 0.02, generator=gen)
    calib = None
    if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        calib = [tuple(image_input(torch, gen, (4,) + tuple(s[1:])) for s in in_shapes.values())[0]
                 for _ in range(2)]
    randomize_norms(model, torch, gen, calib)
    model.eval()

    inputs = {n: make_input(torch, gen, name, n, s) for n, s in in_shapes.items()}
    # Grad mode stays on (parameters require grad) for the reference and the export: under no_grad,
    # nn.MultiheadAttention takes its fused fast path (aten::_native_multi_head_attention), which the
    # ONNX exporter of torch 1.13 cannot export. The math is the same; the graph is plain ops.
    ref = model(*inputs.values())
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    out_names = ["output"] if len(refs) == 1 else [f"output{i}" for i in range(len(refs))]

    t_export = time.time()
    tmp = onnx_path + ".tmp"
    used_opset = OPSET
    try:
        torch.onnx.export(model, tuple(inputs.values()), tmp, opset_version=OPSET,
                          do_constant_folding=True, input_names=list(inputs),
                          output_names=out_names, training=torch.onnx.TrainingMode.EVAL)
    except Exception as e:  # noqa: BLE001 - fall back once, then report
        log(f"[{name}] export at opset {OPSET} failed ({e}); trying opset 14")
        used_opset = 14
        torch.onnx.export(model, tuple(inputs.values()), tmp, opset_version=14,
                          do_constant_folding=True, input_names=list(inputs),
                          output_names=out_names, training=torch.onnx.TrainingMode.EVAL)
    os.replace(tmp, onnx_path)
    export_s = time.time() - t_export

    in_entries = []
    in_files = {}
    for n, x in inputs.items():
        f = f"{name}.input_{sanitize(n)}.npy"
        np.save(os.path.join(out_dir, f), x.numpy().astype(np.float32, copy=False))
        in_files[n] = os.path.join(out_dir, f)
        in_entries.append({"name": n, "file": f, "shape": list(x.shape), "dtype": "float32"})

    t_ort = time.time()
    ort_dir = os.path.join(out_dir, f".ort_{name}")
    os.makedirs(ort_dir, exist_ok=True)
    ort_files, _ = run_ort(onnx_path, in_files, ort_dir, threads=1)
    ort_s = time.time() - t_ort

    out_entries = []
    worst = 0.0
    for n, r in zip(out_names, refs):
        r = r.detach().numpy().astype(np.float32)
        rf = f"{name}.ref_{sanitize(n)}.npy"
        of = f"{name}.ort_{sanitize(n)}.npy"
        np.save(os.path.join(out_dir, rf), r)
        os.replace(ort_files[n], os.path.join(out_dir, of))
        o = np.load(os.path.join(out_dir, of))
        d = max_abs_diff(r, o)
        worst = max(worst, d)
        out_entries.append({"name": n, "ref": rf, "ort": of, "shape": list(r.shape),
                            "dtype": "float32", "ref_abs_max": float(np.max(np.abs(r))),
                            "ref_std": float(np.std(r)), "max_abs_torch_vs_ort": d})
    try:
        os.rmdir(ort_dir)
    except OSError:
        pass

    wbytes, wcount, ops, n_nodes, opset = onnx_weight_bytes(onnx_path)
    meta = {
        "name": name,
        "kind": kind,
        "notes": notes,
        "onnx": os.path.basename(onnx_path),
        "opset": opset,
        "seed": seed,
        "file_bytes": os.path.getsize(onnx_path),
        "weight_bytes": wbytes,
        "weight_tensors": wcount,
        "nodes": n_nodes,
        "ops": ops,
        "inputs": in_entries,
        "outputs": out_entries,
        "reference": "pytorch",
        "max_abs_torch_vs_ort": worst,
        "sha256": sha256_file(onnx_path),
        "torch_version": torch.__version__,
        "export_seconds": round(export_s, 2),
        "total_seconds": round(time.time() - t0, 2),
        "ort_seconds": round(ort_s, 2),
    }
    if used_opset != OPSET:
        meta["notes"] += f"; exported at opset {used_opset} (opset {OPSET} failed)"
    write_json(meta_path, meta)
    log(f"[{name}] done: {wbytes / 2**20:.1f} MiB weights, {n_nodes} nodes, export {export_s:.1f}s, "
        f"total {meta['total_seconds']:.1f}s, max|torch-ort| = {worst:.3g} "
        f"(output |max| {max(e['ref_abs_max'] for e in out_entries):.3g})")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--quick", action="store_true", help="only the tiny test models")
    ap.add_argument("--force", action="store_true", help="rebuild even if the files exist")
    ap.add_argument("--list", action="store_true", help="list the model names and exit")
    args = ap.parse_args()

    specs = model_specs()
    if args.list:
        for n, s in specs.items():
            print(f"{n:15s} {s[2]:6s} {s[3]}")
        return 0
    names = list(specs)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in specs]
        if bad:
            print(f"make_models: unknown model(s) {bad} (expected one of {list(specs)})", file=sys.stderr)
            return 2
    if args.quick:
        names = [n for n in names if specs[n][2] == "tiny"]
    os.makedirs(args.out, exist_ok=True)

    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    failed = []
    for n in names:
        try:
            build_model(n, specs[n], args.out, args.force)
        except Exception as e:  # noqa: BLE001 - report and continue with the others
            log(f"[{n}] FAILED: {e}")
            failed.append(n)
        write_manifest(args.out)
    log(f"manifest: {os.path.join(args.out, 'manifest.json')}")
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
