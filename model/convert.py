#!/usr/bin/env python3
"""Convert the facegate face models to ONNX (opset 13, NHWC f32 inputs, batch 1).

Usage: convert.py --human-models DIR --expo DIR --out DIR [--work DIR] [--only NAME ...]
  DIR for --human-models / --expo is the extracted npm package root (the folder holding package.json).

Steps per model:
  tfjs (blazeface-front, facemesh, iris): tf2onnx --tfjs (with the _FusedConv2D TArgs fix), then graph
      patches (fixed batch 1, named outputs), weight storage, and a fidelity check against
      TensorFlow running the original tfjs graph.
  tflite (mobilefacenet): tf2onnx --tflite, batch-2 -> batch-1 patch for MobileFaceNet,
      weight storage, fidelity check against the TFLite interpreter.
Weight storage: int8 Conv kernels with per-channel scales (facemesh, mobilefacenet), else fp16,
else fp32: the first whose outputs stay within a per-model tolerance of the fp32 ONNX's.
"""
import argparse
import json
import re
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort

OPSET = 13
RNG_SEED = 1234


# --------------------------------------------------------------------------------------------
# tf2onnx helpers
# --------------------------------------------------------------------------------------------
def _add_targs(node):
    """TF 2.15 requires attr TArgs on _FusedConv2D; tfjs graphs don't carry it."""
    if node.get("op") == "_FusedConv2D":
        attr = node.setdefault("attr", {})
        if "TArgs" not in attr:
            n = int(attr.get("num_args", {}).get("i", 0))
            t = attr.get("T", {}).get("type", "DT_FLOAT")
            attr["TArgs"] = {"list": {"type": [t] * n}} if n else {"list": {}}
    return node


def _patch_tf2onnx_tfjs():
    from tf2onnx import tfjs_utils
    if getattr(tfjs_utils, "_facegate_patched", False):
        return
    orig = tfjs_utils.tfjs_node_to_tf_node_def

    def wrapped(node):
        node = json.loads(json.dumps(node))  # copy: keep tf2onnx's own node dict untouched
        return orig(_add_targs(node))

    tfjs_utils.tfjs_node_to_tf_node_def = wrapped
    tfjs_utils._facegate_patched = True


def _patch_tf2onnx_merge():
    """tf2onnx's duplicate-node merge keeps the first duplicate in its node order, which varies from
    run to run (facemesh's three identical MaxPools max_pooling2d_5/6/7 on one input): keep the one
    with the most outputs, then the smallest name, so the surviving name is always the same."""
    from tf2onnx.optimizer.merge_duplicated_nodes_optimizer import MergeDuplicatedNodesOptimizer as M
    if getattr(M, "_facegate_patched", False):
        return
    orig = M._merge_nodes_that_are_duplicated

    def wrapped(self, nodes_to_process, graph):
        nodes_to_process.sort(key=lambda n: (-len(n.output), n.name))
        return orig(self, nodes_to_process, graph)  # its own stable sort keeps this order

    M._merge_nodes_that_are_duplicated = wrapped
    M._facegate_patched = True


def run_tf2onnx(args_list):
    from tf2onnx import convert, utils
    _patch_tf2onnx_merge()
    utils.INTERNAL_NAME = 1  # tf2onnx's global name counter: reset so each file is reproducible alone
    saved = sys.argv
    sys.argv = ["tf2onnx.convert"] + args_list
    try:
        convert.main()
    finally:
        sys.argv = saved


def tfjs_to_onnx(model_json, out_path):
    _patch_tf2onnx_tfjs()
    run_tf2onnx(["--tfjs", model_json, "--output", out_path, "--opset", str(OPSET)])
    return onnx.load(out_path)


def tflite_to_onnx(tflite_path, out_path):
    run_tf2onnx(["--tflite", tflite_path, "--output", out_path, "--opset", str(OPSET)])
    return onnx.load(out_path)


