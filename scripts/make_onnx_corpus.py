#!/usr/bin/python3
"""Writes the ONNX importer's corrupt-file corpus into tests/corpus/onnx/.

Each file is a small, deliberately broken (or, for valid_*, deliberately odd but legal) model.
tests/unit/import_onnx/corpus_test.cc holds the table of the error each file must produce.
Files are written with SerializeToString (no onnx.save: it would resolve external data).

    /usr/bin/python3 scripts/make_onnx_corpus.py
"""
import os
import random

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "corpus", "onnx")


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(list(nodes), "corpus", list(inputs), list(outputs), list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_corpus")
    m.ir_version = 8
    return m


def vi(name, shape=(1, 4), dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, list(shape))


def relu_model():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x")], [vi("y")])


def write(name, data):
    if not isinstance(data, (bytes, bytearray)):
        data = data.SerializeToString()
    assert len(data) < 20 * 1024, name
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def fc_weight(raw):
    t = TensorProto()
    t.name = "fc.weight"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([10, 20])
    t.raw_data = raw
    return t


def gemm_with(init, name="fc"):
    return model([helper.make_node("MatMul", ["x", init.name], ["y"], name=name)],
                 [vi("x", (1, 10))], [vi("y", (1, 20))], [init])


def external(name, location, offset=None, length=None, dims=(4,)):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return model([helper.make_node("Add", ["x", name], ["y"], name="add")], [vi("x", (4,))], [vi("y", (4,))], [t])


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    good = gemm_with(numpy_helper.from_array(np.ones((10, 20), np.float32), "fc.weight")).SerializeToString()
    # Cut inside the initializer's raw_data: the length prefix promises more bytes than remain.
    write("truncated.onnx", good[: len(good) // 2])
    rng = random.Random(1234)
    write("garbage.onnx", bytes([0xFF, 0xFF]) + bytes(rng.randrange(256) for _ in range(512)))
    write("raw_data_size.onnx", gemm_with(fc_weight(b"\0" * 796)))

    t = helper.make_tensor("w", TensorProto.FLOAT, [2, 3], [1, 2, 3, 4, 5, 6])
    del t.float_data[-1]
    write("typed_data_count.onnx", model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                                          [vi("x", (2, 3))], [vi("y", (2, 3))], [t]))

    write("dangling_input.onnx", model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")],
                                        [vi("x")], [vi("y")]))
    write("node_cycle.onnx", model([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                                    helper.make_node("Relu", ["a"], ["b"], name="second")], [vi("x")], [vi("b")]))
    write("duplicate_producer.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="one"),
                                            helper.make_node("Sigmoid", ["x"], ["y"], name="two")],
                                           [vi("x")], [vi("y")]))

    write("external_parent.onnx", external("w", "../x"))
    write("external_absolute.onnx", external("w", "/etc/passwd"))
    with open(os.path.join(OUT, "external_offset.bin"), "wb") as f:
        f.write(np.arange(4, dtype=np.float32).tobytes())  # 16 bytes
    write("external_offset.onnx", external("w", "external_offset.bin", offset=8, length=16))

    t = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40], raw_data=b"\0" * 4)
    write("dims_overflow.onnx", model([helper.make_node("Add", ["x", "huge"], ["y"], name="add")],
                                      [vi("x")], [vi("y")], [t]))
    t = TensorProto(name="neg", data_type=TensorProto.FLOAT, dims=[-1, 4], raw_data=b"\0" * 16)
    write("negative_dim.onnx", model([helper.make_node("Add", ["x", "neg"], ["y"], name="add")],
                                     [vi("x")], [vi("y")], [t]))

    write("unsupported_op.onnx", model([helper.make_node("FooBar", ["x"], ["y"], name="weird")], [vi("x")], [vi("y")]))
    write("foreign_domain.onnx", model([helper.make_node("FusedConv", ["x"], ["y"], name="fused",
                                                         domain="com.microsoft")], [vi("x")], [vi("y")]))
    t = helper.make_tensor("names", TensorProto.STRING, [2], [b"a", b"b"])
    write("string_tensor.onnx", model([helper.make_node("Identity", ["names"], ["y"], name="id")],
                                      [], [vi("y", (2,), TensorProto.STRING)], [t]))
    t = TensorProto(name="bf", data_type=TensorProto.BFLOAT16, dims=[2], raw_data=b"\0" * 4)
    write("bfloat16_tensor.onnx", model([helper.make_node("Add", ["x", "bf"], ["y"], name="add")],
                                        [vi("x", (2,))], [vi("y", (2,))], [t]))
    write("empty_graph.onnx", model([], [vi("x")], [vi("y")]))
    write("duplicate_initializer.onnx",
          model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", (2,))], [vi("y", (2,))],
                [numpy_helper.from_array(np.ones(2, np.float32), "w"),
                 numpy_helper.from_array(np.zeros(2, np.float32), "w")]))
    write("output_is_initializer.onnx",
          model([helper.make_node("Relu", ["x"], ["w"], name="relu")], [vi("x", (2,))], [vi("w", (2,))],
                [numpy_helper.from_array(np.ones(2, np.float32), "w")]))
    write("constant_string.onnx",
          model([helper.make_node("Constant", [], ["c"], name="const", value_string="hello"),
                 helper.make_node("Identity", ["c"], ["y"], name="id")], [], [vi("y", (), TensorProto.STRING)]))
    m = relu_model()
    m.opset_import[0].version = 99
    write("future_opset.onnx", m)
    m = relu_model()
    m.graph.ClearField("node")
    m.graph.node.extend([helper.make_node("Relu", ["x"], ["y"], name="relu")])
    del m.graph.output[:]
    write("no_outputs.onnx", m)
    write("input_complex.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                                      [vi("x", (2,), TensorProto.COMPLEX64)], [vi("y", (2,))]))

    # Legal but listed out of order: the importer must sort it (y <- b <- a <- x).
    write("valid_unsorted.onnx", model([helper.make_node("Sigmoid", ["b"], ["y"], name="last"),
                                        helper.make_node("Relu", ["a"], ["b"], name="middle"),
                                        helper.make_node("Add", ["x", "w"], ["a"], name="first")],
                                       [vi("x", ("N", 4))], [vi("y", ("N", 4))],
                                       [numpy_helper.from_array(np.ones(4, np.float32), "w")]))
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
