#!/usr/bin/python3
"""Seed corpora for the fuzz targets (fuzz/, scripts/fuzz.sh), generated into OUT_DIR (not checked in).

  fuzz_seeds.py OUT_DIR [--deepshark build/release/deepshark]

OUT_DIR/<target>/ for each target of fuzz/fuzz_target.h:
  onnx_import   tests/corpus/onnx, the small generated models (build/models, <= 256 KiB), mnist-8 from
                ../shared/models when present, and ONNX's own node test cases (python3-onnx) for the
                ops DeepShark supports: each single-op model once with graph inputs and once with its
                test inputs as initializers, so that prepare folds it with the reference kernels
  caffe_text    tests/corpus/caffe and build/models/caffe prototxts, the MNIST prototxts, and one tiny
                net per supported layer type with its blobs inline (text form), V1 `layers` form too
  caffe_binary  the same tiny nets as split inputs [u16 prototxt len][u16 mean len][prototxt][mean]
                [caffemodel] (fuzz/caffe_binary.cc)
  tf_import     tests/corpus/tf and one tiny NHWC GraphDef per supported op
  dsk_open_run  tiny models packed by `deepshark pack` (1 thread, as the target runs them) at two
                slice limits; skipped with a note when the CLI is not built
  cli_args      command lines (arguments separated by NUL) from the README and the usage text

Run with Debian's /usr/bin/python3 (numpy, onnx, protobuf). Idempotent.
"""
import argparse
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models")


def supported_onnx_ops():
    text = open(os.path.join(ROOT, "src/graph/op_list.h")).read()
    body = text[text.index("#define DS_OPS(X)"):text.index("enum class OpType")]
    return set(re.findall(r"X\((\w+)\)", body))


def copy_files(pattern, out, max_bytes=1 << 20):
    n = 0
    for f in sorted(glob.glob(pattern)):
        if os.path.isfile(f) and os.path.getsize(f) <= max_bytes:
            shutil.copy(f, os.path.join(out, os.path.basename(f)))
            n += 1
    return n


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---------------------------------------------------------------------------------------------
# ONNX

def onnx_node_cases():
    """ONNX's node test cases (model + input data), for the ops in op_list.h."""
    for alias, t in (("float", float), ("int", int), ("bool", bool), ("object", object)):
        if alias not in np.__dict__:
            setattr(np, alias, t)  # the test case modules of onnx 1.12 use removed numpy aliases
    import warnings
    warnings.simplefilter("ignore")
    from onnx.backend.test.case import node
    ops = supported_onnx_ops()
    for case in node.collect_testcases(None):
        if case.model is None or not all(n.op_type in ops for n in case.model.graph.node):
            continue
        yield case


def inputs_as_initializers(case):
    """The case's model with its first data set's inputs turned into initializers (or None)."""
    import onnx
    from onnx import numpy_helper
    if not case.data_sets:
        return None
    inputs, _ = case.data_sets[0]
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    g = m.graph
    names = [i.name for i in g.input]
    if len(inputs) != len(names) or sum(np.asarray(x).nbytes for x in inputs) > 64 << 10:
        return None
    for name, value in zip(names, inputs):
        arr = np.asarray(value)
        if arr.dtype == object:
            return None
        g.initializer.append(numpy_helper.from_array(arr, name))
    del g.input[:]
    return m.SerializeToString()


def onnx_seeds(out):
    n = copy_files(os.path.join(ROOT, "tests/corpus/onnx/*.onnx"), out)
    n += copy_files(os.path.join(ROOT, "build/models/*.onnx"), out, 256 << 10)
    n += copy_files(os.path.join(SHARED, "mnist/onnx/*.onnx"), out, 256 << 10)
    for case in onnx_node_cases():
        write(out, case.name + ".onnx", case.model.SerializeToString())
        folded = inputs_as_initializers(case)
        n += 1
        if folded is not None:
            write(out, case.name + "_const.onnx", folded)
            n += 1
    return n