# --------------------------------------------------------------------------------------------
# Reference runners (the source model in TensorFlow / TFLite)
# --------------------------------------------------------------------------------------------
class TfjsReference:
    """Runs the original tfjs graph model in TensorFlow (GraphDef built from model.json + .bin)."""

    def __init__(self, model_json):
        import tensorflow as tf
        from google.protobuf.json_format import ParseDict
        from tensorflow.core.framework import graph_pb2, node_def_pb2
        from tf2onnx import tfjs_utils
        model, zipped = tfjs_utils.read_model_json(model_json)
        assert not zipped
        wm = model["weightsManifest"][0]
        data = b"".join(open(os.path.join(os.path.dirname(model_json), p), "rb").read() for p in wm["paths"])
        weights, off = {}, 0
        for w in wm["weights"]:
            name, arr, nb = tfjs_utils.read_tfjs_weight(w, data, offset=off)
            weights[name] = arr
            off += nb
        gd = graph_pb2.GraphDef()
        dt = {"type": "DT_FLOAT"}

        def prelu_nodes(name, x, alpha):
            # tfjs-only op Prelu(x, a) = Relu(x) - a * Relu(-x), expanded into stock TF ops
            return [
                {"name": name + "/pos", "op": "Relu", "input": [x], "attr": {"T": dt}},
                {"name": name + "/negx", "op": "Neg", "input": [x], "attr": {"T": dt}},
                {"name": name + "/negr", "op": "Relu", "input": [name + "/negx"], "attr": {"T": dt}},
                {"name": name + "/nega", "op": "Mul", "input": [alpha, name + "/negr"], "attr": {"T": dt}},
                {"name": name, "op": "Sub", "input": [name + "/pos", name + "/nega"], "attr": {"T": dt}},
            ]

        expanded = []
        for node in model["modelTopology"]["node"]:
            node = json.loads(json.dumps(node))
            if node["op"] == "Prelu":
                expanded += prelu_nodes(node["name"], node["input"][0], node["input"][1])
            elif node["op"] == "_FusedConv2D" and "UHJlbHU=" in node["attr"]["fused_ops"]["list"]["s"]:
                # BiasAdd+Prelu fusion is tfjs-only: keep BiasAdd fused, expand Prelu
                x, w, b, alpha = node["input"]
                conv = dict(node, name=node["name"] + "/conv", input=[x, w, b])
                conv["attr"] = dict(node["attr"], fused_ops={"list": {"s": ["Qmlhc0FkZA=="]}},
                                    num_args={"i": "1"})
                conv["attr"].pop("TArgs", None)
                expanded += [conv] + prelu_nodes(node["name"], conv["name"], alpha)
            else:
                expanded.append(node)
        for node in expanded:
            node = _add_targs(node)
            node.pop("device", None)
            nd = node_def_pb2.NodeDef()
            ParseDict(node, nd)
            if nd.op == "Const":
                nd.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[nd.name]))
            gd.node.append(nd)
        self.sig = model.get("signature", {})
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.graph_util.import_graph_def(gd, name="")
        self.sess = tf.compat.v1.Session(graph=self.graph)
        self.inputs = [n.name for n in gd.node if n.op == "Placeholder"]

    def run(self, outputs, x):
        return self.sess.run([o + ":0" for o in outputs], {self.inputs[0] + ":0": x})


class TfliteReference:
    def __init__(self, path, batch=None):
        import tensorflow as tf
        self.it = tf.lite.Interpreter(model_path=path)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]
        self.outs = self.it.get_output_details()

    def run(self, x):
        b = self.inp["shape"][0]
        if x.shape[0] != b:  # pad batch (MobileFaceNet has batch 2 baked in)
            x = np.concatenate([x] + [x[:1]] * (b - x.shape[0]), axis=0)
        self.it.set_tensor(self.inp["index"], x.astype(np.float32))
        self.it.invoke()
        return {d["name"]: self.it.get_tensor(d["index"])[:1] for d in self.outs}


# --------------------------------------------------------------------------------------------
# ONNX graph utilities
# --------------------------------------------------------------------------------------------
def set_dim(vi, axis, value):
    d = vi.type.tensor_type.shape.dim[axis]
    d.Clear()
    d.dim_value = value


def rename_tensor(graph, old, new):
    for n in graph.node:
        for i, x in enumerate(n.input):
            if x == old:
                n.input[i] = new
        for i, x in enumerate(n.output):
            if x == old:
                n.output[i] = new
    for coll in (graph.input, graph.output, graph.value_info):
        for v in coll:
            if v.name == old:
                v.name = new


