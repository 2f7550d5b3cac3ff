#!/usr/bin/env python3
"""ONNX Runtime reference outputs for the ../shared/models files that ship without them.

For each UltraFace ONNX variant, runs ONNX Runtime (scripts/ort_run.js) on the RFB-320 test input
(test_data 1 and 2) and writes build/models/shared_refs/<model>/<set>/{input.npy,<output>.npy}.
Idempotent; prints what it does; exits 0 with a note when ../shared/models is absent.

  /usr/bin/python3 scripts/make_shared_refs.py [--out build/models/shared_refs]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))
MODELS = ["version-RFB-320", "version-RFB-320_without_postprocessing", "version-slim-320",
          "version-slim-320_without_postprocessing"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "models", "shared_refs"))
    args = ap.parse_args()
    if not os.path.isdir(SHARED):
        print("make_shared_refs: ../shared/models is absent; nothing to do")
        return 0
    for model in MODELS:
        for ds in ("1", "2"):
            out = os.path.join(args.out, model, ds)
            if os.path.exists(os.path.join(out, "done")):
                continue
            os.makedirs(out, exist_ok=True)
            t = onnx.TensorProto()
            with open(os.path.join(SHARED, "ultraface/onnx/version-RFB-320.test_data", ds, "input_0.pb"), "rb") as f:
                t.ParseFromString(f.read())
            x = numpy_helper.to_array(t).astype(np.float32)
            np.save(os.path.join(out, "input.npy"), x)
            cmd = ["node", os.path.join(ROOT, "scripts", "ort_run.js"),
                   os.path.join(SHARED, "ultraface/onnx", model + ".onnx"),
                   "--input", "input=" + os.path.join(out, "input.npy"), "--output-dir", out]
            print("make_shared_refs:", model, "set", ds, flush=True)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            open(os.path.join(out, "done"), "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