# ---------------------------------------------------------------------------------------------
# Caffe

def caffe_nets():
    """(name, deploy NetParameter, weights NetParameter) per tiny net."""
    from make_caffe_models import pb
    rng = np.random.default_rng(0)

    def blob(*shape):
        b = pb.BlobProto()
        b.shape.dim.extend(shape)
        b.data.extend(rng.uniform(-1, 1, int(np.prod(shape))).astype(np.float32).tolist())
        return b

    def net(name, layer_type, blobs=(), bottoms=("data",), tops=None, setup=None, shape=(1, 3, 6, 6)):
        deploy = pb.NetParameter(name=name)
        inp = deploy.layer.add(name="data", type="Input")
        inp.top.append("data")
        inp.input_param.shape.add().dim.extend(shape)
        l = deploy.layer.add(name=name, type=layer_type)
        l.bottom.extend(bottoms)
        l.top.extend(tops or [name])
        if setup:
            setup(l)
        weights = pb.NetParameter(name=name)
        w = weights.layer.add(name=name, type=layer_type)
        for b in blobs:
            w.blobs.add().CopyFrom(b)
        return name, deploy, weights

    def conv(l):
        p = l.convolution_param
        p.num_output, p.bias_term = 4, True
        p.kernel_size.append(3)
        p.pad.append(1)

    def deconv(l):
        p = l.convolution_param
        p.num_output, p.bias_term = 2, True
        p.kernel_size.append(2)
        p.stride.append(2)

    def grouped(l):
        p = l.convolution_param
        p.num_output, p.bias_term, p.group = 3, False, 3
        p.kernel_size.append(3)
        p.stride.append(2)
        p.dilation.append(1)

    def pool_max(l):
        l.pooling_param.pool = pb.PoolingParameter.MAX
        l.pooling_param.kernel_size.append(3)
        l.pooling_param.stride.append(2)

    def pool_global(l):
        l.pooling_param.pool = pb.PoolingParameter.AVE
        l.pooling_param.global_pooling = True

    def set_attr(path, value):
        def f(l):
            obj = l
            for p in path[:-1]:
                obj = getattr(obj, p)
            field = getattr(obj, path[-1])
            if isinstance(value, list):
                field.extend(value)
            else:
                setattr(obj, path[-1], value)
        return f

    def reshape(l):
        l.reshape_param.shape.dim.extend([0, -1])

    def eltwise(op, coeffs=()):
        def f(l):
            l.eltwise_param.operation = op
            l.eltwise_param.coeff.extend(coeffs)
        return f

    def scale(l):
        l.scale_param.bias_term = True

    return [
        net("conv", "Convolution", [blob(4, 3, 3, 3), blob(4)], setup=conv),
        net("conv_group", "Convolution", [blob(3, 1, 3, 3)], setup=grouped),
        net("deconv", "Deconvolution", [blob(3, 2, 2, 2), blob(2)], setup=deconv),
        net("pool_max", "Pooling", setup=pool_max),
        net("pool_global", "Pooling", setup=pool_global),
        net("ip", "InnerProduct", [blob(5, 108), blob(5)], setup=set_attr(["inner_product_param", "num_output"], 5)),
        net("lrn", "LRN", setup=set_attr(["lrn_param", "local_size"], 3)),
        net("relu", "ReLU", setup=set_attr(["relu_param", "negative_slope"], 0.1)),
        net("prelu", "PReLU", [blob(3)]),
        net("sigmoid", "Sigmoid"),
        net("tanh", "TanH"),
        net("power", "Power", setup=set_attr(["power_param", "power"], 2.0)),
        net("softmax", "Softmax"),
        net("bn", "BatchNorm", [blob(3), blob(3), blob(1)]),
        net("scale", "Scale", [blob(3), blob(3)], setup=scale),
        net("dropout", "Dropout"),
        net("eltwise_sum", "Eltwise", bottoms=["data", "data"], setup=eltwise(pb.EltwiseParameter.SUM, [1.0, -1.0])),
        net("eltwise_prod", "Eltwise", bottoms=["data", "data"], setup=eltwise(pb.EltwiseParameter.PROD)),
        net("eltwise_max", "Eltwise", bottoms=["data", "data"], setup=eltwise(pb.EltwiseParameter.MAX)),
        net("concat", "Concat", bottoms=["data", "data"]),
        net("flatten", "Flatten"),
        net("reshape", "Reshape", setup=reshape),
        net("permute", "Permute", setup=set_attr(["permute_param", "order"], [0, 2, 3, 1])),
        net("slice", "Slice", tops=["s0", "s1"], setup=set_attr(["slice_param", "slice_point"], [1])),
        net("split", "Split", tops=["a", "b"]),
    ]