def prune(graph):
    """Drop the nodes and initializers that no graph output depends on (a branch whose output
    facegate does not read would otherwise be shipped and computed on every run)."""
    producer = {o: n for n in graph.node for o in n.output}
    needed, stack = set(), [o.name for o in graph.output]
    while stack:
        t = stack.pop()
        if t not in needed:
            needed.add(t)
            if t in producer:
                stack.extend(x for x in producer[t].input if x)
    nodes = [n for n in graph.node if any(o in needed for o in n.output)]
    inits = [t for t in graph.initializer if t.name in needed]
    print(f"    pruned {len(graph.node) - len(nodes)} nodes, {len(graph.initializer) - len(inits)} initializers")
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(inits)


_GEN = re.compile(r"__\d+")


def canonicalize(model):
    """Make the file byte-reproducible: tf2onnx numbers generated names (x__123) in an order that
    varies between runs; renumber them by first appearance, order initializers by first use, clear
    the doc strings (they hold the absolute source path)."""
    g = model.graph
    mapping, count = {}, [0]

    def canon(name):
        if not name or not _GEN.search(name):
            return name
        if name not in mapping:
            prefix = _GEN.split(name)[0].split(":")[0]
            mapping[name] = f"{prefix}_g{count[0]}"
            count[0] += 1
        return mapping[name]

    first_use = {}
    for n in g.node:
        for i in n.input:
            first_use.setdefault(i, len(first_use))
    for n in g.node:
        n.input[:] = [canon(x) for x in n.input]
        n.output[:] = [canon(x) for x in n.output]
        n.name = canon(n.name)
        n.doc_string = ""
    inits = sorted(g.initializer, key=lambda t: first_use.get(t.name, 1 << 30))
    for t in inits:
        t.name = canon(t.name)
    del g.initializer[:]
    g.initializer.extend(inits)
    for v in list(g.input) + list(g.output):
        v.name = canon(v.name)
    g.doc_string = ""
    model.doc_string = ""
    return model


def finalize(model):
    """Drop stale value_info, re-run shape inference, check."""
    model = canonicalize(model)
    del model.graph.value_info[:]
    used = {n.domain for n in model.graph.node}
    keep = [o for o in model.opset_import if o.domain in ("", "ai.onnx") or o.domain in used]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def to_fp16_storage(model, min_elems=16, keep=()):
    """Store float32 initializers (>= min_elems elements, not named in `keep`) as float16, with a
    Cast back to float32."""
    g = model.graph
    new_inits, casts = [], []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(list(init.dims))) >= min_elems and init.name not in keep:
            arr = numpy_helper.to_array(init)
            h = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
            new_inits.append(h)
            casts.append(helper.make_node("Cast", [h.name], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + "_cast"))
        else:
            new_inits.append(init)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return model


def to_int8_storage(model):
    """Store every Conv kernel as int8 with one float32 scale per output channel (symmetric:
    scale = max |w| / 127, round to nearest), turned back into float32 by Cast and Mul (facegate
    folds both into constants before tract reads the graph: src/model/fold.rs); other initializers
    as to_fp16_storage."""
    g = model.graph
    kernels = {n.input[1] for n in g.node if n.op_type == "Conv"}
    new_inits, nodes, scales = [], [], set()
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if init.name not in kernels or init.data_type != TensorProto.FLOAT or arr.ndim != 4:
            new_inits.append(init)
            continue
        scale = np.abs(arr).reshape(arr.shape[0], -1).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(arr / scale[:, None, None, None]), -127, 127).astype(np.int8)
        q_init = numpy_helper.from_array(q, init.name + "_int8")
        s_init = numpy_helper.from_array(scale.astype(np.float32).reshape(-1, 1, 1, 1), init.name + "_scale")
        new_inits += [q_init, s_init]
        scales.add(s_init.name)
        nodes += [
            helper.make_node("Cast", [q_init.name], [init.name + "_f32"], to=TensorProto.FLOAT, name=init.name + "_cast"),
            helper.make_node("Mul", [init.name + "_f32", s_init.name], [init.name], name=init.name + "_dequantize"),
        ]
    del g.initializer[:]
    g.initializer.extend(new_inits)
    rest = nodes + list(g.node)
    del g.node[:]
    g.node.extend(rest)
    return to_fp16_storage(model, keep=scales)


def session(model_or_path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    src = model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto) else model_or_path
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def ort_run(sess, x):
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: x})))


def max_diff(a, b):
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


# --------------------------------------------------------------------------------------------
# Test inputs
# --------------------------------------------------------------------------------------------
def load_rgb(path, size, box=None):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    if box is not None:
        im = im.crop(box)
    return np.asarray(im.resize((size, size), Image.BILINEAR), dtype=np.float32)


