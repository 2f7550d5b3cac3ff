#!/usr/bin/python3
"""Caffe models for DeepShark's tests, written WITHOUT Caffe.

  make_caffe_models.py [OUT_DIR] [--only vgg16,resnet50,mobilenet_v2]     (default build/models/caffe)

VGG-16, ResNet-50 and MobileNetV2 with seeded torchvision weights (and seeded, non-trivial batch-norm
statistics) as NET.prototxt (text, `layer` form, Input 1x3x224x224) + NET.caffemodel (binary
NetParameter with blobs), one input image (NET.input.npy, NCHW) and reference outputs from the torch
model (NET.ref_torch.npy) and from OpenCV DNN's Caffe reader (NET.ref_opencv.npy).

The messages come from DeepShark's own schema (src/import/caffe/caffe.proto, Caffe's field numbers)
compiled with `protoc --python_out` into a temporary folder. Mapping: Conv2d -> Convolution (depthwise
as group = channels), BatchNorm2d -> BatchNorm + Scale, ReLU -> ReLU, MaxPool -> Pooling MAX with
`ceil_mode: false` (torch rounds down; Caffe's default rounds up), the global average pool -> Pooling
AVE global_pooling, Linear -> InnerProduct, residual add -> Eltwise SUM. Caffe has no ReLU6 (and the
importer no Clip): MobileNetV2's ReLU6 is written exactly as ReLU(x) - ReLU(x - 6), that is ReLU,
Power (shift -6), ReLU and Eltwise SUM with coefficients (1, -1). Output: the logits (no softmax).

Run with Debian's /usr/bin/python3 (torch, torchvision, cv2, numpy, protobuf). Idempotent: files are
rewritten from the same seeds.
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
    out = os.path.join(tempfile.gettempdir(), "deepshark_caffe_proto_py")  # reused: no litter
    os.makedirs(out, exist_ok=True)
    subprocess.check_call(["protoc", "--python_out=" + out, "-I", os.path.join(ROOT, "src/import/caffe"), "caffe.proto"])
    sys.path.insert(0, out)
    import caffe_pb2
    return caffe_pb2


pb = load_schema()


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


class Net:
    """Builds the deploy NetParameter (no blobs) and the weights NetParameter side by side."""

    def __init__(self, name):
        self.deploy = pb.NetParameter(name=name)
        self.weights = [pb.NetParameter(name=name).SerializeToString()]
        self.names = set()

    def layer(self, type_, name, bottoms, blobs=()):
        assert name not in self.names, name
        self.names.add(name)
        l = self.deploy.layer.add(name=name, type=type_)
        l.bottom.extend(bottoms)
        l.top.append(name)
        if blobs:
            # Serialised by hand: a repeated float field of 100M+ values is slow through Python.
            w = pb.LayerParameter(name=name, type=type_)
            w.bottom.extend(bottoms)
            w.top.append(name)
            data = w.SerializeToString()
            for arr in blobs:
                arr = np.ascontiguousarray(arr, dtype="<f4")
                shape = pb.BlobProto()
                shape.shape.dim.extend(arr.shape)
                blob = shape.SerializeToString() + field(5, arr.tobytes())  # BlobProto.data, packed
                data += field(7, blob)  # LayerParameter.blobs
            self.weights.append(field(100, data))  # NetParameter.layer
        return l

    def input(self, name, shape):
        l = self.layer("Input", name, [])
        l.input_param.shape.add().dim.extend(shape)
        return name

    def conv(self, x, m, name):
        w = m.weight.detach().numpy()
        blobs = [w] + ([m.bias.detach().numpy()] if m.bias is not None else [])
        l = self.layer("Convolution", name, [x], blobs)
        p = l.convolution_param
        p.num_output = w.shape[0]
        p.bias_term = m.bias is not None
        p.kernel_size.append(m.kernel_size[0])
        p.stride.append(m.stride[0])
        p.pad.append(m.padding[0])
        if m.groups != 1:
            p.group = m.groups
        return name

    def bn(self, x, m, name):
        stats = [m.running_mean.detach().numpy(), m.running_var.detach().numpy(), np.ones(1, np.float32)]
        l = self.layer("BatchNorm", name, [x], stats)
        l.batch_norm_param.use_global_stats = True
        l.batch_norm_param.eps = float(m.eps)
        s = self.layer("Scale", name + "_scale", [name], [m.weight.detach().numpy(), m.bias.detach().numpy()])
        s.scale_param.bias_term = True
        return name + "_scale"

    def relu(self, x, name):
        self.layer("ReLU", name, [x])
        return name

    def relu6(self, x, name):
        a = self.relu(x, name + "_pos")
        p = self.layer("Power", name + "_shift", [x])
        p.power_param.shift = -6.0
        c = self.relu(name + "_shift", name + "_over")
        e = self.layer("Eltwise", name, [a, c])
        e.eltwise_param.operation = pb.EltwiseParameter.SUM
        e.eltwise_param.coeff.extend([1.0, -1.0])
        return name

    def add(self, a, b, name):
        self.layer("Eltwise", name, [a, b]).eltwise_param.operation = pb.EltwiseParameter.SUM
        return name

    def maxpool(self, x, k, s, p, name):
        q = self.layer("Pooling", name, [x]).pooling_param
        q.pool = pb.PoolingParameter.MAX
        q.kernel_size.append(k)
        q.stride.append(s)
        if p:
            q.pad.append(p)
        q.ceil_mode = False
        return name

    def global_avg(self, x, name):
        q = self.layer("Pooling", name, [x]).pooling_param
        q.pool = pb.PoolingParameter.AVE
        q.global_pooling = True
        self.layer("Flatten", name + "_flat", [name])
        return name + "_flat"

    def fc(self, x, m, name):
        w = m.weight.detach().numpy()
        l = self.layer("InnerProduct", name, [x], [w, m.bias.detach().numpy()])
        l.inner_product_param.num_output = w.shape[0]
        return name


def vgg16(n, net, x):
    for i, m in enumerate(net.features):
        kind = m.__class__.__name__
        if kind == "Conv2d":
            x = n.conv(x, m, "conv%d" % i)
        elif kind == "ReLU":
            x = n.relu(x, "relu%d" % i)
        else:
            x = n.maxpool(x, 2, 2, 0, "pool%d" % i)
    # torchvision's AdaptiveAvgPool2d(7) is the identity on 7x7; InnerProduct flattens C,H,W like torch.
    fc = net.classifier
    x = n.relu(n.fc(x, fc[0], "fc6"), "fc6_relu")
    x = n.relu(n.fc(x, fc[3], "fc7"), "fc7_relu")
    return n.fc(x, fc[6], "fc8")


def resnet50(n, net, x):
    x = n.relu(n.bn(n.conv(x, net.conv1, "conv1"), net.bn1, "bn1"), "relu1")
    x = n.maxpool(x, 3, 2, 1, "pool1")
    for li, layer in enumerate([net.layer1, net.layer2, net.layer3, net.layer4]):
        for bi, blk in enumerate(layer):
            p = "res%d_%d" % (li + 1, bi)
            y = n.relu(n.bn(n.conv(x, blk.conv1, p + "_conv1"), blk.bn1, p + "_bn1"), p + "_relu1")
            y = n.relu(n.bn(n.conv(y, blk.conv2, p + "_conv2"), blk.bn2, p + "_bn2"), p + "_relu2")
            y = n.bn(n.conv(y, blk.conv3, p + "_conv3"), blk.bn3, p + "_bn3")
            sc = x
            if blk.downsample is not None:
                sc = n.bn(n.conv(x, blk.downsample[0], p + "_down"), blk.downsample[1], p + "_down_bn")
            x = n.relu(n.add(y, sc, p + "_add"), p + "_out")
    x = n.global_avg(x, "pool5")
    return n.fc(x, net.fc, "fc1000")


def mobilenet_v2(n, net, x):
    def cbr(x, seq, name):
        return n.relu6(n.bn(n.conv(x, seq[0], name + "_conv"), seq[1], name + "_bn"), name + "_relu6")

    feats = list(net.features)
    x = cbr(x, feats[0], "stem")
    for i, blk in enumerate(feats[1:-1]):
        p = "block%d" % (i + 1)
        layers = list(blk.conv)
        y = x
        for j in range(len(layers) - 2):  # ConvBNReLU6 sub-blocks
            y = cbr(y, layers[j], p + "_cbr%d" % j)
        y = n.bn(n.conv(y, layers[-2], p + "_project"), layers[-1], p + "_project_bn")
        x = n.add(x, y, p + "_add") if blk.use_res_connect else y
    x = cbr(x, feats[-1], "head")
    x = n.global_avg(x, "gap")
    return n.fc(x, net.classifier[1], "logits")


def make_models(out, only):
    import cv2
    import torch
    from google.protobuf import text_format
    os.makedirs(out, exist_ok=True)
    builders = {"vgg16": vgg16, "resnet50": resnet50, "mobilenet_v2": mobilenet_v2}
    for name in only:
        build = builders[name]
        net = seeded_net(name, affine_bn=True)
        n = Net(name)
        x = n.input("data", [1, 3, 224, 224])
        build(n, net, x)
        proto_path = os.path.join(out, name + ".prototxt")
        model_path = os.path.join(out, name + ".caffemodel")
        with open(proto_path, "w") as f:
            f.write(text_format.MessageToString(n.deploy))
        with open(model_path, "wb") as f:
            f.write(b"".join(n.weights))
        rng = np.random.default_rng(2)
        img = rng.uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
        np.save(os.path.join(out, name + ".input.npy"), img)
        with torch.no_grad():
            ref = net(torch.from_numpy(img)).numpy().astype(np.float32)
        np.save(os.path.join(out, name + ".ref_torch.npy"), ref)
        # The ONNX export of the same weights, for DeepShark's Caffe-vs-ONNX comparison.
        torch.onnx.export(net, torch.from_numpy(img), os.path.join(out, name + ".onnx"), opset_version=13,
                          input_names=["input"], output_names=["output"])
        cvnet = cv2.dnn.readNetFromCaffe(proto_path, model_path)
        cvnet.setInput(img)
        ref_cv = cvnet.forward().reshape(ref.shape).astype(np.float32)
        np.save(os.path.join(out, name + ".ref_opencv.npy"), ref_cv)
        scale = max(1e-6, float(np.abs(ref).max()))
        print("%s: %s, |torch - opencv| = %.3g (output scale %.3g)" % (name, proto_path, np.abs(ref - ref_cv).max(), scale))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=os.path.join("build", "models", "caffe"))
    ap.add_argument("--only", default="vgg16,resnet50,mobilenet_v2")
    a = ap.parse_args()
    make_models(a.out, a.only.split(","))


if __name__ == "__main__":
    main()
