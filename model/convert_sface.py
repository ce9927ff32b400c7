#!/usr/bin/env python3
"""Rewrite OpenCV Zoo's SFace (face_recognition_sface_2021dec_int8bq.onnx) for tract: opset 13,
NHWC f32 input `input` [1,112,112,3] (RGB, 0..255; the graph normalises), output `embedding` [1,128].

Usage: convert_sface.py --src FILE --out FILE [--storage int8|fp16] [--images JPG ...]

The source uses opset-21 block-quantised DequantizeLinear (int8, one f32 scale per block of 64 or 9
weights) and lists 29 graph inputs nothing reads. The rewrite drops those inputs, removes the
inference no-op Dropout, puts a Transpose NHWC -> NCHW in front, and stores the weights as
  int8: the same int8 values and block scales, expanded by opset-13 ops (Cast, Reshape, Mul) that
        tract folds into f32 constants when it loads the model: exactly the source's weights;
  fp16: the dequantised weights as fp16, with a Cast back to f32.
The result is checked against onnxruntime running the source model (its unread inputs fed zeros).
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

from convert import OPSET, finalize, session, test_images, to_fp16_storage


def source_session(path):
    """onnxruntime on the unmodified source; returns run(x_nchw) -> embedding."""
    m = onnx.load(path)
    sess = session(m)
    feeds = {}
    for i in sess.get_inputs()[1:]:  # unread inputs: any value of the right shape
        feeds[i.name] = np.zeros([d if isinstance(d, int) else 1 for d in i.shape], np.float32)
    return lambda x: sess.run(None, {"data": x, **feeds})[0]


def rewrite(src, storage):
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    arr = {name: numpy_helper.to_array(t) for name, t in inits.items()}
    new_inits, nodes = [], []
    keep = set()
    dropout_ratios = {x for n in g.node if n.op_type == "Dropout" for x in n.input[1:]}
    for n in g.node:
        if n.op_type == "DequantizeLinear":
            q_name, s_name, z_name = n.input
            q, s, z = arr[q_name], arr[s_name], arr[z_name]
            at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            axis, block = at["axis"], at["block_size"]
            assert axis == q.ndim - 1 and s.shape == z.shape and s.shape[:-1] == q.shape[:-1], q_name
            blocks = s.shape[axis]
            out = n.output[0]
            if storage == "fp16" or q.ndim == 1:
                # dequantise here (the one 1-d tensor, the last bias, stays f32 in both storages)
                expand = lambda a: np.repeat(a.astype(np.float32), block, axis=axis)[..., :q.shape[axis]]
                w = (q.astype(np.float32) - expand(z)) * expand(s)
                new_inits.append(numpy_helper.from_array(w.astype(np.float32), out))
                continue
            rows, cols = q.shape
            assert cols == blocks * block, (q_name, q.shape, block)
            # (q - zero) * scale per block of `block` weights in a row: [rows, blocks, block]
            blocked = numpy_helper.from_array(np.array([rows, blocks, block], np.int64), out + "_blocks")
            flat = numpy_helper.from_array(np.array([rows, cols], np.int64), out + "_shape")
            zero = numpy_helper.from_array(z.reshape(rows, blocks, 1), z_name)
            scale = numpy_helper.from_array(s.reshape(rows, blocks, 1).astype(np.float32), s_name)
            nodes += [
                helper.make_node("Cast", [q_name], [out + "_q"], to=TensorProto.FLOAT),
                helper.make_node("Reshape", [out + "_q", blocked.name], [out + "_qb"]),
                helper.make_node("Cast", [z_name], [out + "_z"], to=TensorProto.FLOAT),
                helper.make_node("Sub", [out + "_qb", out + "_z"], [out + "_centred"]),
                helper.make_node("Mul", [out + "_centred", s_name], [out + "_scaled"]),
                helper.make_node("Reshape", [out + "_scaled", flat.name], [out]),
            ]
            new_inits += [inits[q_name], zero, scale, blocked, flat]
        elif n.op_type == "Dropout":
            nodes.append(helper.make_node("Identity", [n.input[0]], [n.output[0]], name=n.name))
        elif n.op_type == "Constant" and n.output[0] in dropout_ratios:
            continue
        else:
            assert n.op_type in ("Reshape", "BatchNormalization", "Conv", "PRelu", "Sub", "Mul", "Flatten",
                                 "Gemm"), n.op_type
            for a in n.attribute:
                assert not (n.op_type == "BatchNormalization" and a.name == "training_mode" and a.i), n.name
                assert not (n.op_type == "Reshape" and a.name == "allowzero" and a.i), n.name
            nodes.append(n)
            keep.update(x for x in n.input if x in inits)
    new_inits += [inits[k] for k in sorted(keep)]
    transpose = helper.make_node("Transpose", ["input"], ["data"], perm=[0, 3, 1, 2], name="nhwc_to_nchw")
    out_name = g.output[0].name
    nodes.append(helper.make_node("Identity", [out_name], ["embedding"], name="embedding"))
    graph = helper.make_graph(
        [transpose] + nodes, "sface",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 112, 112, 3])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 128])],
        new_inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=7)
    if storage == "fp16":
        model = to_fp16_storage(model)
    model.producer_name = "facegate/model/convert_sface.py"
    return finalize(model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--storage", choices=["int8", "fp16"], default="int8")
    ap.add_argument("--images", nargs="*", default=[])
    args = ap.parse_args()
    m = rewrite(args.src, args.storage)
    onnx.save(m, args.out)
    # fidelity: the rewrite (NHWC) against onnxruntime on the source (NCHW), cosine and max abs diff
    ref = source_session(args.src)
    s = session(args.out)
    worst_cos, worst_diff = 1.0, 0.0
    for im in test_images(112, args.images, box=(55, 55, 195, 195)):
        x = im[None].astype(np.float32)
        a = ref(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))[0]
        b = s.run(None, {"input": x})[0][0]
        worst_cos = min(worst_cos, float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
        worst_diff = max(worst_diff, float(np.abs(a - b).max() / np.abs(a).max()))
    report = {"storage": args.storage, "bytes": os.path.getsize(args.out),
              "vs_source_min_cosine": worst_cos, "vs_source_max_rel_diff": worst_diff}
    print("[sface]", json.dumps(report))
    assert worst_cos >= 1 - 1e-5, report


if __name__ == "__main__":
    main()
