#!/usr/bin/python3
"""TensorFlow frozen GraphDefs for DeepShark's tests, written WITHOUT TensorFlow.

The GraphDef messages come from DeepShark's own schema (src/import/tf/tf_graph.proto) compiled with
`protoc --python_out` into the build folder. Two jobs:

  make_tf_models.py corpus OUT_DIR        hand-made corrupt GraphDefs (tests/corpus/tf)
  make_tf_models.py models OUT_DIR [--only vgg16,resnet50,mobilenet_v2]
      VGG-16, ResNet-50 and MobileNetV2 with seeded torchvision weights as NHWC frozen graphs
      (filters HWIO, depthwise H,W,C,1), one input image (NHWC .npy), and reference outputs from
      the torch model (<name>.ref_torch.npy) and from OpenCV DNN (<name>.ref_opencv.npy).

Run with Debian's /usr/bin/python3 (torch, torchvision, cv2, numpy, protobuf).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from torchvision_zoo import seeded_net


def load_schema():
    out = os.path.join(tempfile.gettempdir(), "deepshark_tf_proto_py")
    os.makedirs(out, exist_ok=True)
    subprocess.check_call(["protoc", "--python_out=" + out, "-I", os.path.join(ROOT, "src/import/tf"), "tf_graph.proto"])
    sys.path.insert(0, out)
    import tf_graph_pb2
    return tf_graph_pb2


pb = load_schema()


class Builder:
    def __init__(self):
        self.g = pb.GraphDef()
        self.g.versions.producer = 27
        self.count = {}

    def name(self, base):
        k = self.count.get(base, 0)
        self.count[base] = k + 1
        return base if k == 0 else "%s_%d" % (base, k)

    def node(self, op, inputs, name=None, **attrs):
        n = self.g.node.add()
        n.name = self.name(name or op)
        n.op = op
        n.input.extend(inputs)
        for k, v in attrs.items():
            a = n.attr[k]
            if isinstance(v, bool):
                a.b = v
            elif isinstance(v, int):
                a.i = v
            elif isinstance(v, float):
                a.f = v
            elif isinstance(v, str):
                a.s = v.encode()
            elif isinstance(v, list):
                a.list.i.extend(v)
            elif isinstance(v, tuple) and v[0] == "type":
                a.type = v[1]
            elif isinstance(v, tuple) and v[0] == "shape":
                for d in v[1]:
                    a.shape.dim.add().size = d
            else:
                raise ValueError(k)
        return n.name

    def const(self, arr, name="Const"):
        arr = np.ascontiguousarray(arr)
        t = pb.TensorProto()
        t.dtype = {np.dtype("float32"): pb.DT_FLOAT, np.dtype("int32"): pb.DT_INT32}[arr.dtype]
        for d in arr.shape:
            t.tensor_shape.dim.add().size = d
        t.tensor_content = arr.tobytes()
        n = self.node("Const", [], name, dtype=("type", t.dtype))
        self.g.node[-1].attr["value"].tensor.CopyFrom(t)
        return n


T_FLOAT = ("type", pb.DT_FLOAT)


# ---------------------------------------------------------------------------------------------
# torch -> NHWC GraphDef

def conv(b, x, m, name):
    """A torch Conv2d as TF ops: SAME where it matches torch's symmetric padding, else Pad + VALID."""
    w = m.weight.detach().numpy()
    k, s, p, groups = m.kernel_size[0], m.stride[0], m.padding[0], m.groups
    if p > 0 and not (s == 1 and k == 2 * p + 1):
        x = b.node("Pad", [x, b.const(np.array([[0, 0], [p, p], [p, p], [0, 0]], np.int32), name + "/paddings")],
                   name + "/pad", T=T_FLOAT)
        padding = "VALID"
    else:
        padding = "SAME" if p > 0 else "VALID"
    if groups == 1:
        f = b.const(w.transpose(2, 3, 1, 0), name + "/weights")  # OIHW -> HWIO
        y = b.node("Conv2D", [x, f], name, T=T_FLOAT, strides=[1, s, s, 1], padding=padding, data_format="NHWC")
    else:
        assert groups == w.shape[0] and w.shape[1] == 1
        f = b.const(w.transpose(2, 3, 0, 1), name + "/depthwise_weights")  # (C,1,H,W) -> H,W,C,1
        y = b.node("DepthwiseConv2dNative", [x, f], name, T=T_FLOAT, strides=[1, s, s, 1], padding=padding, data_format="NHWC")
    if m.bias is not None:
        y = b.node("BiasAdd", [y, b.const(m.bias.detach().numpy(), name + "/bias")], name + "/BiasAdd", T=T_FLOAT, data_format="NHWC")
    return y