def test_images(size, images, box=None):
    """A few real images (0..255 RGB, HWC) + random noise images."""
    rng = np.random.default_rng(RNG_SEED)
    out = [load_rgb(p, size, box) for p in images if os.path.exists(p)]
    out += [rng.uniform(0, 255, (size, size, 3)).astype(np.float32) for _ in range(3)]
    return out


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
STORAGES = {"int8": to_int8_storage, "fp16": to_fp16_storage}


STORAGE_NAMES = {
    "int8": "int8 Conv kernels with per-channel scales (Cast, Mul to f32), other weights fp16 (Cast to f32)",
    "fp16": "fp16 (Cast to f32)",
}


def decide_storage(name, m32, inputs, tolerances, report, diff=None):
    """The first of int8 / fp16 storage (those given a tolerance in `tolerances`) whose outputs
    stay within it of the fp32 model's on `inputs` (`diff(fp32 outputs, outputs)`: by default the
    max abs difference), else the fp32 model."""
    diff = diff or max_diff
    s32 = session(m32)
    for storage, tol in tolerances.items():
        m = finalize(STORAGES[storage](onnx.load_from_string(m32.SerializeToString())))
        s = session(m)
        d = max(diff(ort_run(s32, x), ort_run(s, x)) for x in inputs)
        report[name][f"{storage}_vs_fp32_diff"] = d
        report[name][f"{storage}_tolerance"] = tol
        print(f"[{name}] {storage} vs fp32 diff {d:.3g} (tol {tol})")
        if d <= tol:
            report[name]["weights"] = STORAGE_NAMES[storage]
            return m
    report[name]["weights"] = "fp32"
    return m32


def convert_blazeface(src, out_dir, work, images, report):
    name = "blazeface-front"
    mj = os.path.join(src, "models", "blazeface-front.json")
    m = tfjs_to_onnx(mj, os.path.join(work, name + ".raw.onnx"))
    g = m.graph
    sess = session(m)
    shapes = {o.name: tuple(o.shape) for o in sess.get_outputs()}
    print(f"[{name}] raw outputs {shapes}")
    # identify heads by shape: 512 anchors = 16x16 grid (stride 8) x 2; 384 = 8x8 grid (stride 16) x 6
    by = {}
    for o, s in shapes.items():
        by[(s[1], s[2])] = o
    c512, c384, r512, r384 = by[(512, 1)], by[(384, 1)], by[(512, 16)], by[(384, 16)]
    rename_tensor(g, g.input[0].name, "input")
    g.node.extend([
        helper.make_node("Concat", [c512, c384], ["classificators"], axis=1, name="concat_classificators"),
        helper.make_node("Concat", [r512, r384], ["regressors"], axis=1, name="concat_regressors"),
    ])
    del g.output[:]
    g.output.extend([
        helper.make_tensor_value_info("classificators", TensorProto.FLOAT, [1, 896, 1]),
        helper.make_tensor_value_info("regressors", TensorProto.FLOAT, [1, 896, 16]),
    ])
    m = finalize(m)

    # fidelity vs TF running the tfjs graph
    ref = TfjsReference(mj)
    tf_out_names = ["Identity", "Identity_1", "Identity_2", "Identity_3"]
    imgs = test_images(128, images)
    xs = [(im / 127.5 - 1.0)[None].astype(np.float32) for im in imgs]
    s = session(m)
    d = 0.0
    for x in xs:
        r = dict(zip(tf_out_names, ref.run(tf_out_names, x)))
        # map the tf outputs to our heads via the raw onnx names (tf2onnx keeps the tfjs names + ':0')
        raw = {k.split(":")[0]: v for k, v in r.items()}
        key = lambda onnx_name: raw[onnx_name.split(":")[0]]
        cls = np.concatenate([key(c512), key(c384)], axis=1)
        reg = np.concatenate([key(r512), key(r384)], axis=1)
        o = ort_run(s, x)
        d = max(d, float(np.abs(o["classificators"] - cls).max()), float(np.abs(o["regressors"] - reg).max()))
    report[name] = {"onnx_fp32_vs_tf_max_abs_diff": d,
                    "head_mapping": {"512(stride8)": [c512, r512], "384(stride16)": [c384, r384]}}
    print(f"[{name}] fp32 onnx vs TF(tfjs graph) max abs diff {d:.3g}")
    # int8 kernels move the confident boxes by ~3.5 of 128 input px: the detector (0.2 MB) stays fp16
    return {name: decide_storage(name, m, xs, {"fp16": 1e-3}, report)}