def with_blobs(deploy, weights):
    """The deploy net carrying the weights' blobs (a prototxt may hold its own blobs)."""
    from make_caffe_models import pb
    full = pb.NetParameter()
    full.CopyFrom(deploy)
    blobs = {l.name: l.blobs for l in weights.layer}
    for l in full.layer:
        for b in blobs.get(l.name, []):
            l.blobs.add().CopyFrom(b)
    return full


def v1_net():
    """A legacy V1 (`layers`) net: input_dim form, CONVOLUTION, RELU, POOLING, INNER_PRODUCT."""
    return """name: "v1"
input: "data"
input_dim: 1
input_dim: 1
input_dim: 8
input_dim: 8
layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
  convolution_param { num_output: 2 kernel_size: 3 bias_term: false }
  blobs { num: 2 channels: 1 height: 3 width: 3 data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0] } }
layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
layers { name: "pool" type: POOLING bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layers { name: "ip" type: INNER_PRODUCT bottom: "pool" top: "ip" inner_product_param { num_output: 2 bias_term: false }
  blobs { num: 1 channels: 1 height: 2 width: 18 data: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0,
                                                        0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1] } }
layers { name: "prob" type: SOFTMAX bottom: "ip" top: "prob" }
"""


def split_input(prototxt, caffemodel=b"", mean=b""):
    p = prototxt.encode() if isinstance(prototxt, str) else prototxt
    return struct.pack("<HH", len(p), len(mean)) + p + mean + caffemodel


def caffe_seeds(text_out, bin_out):
    from google.protobuf import text_format
    from make_caffe_models import pb
    n = copy_files(os.path.join(ROOT, "tests/corpus/caffe/*.prototxt"), text_out)
    n += copy_files(os.path.join(ROOT, "build/models/caffe/*.prototxt"), text_out)
    n += copy_files(os.path.join(SHARED, "mnist/caffe/*.prototxt"), text_out)
    write(text_out, "v1.prototxt", v1_net())
    write(bin_out, "v1.bin", split_input(v1_net()))
    mean = pb.BlobProto()
    mean.shape.dim.extend([1, 3, 6, 6])
    mean.data.extend(np.linspace(0, 1, 108).astype(np.float32).tolist())
    for name, deploy, weights in caffe_nets():
        write(text_out, name + ".prototxt", text_format.MessageToString(with_blobs(deploy, weights)))
        proto = text_format.MessageToString(deploy)
        write(bin_out, name + ".bin", split_input(proto, weights.SerializeToString()))
        n += 2
    name, deploy, weights = caffe_nets()[0]
    write(bin_out, "conv_mean.bin", split_input(text_format.MessageToString(deploy), weights.SerializeToString(),
                                                mean.SerializeToString()))
    truncated = os.path.join(ROOT, "tests/corpus/caffe/truncated.caffemodel")
    lenet = os.path.join(SHARED, "mnist/caffe/deploy.prototxt")
    if os.path.exists(lenet):
        with open(lenet) as f, open(truncated, "rb") as t:
            write(bin_out, "lenet_truncated.bin", split_input(f.read(), t.read()[:60000]))
    return n + 1


# ---------------------------------------------------------------------------------------------
# TensorFlow