def bn(b, x, m, name):
    ins = [x] + [b.const(t.detach().numpy().astype(np.float32), name + "/" + k)
                 for k, t in (("gamma", m.weight), ("beta", m.bias), ("mean", m.running_mean), ("var", m.running_var))]
    return b.node("FusedBatchNormV3", ins, name, T=T_FLOAT, epsilon=float(m.eps), is_training=False, data_format="NHWC")


def dense(b, x, m, name, relu=False):
    y = b.node("MatMul", [x, b.const(m.weight.detach().numpy().T.copy(), name + "/kernel")], name, T=T_FLOAT,
               transpose_a=False, transpose_b=False)
    y = b.node("BiasAdd", [y, b.const(m.bias.detach().numpy(), name + "/bias")], name + "/BiasAdd", T=T_FLOAT)
    return b.node("Relu", [y], name + "/Relu", T=T_FLOAT) if relu else y


def maxpool(b, x, k, s, p, name):
    if p:
        x = b.node("Pad", [x, b.const(np.array([[0, 0], [p, p], [p, p], [0, 0]], np.int32), name + "/paddings")], name + "/pad", T=T_FLOAT)
    return b.node("MaxPool", [x], name, T=T_FLOAT, ksize=[1, k, k, 1], strides=[1, s, s, 1], padding="VALID", data_format="NHWC")


def vgg16(b, net, x):
    i = 0
    for m in net.features:
        if m.__class__.__name__ == "Conv2d":
            x = conv(b, x, m, "conv%d" % i)
        elif m.__class__.__name__ == "ReLU":
            x = b.node("Relu", [x], "relu%d" % i, T=T_FLOAT)
        else:
            x = maxpool(b, x, 2, 2, 0, "pool%d" % i)
        i += 1
    # torch flattens C,H,W; TF flattens H,W,C: go back to NCHW order with a Transpose-free trick:
    # re-lay the first FC's rows from (C,H,W) to (H,W,C) order instead.
    x = b.node("Reshape", [x, b.const(np.array([-1, 512 * 7 * 7], np.int32), "flatten/shape")], "flatten", T=T_FLOAT)
    fc = net.classifier
    w0 = fc[0].weight.detach().numpy().reshape(4096, 512, 7, 7).transpose(0, 2, 3, 1).reshape(4096, -1)
    fc[0].weight.data = __import__("torch").from_numpy(w0.copy())
    x = dense(b, x, fc[0], "fc6", relu=True)
    x = dense(b, x, fc[3], "fc7", relu=True)
    x = dense(b, x, fc[6], "fc8")
    fc[0].weight.data = __import__("torch").from_numpy(
        w0.reshape(4096, 7, 7, 512).transpose(0, 3, 1, 2).reshape(4096, -1).copy())
    return b.node("Softmax", [x], "prob", T=T_FLOAT)