def convert_facemesh(src, out_dir, work, images, report):
    name = "facemesh"
    mj = os.path.join(src, "models", "facemesh.json")
    m = tfjs_to_onnx(mj, os.path.join(work, name + ".raw.onnx"))
    g = m.graph
    print(f"[{name}] raw inputs {[i.name for i in g.input]} outputs {[o.name for o in g.output]}")
    rename_tensor(g, g.input[0].name, "input")
    set_dim(g.input[0], 0, 1)
    ren = {"output_mesh": "mesh", "output_faceflag": "faceflag", "output_contours": "contours"}
    for o in list(g.output):
        base = o.name.split(":")[0]
        if base in ren:
            rename_tensor(g, o.name, ren[base])
    # "contours" (MediaPipe's eye and lip contours, refined) is not read by facegate: dropped with
    # the branch only it needs (137 k of FaceMesh's 745 k weights)
    order = {"mesh": 0, "faceflag": 1}
    outs = sorted((o for o in g.output if o.name in order), key=lambda o: order[o.name])
    outs = [onnx.ValueInfoProto.FromString(o.SerializeToString()) for o in outs]
    for o in outs:
        set_dim(o, 0, 1)
    del g.output[:]
    g.output.extend(outs)
    prune(g)
    # any remaining -1 batch in Reshape constants is fine (inferred); fix them to 1 anyway for tract
    for init in g.initializer:
        if init.data_type == TensorProto.INT64 and len(init.dims) == 1:
            a = numpy_helper.to_array(init)
            if a.size >= 2 and a[0] == -1:
                a = a.copy(); a[0] = 1
                init.CopyFrom(numpy_helper.from_array(a, init.name))
    m = finalize(m)

    ref = TfjsReference(mj)
    sig_out = {k: v["name"].split(":")[0] for k, v in ref.sig["outputs"].items()}
    imgs = test_images(192, images, box=(25, 25, 225, 225))
    xs = [(im / 255.0)[None].astype(np.float32) for im in imgs]
    s = session(m)
    d = 0.0
    for x in xs:
        r = dict(zip(sig_out.keys(), ref.run(list(sig_out.values()), x)))
        o = ort_run(s, x)
        for k, v in ren.items():
            if v in order:
                d = max(d, float(np.abs(o[v] - r[k]).max()))
    report[name] = {"onnx_fp32_vs_tf_max_abs_diff": d}
    print(f"[{name}] fp32 onnx vs TF(tfjs graph) max abs diff {d:.3g}")
    # outputs are 192x192-crop pixels: int8 kernels may move a point by up to 1 px (measured: 0.82
    # with the noise inputs, ~0.4 on faces); tfjs weights were already float16-quantised, so
    # fp16 storage should be bit-exact
    tolerances = {"int8": 1.0, "fp16": 1e-3}
    report["facemesh-full"] = dict(report[name])
    full = decide_storage("facemesh-full", m, xs, tolerances, report)
    read = decide_storage(name, keep_mesh_points(m, MESH_POINTS), xs, tolerances, report)
    # the points kept are the full model's, bit for bit
    channels = mesh_channels(MESH_POINTS)
    sf, sr = session(full), session(read)
    d = max(max_diff({k: v[:, channels] if k == "mesh" else v for k, v in ort_run(sf, x).items()}, ort_run(sr, x))
            for x in xs)
    report[name]["mesh_points"] = MESH_POINTS
    report[name]["vs_full_max_abs_diff"] = d
    print(f"[{name}] the {len(MESH_POINTS)} points kept vs the full mesh's: max abs diff {d:.3g}")
    assert d == 0.0, d
    return {"facemesh-full": full, name: read}


# The FaceMesh points facegate's library reads (MediaPipe numbering, ascending: src/landmarks.rs
# `READ_POINTS`): the flat-picture test's 26, which hold the eye corners, nose tip and mouth
# corners (alignment, iris crops), cheeks, forehead and chin (pose).
MESH_POINTS = [1, 2, 6, 10, 13, 14, 33, 61, 93, 98, 127, 132, 133, 152, 168, 172, 234, 263, 291, 323, 327, 356,
               361, 362, 397, 454]