def tf_graphs():
    from make_tf_models import T_FLOAT, Builder, pb
    rng = np.random.default_rng(0)

    def r(*shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    def i32(v):
        return np.array(v, np.int32)

    def graph(build):
        b = Builder()
        x = b.node("Placeholder", [], "x", dtype=T_FLOAT, shape=("shape", [1, 6, 6, 3]))
        build(b, x)
        return b.g.SerializeToString()

    def unary(op):
        return lambda b, x: b.node(op, [x], op.lower(), T=T_FLOAT)

    def binary(op):
        return lambda b, x: b.node(op, [x, b.const(r(3), "c")], op.lower(), T=T_FLOAT)

    def conv(b, x):
        y = b.node("Conv2D", [x, b.const(r(3, 3, 3, 4), "w")], "conv", T=T_FLOAT, strides=[1, 1, 1, 1], padding="SAME",
                   data_format="NHWC")
        b.node("BiasAdd", [y, b.const(r(4), "bias")], "bias_add", T=T_FLOAT, data_format="NHWC")

    def conv_valid(b, x):
        b.node("Conv2D", [x, b.const(r(2, 2, 3, 2), "w")], "conv", T=T_FLOAT, strides=[1, 2, 2, 1], padding="VALID",
               dilations=[1, 1, 1, 1], data_format="NHWC")

    def depthwise(b, x):
        b.node("DepthwiseConv2dNative", [x, b.const(r(3, 3, 3, 1), "w")], "dw", T=T_FLOAT, strides=[1, 1, 1, 1],
               padding="SAME", data_format="NHWC")

    def pool(op, padding):
        return lambda b, x: b.node(op, [x], "pool", T=T_FLOAT, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                                   padding=padding, data_format="NHWC")

    def fused_bn(op):
        return lambda b, x: b.node(op, [x] + [b.const(r(3), k) for k in ("gamma", "beta", "mean")] +
                                   [b.const(np.abs(r(3)) + 0.5, "var")], "bn", T=T_FLOAT, epsilon=0.001,
                                   is_training=False, data_format="NHWC")

    def dilated(b, x):
        s = b.node("SpaceToBatchND", [x, b.const(i32([2, 2]), "block"), b.const(i32([[2, 2], [2, 2]]), "pads")], "s2b",
                   T=T_FLOAT)
        c = b.node("Conv2D", [s, b.const(r(3, 3, 3, 2), "w")], "conv", T=T_FLOAT, strides=[1, 1, 1, 1], padding="VALID",
                   data_format="NHWC")
        b.node("BatchToSpaceND", [c, b.const(i32([2, 2]), "block2"), b.const(i32([[0, 0], [0, 0]]), "crops")], "b2s",
               T=T_FLOAT)

    def matmul(b, x):
        y = b.node("Reshape", [x, b.const(i32([1, 108]), "shape")], "flatten", T=T_FLOAT)
        y = b.node("MatMul", [y, b.const(r(108, 5), "w")], "fc", T=T_FLOAT, transpose_a=False, transpose_b=False)
        b.node("Softmax", [y], "prob", T=T_FLOAT)

    def reduce(op):
        return lambda b, x: b.node(op, [x, b.const(i32([1, 2]), "axes")], op.lower(), T=T_FLOAT, keep_dims=False)

    def squeeze(b, x):
        y = b.node("Mean", [x, b.const(i32([1, 2]), "axes")], "gap", T=T_FLOAT, keep_dims=True)
        y = b.node("Squeeze", [y], "squeeze", T=T_FLOAT, squeeze_dims=[1, 2])
        b.node("ExpandDims", [y, b.const(i32(1), "dim")], "expand", T=T_FLOAT)

    def concat(b, x):
        b.node("ConcatV2", [x, x, b.const(i32(3), "axis")], "concat", T=T_FLOAT, N=2)

    def pad(op):
        def f(b, x):
            ins = [x, b.const(i32([[0, 0], [1, 1], [2, 0], [0, 0]]), "paddings")]
            if op == "PadV2":
                ins.append(b.const(np.array(0.5, np.float32), "value"))
            b.node(op, ins, "pad", T=T_FLOAT)
        return f

    def dynamic_reshape(b, x):
        shape = b.node("Shape", [x], "shape", T=T_FLOAT, out_type=("type", pb.DT_INT32))
        batch = b.node("StridedSlice", [shape, b.const(i32([0]), "begin"), b.const(i32([1]), "end"),
                                        b.const(i32([1]), "strides")], "batch", T=("type", pb.DT_INT32),
                       Index=("type", pb.DT_INT32), begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                       shrink_axis_mask=0)
        # (Builder.const makes 0-d arrays 1-d: a [1] batch and a [1] -1 concatenate to the new shape.)
        shape2 = b.node("ConcatV2", [batch, b.const(i32([-1]), "minus_one"), b.const(i32(0), "axis")], "new_shape",
                        T=("type", pb.DT_INT32), N=2)
        b.node("Reshape", [x, shape2], "reshape", T=T_FLOAT, Tshape=("type", pb.DT_INT32))

    def cast(b, x):
        y = b.node("Cast", [x], "to_int", SrcT=T_FLOAT, DstT=("type", pb.DT_INT32))
        b.node("Cast", [y], "to_float", SrcT=("type", pb.DT_INT32), DstT=T_FLOAT)

    def dequantize(b, x):
        t = pb.TensorProto(dtype=pb.DT_QUINT8)
        t.tensor_shape.dim.add().size = 3
        t.tensor_content = bytes([0, 128, 255])
        q = b.node("Const", [], "q", dtype=("type", pb.DT_QUINT8))
        b.g.node[-1].attr["value"].tensor.CopyFrom(t)
        lo, hi = b.const(np.array(-1, np.float32), "lo"), b.const(np.array(1, np.float32), "hi")
        d = b.node("Dequantize", [q, lo, hi], "deq", T=("type", pb.DT_QUINT8), mode="MIN_COMBINED")
        b.node("Mul", [x, d], "mul", T=T_FLOAT)

    def aliases(b, x):
        y = b.node("Identity", [x], "id", T=T_FLOAT)
        y = b.node("StopGradient", [y], "stop", T=T_FLOAT)
        y = b.node("Snapshot", [y], "snap", T=T_FLOAT)
        b.node("NoOp", ["^" + y], "noop")
        b.node("Relu", [y], "out", T=T_FLOAT)

    graphs = {
        "conv": conv, "conv_valid": conv_valid, "depthwise": depthwise, "maxpool_valid": pool("MaxPool", "VALID"),
        "avgpool_same": pool("AvgPool", "SAME"), "fused_bn": fused_bn("FusedBatchNorm"),
        "fused_bn_v3": fused_bn("FusedBatchNormV3"), "dilated": dilated, "matmul_softmax": matmul,
        "sum": reduce("Sum"), "mean": reduce("Mean"), "squeeze_expand": squeeze, "concat": concat,
        "pad": pad("Pad"), "padv2": pad("PadV2"), "dynamic_reshape": dynamic_reshape, "cast": cast,
        "dequantize": dequantize, "aliases": aliases,
    }
    for op in ("Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "Square", "Rsqrt"):
        graphs[op.lower()] = unary(op)
    for op in ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"):
        graphs[op.lower()] = binary(op)
    return {name: graph(f) for name, f in graphs.items()}


def tf_seeds(out):
    n = copy_files(os.path.join(ROOT, "tests/corpus/tf/*.pb"), out)
    for name, data in tf_graphs().items():
        write(out, name + ".pb", data)
        n += 1
    return n


# ---------------------------------------------------------------------------------------------
# .dsk and command lines

def dsk_seeds(out, deepshark, onnx_dir):
    if not deepshark or not os.access(deepshark, os.X_OK):
        print("fuzz_seeds: NOTE: no deepshark CLI (%s): dsk_open_run gets no packed seeds" % deepshark)
        return 0
    models = [os.path.join(ROOT, "build/models", m) for m in ("tiny_cnn.onnx", "tiny_mlp.onnx")]
    models += [os.path.join(SHARED, "mnist/onnx/mnist-8.onnx")]
    models += [os.path.join(onnx_dir, m) for m in ("test_conv_with_strides_padding_const.onnx",
                                                     "test_gemm_default_matrix_bias_const.onnx",
                                                     # oneDNN's nearest resampling and sub-memory Slice
                                                     "test_resize_upsample_scales_nearest_const.onnx",
                                                     "test_resize_upsample_sizes_nearest_const.onnx",
                                                     "test_slice_const.onnx")]
    n = 0
    for m in models:
        if not os.path.exists(m):
            continue
        for limit in ("2MiB", "4KiB"):
            dst = os.path.join(out, "%s_%s.dsk" % (os.path.basename(m)[:-5], limit))
            r = subprocess.run([deepshark, "pack", m, "-o", dst, "--threads", "1", "--slice-limit", limit],
                               capture_output=True, text=True)
            if r.returncode == 0:
                n += 1
            else:
                print("fuzz_seeds: pack %s: %s" % (m, r.stderr.strip()))
    return n


CLI_LINES = [
    "run model.onnx --input x=x.npy --output-dir out/ --threads 2",
    "inspect model.onnx --json --shape input=1x3x224x224",
    "pack model.onnx -o model.dsk --threads 2 --slice-limit 2MiB --shape x=1x3x8x8",
    "run model.dsk --memory 64MiB --prefetch 2 --input x=x.npy --report --plan --no-direct-io",
    "run model.dsk --latency 12.5 --random-inputs --repeat 5 --warmup 1 --kernels --profile",
    "run model.dsk --balance 0.25 --profile dev.json --report-json r.json --reference",
    "plan model.dsk --memory 1.5GiB --threads 2 --json --timeline t.svg",
    "plan model.dsk --sweep --svg curve.svg --planner greedy",
    "profile -o profile.json --dir . --model model.dsk --threads 2",
    "run net.prototxt --weights net.caffemodel --mean mean.binaryproto --input data=x.npy",
    "plan model.dsk --dump-input in.txt",
    "help",
    "run model.dsk --memory 18446744073709551615B",
    "inspect m.onnx --shape a=99999999999x99999999999x9",
]


def cli_seeds(out):
    for i, line in enumerate(CLI_LINES):
        write(out, "line%02d" % i, "\0".join(line.split(" ")).encode())
    for i, size in enumerate(["64MiB", "1.5GiB", "0.001KB", "4096B", "7GB", "1e3MiB", "18446744073709551616B"]):
        write(out, "size%02d" % i, size)
    return len(CLI_LINES) + 7


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--deepshark", default=os.path.join(ROOT, "build/release/deepshark"))
    a = ap.parse_args()
    targets = re.findall(r"^  X\((\w+)\)", open(os.path.join(ROOT, "fuzz/fuzz_target.h")).read(), re.M)
    dirs = {t: os.path.join(a.out, t) for t in targets}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    counts = {
        "onnx_import": onnx_seeds(dirs["onnx_import"]),
        "caffe_text": None,
        "tf_import": tf_seeds(dirs["tf_import"]),
        "cli_args": cli_seeds(dirs["cli_args"]),
    }
    caffe_seeds(dirs["caffe_text"], dirs["caffe_binary"])
    counts["caffe_text"] = len(os.listdir(dirs["caffe_text"]))
    counts["caffe_binary"] = len(os.listdir(dirs["caffe_binary"]))
    counts["dsk_open_run"] = dsk_seeds(dirs["dsk_open_run"], a.deepshark, dirs["onnx_import"])
    for t, n in counts.items():
        print("fuzz_seeds: %-13s %4d seeds in %s" % (t, n, dirs[t]))


if __name__ == "__main__":
    main()