def resnet50(b, net, x):
    x = b.node("Relu", [bn(b, conv(b, x, net.conv1, "conv1"), net.bn1, "bn1")], "relu1", T=T_FLOAT)
    x = maxpool(b, x, 3, 2, 1, "pool1")
    for li, layer in enumerate([net.layer1, net.layer2, net.layer3, net.layer4]):
        for bi, blk in enumerate(layer):
            p = "layer%d.%d" % (li + 1, bi)
            y = b.node("Relu", [bn(b, conv(b, x, blk.conv1, p + "/conv1"), blk.bn1, p + "/bn1")], p + "/relu1", T=T_FLOAT)
            y = b.node("Relu", [bn(b, conv(b, y, blk.conv2, p + "/conv2"), blk.bn2, p + "/bn2")], p + "/relu2", T=T_FLOAT)
            y = bn(b, conv(b, y, blk.conv3, p + "/conv3"), blk.bn3, p + "/bn3")
            sc = x
            if blk.downsample is not None:
                sc = bn(b, conv(b, x, blk.downsample[0], p + "/down"), blk.downsample[1], p + "/down_bn")
            x = b.node("Relu", [b.node("AddV2", [y, sc], p + "/add", T=T_FLOAT)], p + "/out", T=T_FLOAT)
    x = b.node("Mean", [x, b.const(np.array([1, 2], np.int32), "pool5/axes")], "pool5", T=T_FLOAT, keep_dims=False)
    return dense(b, x, net.fc, "fc1000")


def mobilenet_v2(b, net, x):
    def cbr(x, seq, name):
        x = bn(b, conv(b, x, seq[0], name + "/conv"), seq[1], name + "/bn")
        return b.node("Relu6", [x], name + "/relu6", T=T_FLOAT)

    feats = list(net.features)
    x = cbr(x, feats[0], "stem")
    for i, blk in enumerate(feats[1:-1]):
        p = "block%d" % (i + 1)
        layers = list(blk.conv)
        y = x
        j = 0
        while j < len(layers) - 2:  # ConvBNReLU sub-blocks
            y = cbr(y, layers[j], p + "/cbr%d" % j)
            j += 1
        y = bn(b, conv(b, y, layers[-2], p + "/project"), layers[-1], p + "/project_bn")
        x = b.node("AddV2", [x, y], p + "/add", T=T_FLOAT) if blk.use_res_connect else y
    x = cbr(x, feats[-1], "head")
    x = b.node("Mean", [x, b.const(np.array([1, 2], np.int32), "gap/axes")], "gap", T=T_FLOAT, keep_dims=True)
    x = b.node("Squeeze", [x], "squeeze", T=T_FLOAT, squeeze_dims=[1, 2])
    return dense(b, x, net.classifier[1], "logits")


def make_models(out, only):
    import cv2
    import torch
    os.makedirs(out, exist_ok=True)
    builders = {"vgg16": vgg16, "resnet50": resnet50, "mobilenet_v2": mobilenet_v2}
    for name in only:
        build = builders[name]
        net = seeded_net(name)
        b = Builder()
        x = b.node("Placeholder", [], "input", dtype=T_FLOAT, shape=("shape", [1, 224, 224, 3]))
        y = build(b, net, x)
        b.node("Identity", [y], "output", T=T_FLOAT)
        pb_path = os.path.join(out, name + ".pb")
        with open(pb_path, "wb") as f:
            f.write(b.g.SerializeToString())
        rng = np.random.default_rng(2)
        img = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
        np.save(os.path.join(out, name + ".input.npy"), img)
        with torch.no_grad():
            ref = net(torch.from_numpy(img.transpose(0, 3, 1, 2).copy()))
            if name == "vgg16":
                ref = torch.softmax(ref, 1)
        np.save(os.path.join(out, name + ".ref_torch.npy"), ref.numpy().astype(np.float32))
        # The ONNX export of the same weights (NCHW input), for DeepShark's TF-vs-ONNX comparison.
        exported = torch.nn.Sequential(net, torch.nn.Softmax(1)) if name == "vgg16" else net
        torch.onnx.export(exported, torch.from_numpy(img.transpose(0, 3, 1, 2).copy()), os.path.join(out, name + ".onnx"),
                          opset_version=13, input_names=["input"], output_names=["output"])
        cvnet = cv2.dnn.readNetFromTensorflow(pb_path)
        cvnet.setInput(img.transpose(0, 3, 1, 2).copy())  # OpenCV takes NCHW blobs
        ref_cv = cvnet.forward().reshape(ref.shape)
        np.save(os.path.join(out, name + ".ref_opencv.npy"), ref_cv.astype(np.float32))
        print("%s: %s, |torch - opencv| = %.3g" % (name, pb_path, np.abs(ref.numpy() - ref_cv).max()))