def mesh_channels(points):
    """The mesh output's channels of `points`: x, y, z of point i are channels 3i, 3i + 1, 3i + 2."""
    return np.array([3 * p + k for p in points for k in range(3)])


def keep_mesh_points(m, points):
    """A copy of FaceMesh `m` whose `mesh` output holds only `points` (x, y, z each, in that
    order): the mesh head's last convolution makes only their channels."""
    m = onnx.load_from_string(m.SerializeToString())
    channels = mesh_channels(points)
    keep_output_channels(m.graph, "mesh", channels, [1, len(channels)], 1)
    prune(m.graph)
    return finalize(m)


def keep_output_channels(g, output, channels, shape, axis):
    """Graph output `output`, a Reshape of a Conv's output, keeps only the Conv's output `channels`
    (in that order): the Conv's kernel and bias are cut to them, the Reshape takes `shape`, and the
    output's dimension `axis` becomes their count."""
    reshape = next(n for n in g.node if n.op_type == "Reshape" and n.output[0] == output)
    conv = next(n for n in g.node if reshape.input[0] in n.output)
    assert conv.op_type == "Conv", conv.op_type
    uses = [x for n in g.node for x in n.input]
    for name in conv.input[1:] + [reshape.input[1]]:
        assert uses.count(name) == 1, f"{name} is shared"
    inits = {t.name: t for t in g.initializer}
    for weight in conv.input[1:]:
        t = inits[weight]
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t)[channels], weight))
    inits[reshape.input[1]].CopyFrom(numpy_helper.from_array(np.array(shape, np.int64), reshape.input[1]))
    set_dim(next(o for o in g.output if o.name == output), axis, len(channels))


def convert_mobilefacenet(src, out_dir, work, images, report):
    name = "mobilefacenet"
    tfl = os.path.join(src, "android", "src", "main", "assets", "MobileFaceNet.tflite")
    m = tflite_to_onnx(tfl, os.path.join(work, name + ".raw.onnx"))
    g = m.graph
    print(f"[{name}] raw input {g.input[0].name} {[d.dim_value for d in g.input[0].type.tensor_type.shape.dim]}")
    # batch 2 -> 1: I/O dims and Reshape shape initializers with leading 2
    reshape_shape_inputs = {n.input[1] for n in g.node if n.op_type == "Reshape"}
    patched = []
    for init in g.initializer:
        if init.name in reshape_shape_inputs:
            a = numpy_helper.to_array(init)
            if a.size >= 1 and a[0] == 2:
                a = a.copy(); a[0] = 1
                init.CopyFrom(numpy_helper.from_array(a, init.name))
                patched.append((init.name, a.tolist()))
    print(f"[{name}] patched Reshape shapes: {patched}")
    rename_tensor(g, g.input[0].name, "input")
    rename_tensor(g, g.output[0].name, "embedding")
    set_dim(g.input[0], 0, 1)
    set_dim(g.output[0], 0, 1)
    m = finalize(m)

    ref = TfliteReference(tfl)
    imgs = test_images(112, images, box=(55, 55, 195, 195))
    xs = [((im - 127.5) / 128.0)[None].astype(np.float32) for im in imgs]
    s = session(m)
    d = 0.0
    for x in xs:
        r = list(ref.run(x).values())[0]
        o = ort_run(s, x)["embedding"]
        d = max(d, float(np.abs(o - r).max()))
    report[name] = {"onnx_fp32_vs_tflite_max_abs_diff": d, "reshape_patched": patched}
    print(f"[{name}] fp32 onnx vs TFLite max abs diff {d:.3g}")
    # embeddings are un-normalised (norm ~ 10-20): judge by 1 - cosine (int8 measured: 2.2e-3)
    return {name: decide_storage(name, m, xs, {"int8": 5e-3, "fp16": 1e-4}, report, diff=cosine_distance)}


def cosine_distance(a, b):
    """1 - cosine between the embeddings in two output dicts."""
    a, b = a["embedding"][0], b["embedding"][0]
    return 1.0 - float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


# The eye contour's first 16 points, x, y, z each: the lower lid corner to corner (0-8) and the
# upper lid between the corners (9-15), all that facegate reads of it.
LIDS = 16 * 3


def convert_iris(src, out_dir, work, images, report):
    """MediaPipe Iris: a 64x64 eye crop (RGB 0..1) -> the eye contour's 16 lid points, x, y, z in
    crop pixels, as one [1, 1, 1, 48] output. What facegate does not read is left out: the model's
    second head, the 5 iris points, with the branch only it needs (198 k of 656 k weights), and
    the contour head's other 55 points (the rings around the eye and the brow: 84 k weights of
    its last convolution)."""
    name = "iris"
    mj = os.path.join(src, "models", "iris.json")
    m = tfjs_to_onnx(mj, os.path.join(work, name + ".raw.onnx"))
    g = m.graph
    print(f"[{name}] raw inputs {[i.name for i in g.input]} outputs {[o.name for o in g.output]}")
    rename_tensor(g, g.input[0].name, "input")
    rename_tensor(g, g.output[0].name, "landmarks")
    set_dim(g.input[0], 0, 1)
    set_dim(g.output[0], 0, 1)
    # the contour head's output feeds the output's Reshape directly, without the iris head's, and
    # its last convolution makes only the lid points' channels (the first LIDS)
    cat = next(n for n in g.node if n.op_type == "Concat" and "contours_and_brows_and_iris" in n.name)
    g.node.remove(cat)
    rename_tensor(g, cat.output[0], cat.input[0])
    keep_output_channels(g, "landmarks", np.arange(LIDS), [-1, 1, 1, LIDS], 3)
    prune(g)
    m = finalize(m)

    ref = TfjsReference(mj)
    # one eye of each LFW image (LFW's 250x250 crops put the eyes near (100, 115) and (150, 115))
    imgs = test_images(64, images, box=(75, 90, 125, 140)) + test_images(64, images, box=(125, 90, 175, 140))[:-3]
    xs = [(im / 255.0)[None].astype(np.float32) for im in imgs]
    s = session(m)
    d = 0.0
    for x in xs:
        (r,) = ref.run(["Identity"], x)
        d = max(d, float(np.abs(ort_run(s, x)["landmarks"].reshape(-1) - r.reshape(-1)[:LIDS]).max()))
    report[name] = {"onnx_fp32_vs_tf_max_abs_diff": d}
    print(f"[{name}] fp32 onnx vs TF(tfjs graph) max abs diff {d:.3g}")
    # tfjs weights are float32 here; outputs are 64x64-crop pixels. int8 kernels move the points by
    # up to about 0.32 px (0.5 % of the crop), well under what a blink changes (the lid gap closes
    # to 0.75 of its usual opening, several pixels); fp16 (0.05 px) only if int8 went past 0.5 px.
    return {name: decide_storage(name, m, xs, {"int8": 0.5, "fp16": 0.05}, report)}


MODELS = {
    "blazeface-front": ("human", convert_blazeface),
    "facemesh": ("human", convert_facemesh),
    "mobilefacenet": ("expo", convert_mobilefacenet),
    "iris": ("human", convert_iris),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--human-models", required=True)
    ap.add_argument("--expo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=None)
    # default: LFW in the shared/ folder beside the checkout (missing images are skipped)
    lfw = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets", "lfw")
    ap.add_argument("--images", nargs="*", default=[
        os.path.join(lfw, "Aaron_Eckhart", "Aaron_Eckhart_0001.jpg")])
    ap.add_argument("--only", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="facegate-convert-")
    os.makedirs(work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    report = {}
    for name in args.only:
        which, fn = MODELS[name]
        src = args.human_models if which == "human" else args.expo
        for stem, m in fn(src, args.out, work, args.images, report).items():
            save(m, stem, args.out, report)
    with open(os.path.join(work, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


def save(m, name, out, report):
    """Writes `name`.onnx into `out` and checks that the written file loads and runs."""
    m.producer_name = "facegate/model/convert.py (tf2onnx 1.16.1)"
    path = os.path.join(out, name + ".onnx")
    onnx.save(m, path)
    s = session(path)
    x = np.zeros([d if isinstance(d, int) else 1 for d in s.get_inputs()[0].shape], np.float32)
    s.run(None, {s.get_inputs()[0].name: x})
    report[name]["io"] = {
        "inputs": [(i.name, i.shape) for i in s.get_inputs()],
        "outputs": [(o.name, o.shape) for o in s.get_outputs()],
    }
    report[name]["bytes"] = os.path.getsize(path)
    print(f"[{name}] wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