# ---------------------------------------------------------------------------------------------
# corrupt corpus

def small_graph():
    b = Builder()
    x = b.node("Placeholder", [], "x", dtype=T_FLOAT, shape=("shape", [1, 4]))
    w = b.const(np.arange(8, dtype=np.float32).reshape(4, 2), "w")
    b.node("MatMul", [x, w], "y", T=T_FLOAT)
    return b


def make_corpus(out):
    os.makedirs(out, exist_ok=True)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.SerializeToString())

    write("valid_small.pb", small_graph().g)
    full = small_graph().g.SerializeToString()
    cut = full[: len(full) // 2]
    try:
        pb.GraphDef().ParseFromString(cut)
        raise SystemExit("truncation point parses: pick another")
    except Exception as e:  # noqa: BLE001 - protobuf raises DecodeError
        if isinstance(e, SystemExit):
            raise
    write("truncated.pb", cut)
    write("garbage.pb", b"\xff\xff\xff\xff this is not a protobuf \x00\x01")

    b = small_graph()
    b.g.node[1].attr["value"].tensor.tensor_content = b.g.node[1].attr["value"].tensor.tensor_content[:-4]
    write("content_size.pb", b.g)

    b = small_graph()
    b.g.node[2].input[1] = "nowhere"
    write("missing_input.pb", b.g)

    b = small_graph()
    b.node("Relu", ["b"], "a", T=T_FLOAT)
    b.node("Relu", ["a"], "b", T=T_FLOAT)
    write("cycle.pb", b.g)

    b = small_graph()
    t = b.g.node[1].attr["value"].tensor
    del t.tensor_shape.dim[:]
    t.tensor_shape.dim.add().size = 1 << 40
    t.tensor_shape.dim.add().size = 1 << 40
    write("absurd_dims.pb", b.g)

    b = small_graph()
    t = b.g.node[1].attr["value"].tensor
    del t.tensor_shape.dim[:]
    t.tensor_shape.dim.add().size = 1 << 20
    t.tensor_shape.dim.add().size = 1 << 20
    t.tensor_content = b""
    t.float_val.append(1.0)
    write("huge_splat.pb", b.g)

    b = small_graph()
    b.g.node[1].attr["value"].tensor.tensor_shape.dim[0].size = -4
    write("negative_dim.pb", b.g)

    b = small_graph()
    b.node("FooBar", ["y"], "weird", T=T_FLOAT)
    write("unknown_op.pb", b.g)

    b = small_graph()
    b.g.node[1].attr["value"].tensor.dtype = 57
    write("unknown_dtype.pb", b.g)

    b = small_graph()
    b.node("Relu", ["x"], "y", T=T_FLOAT)
    b.g.node[-1].name = "y"  # Builder de-duplicates names; this file must not
    write("duplicate_name.pb", b.g)

    b = small_graph()
    b.g.node[2].input[1] = "w:3"
    write("output_index.pb", b.g)

    b = small_graph()
    b.g.node[0].attr["shape"].shape.dim[0].size = -7
    write("placeholder_dim.pb", b.g)

    write("no_nodes.pb", pb.GraphDef(versions=pb.VersionDef(producer=27)))
    print("corpus written to", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job", choices=["corpus", "models"])
    ap.add_argument("out")
    ap.add_argument("--only", default="vgg16,resnet50,mobilenet_v2")
    a = ap.parse_args()
    if a.job == "corpus":
        make_corpus(a.out)
    else:
        make_models(a.out, a.only.split(","))


if __name__ == "__main__":
    main()
