//! Rewriting a channels-first ONNX graph behind an NHWC input to run channels-last, before tract
//! reads it.
//!
//! ONNX convolutions are channels-first, so a converter from TensorFlow puts one `Transpose`
//! between the NHWC input and the first convolution. tract's `ChangeAxes` pass moves that
//! transpose through the graph one operator at a time until every convolution runs channels-last
//! (MobileFaceNet's depthwise convolutions are 10 % faster so in wasm), and that pass is the
//! largest part of loading a model. Here the same layout is written into the graph in one walk:
//! the input's transpose goes, each convolution reading a channels-last tensor gets the
//! `data_format = "NHWC"` attribute that facegate's copy of tract-onnx reads
//! (`vendor/tract-onnx/PATCHED.md`), and each element-wise operator whose constants hold one
//! value per channel (or one in all) follows it, with those constants laid out channels-last.
//! Any other operator gets its channels-first input back through a `Transpose`, which is exact:
//! the rewritten graph computes the same values.

use super::fold::FLOAT;
use super::node;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};

/// Element-wise operators: each output value depends only on the same position of the inputs.
const ELEMENT_WISE: &[&str] = &["Abs", "Add", "Clip", "Div", "Mul", "Neg", "PRelu", "Relu", "Sigmoid", "Sub", "Tanh"];

/// Channels-last to channels-first.
const TO_NCHW: [i64; 4] = [0, 3, 1, 2];

/// Rewrites `proto` channels-last when its one input feeds only a `Transpose` to NCHW; returns
/// whether it did (otherwise `proto` is unchanged).
pub(super) fn rewrite(proto: &mut ModelProto) -> bool {
    let Some(GraphProto { node: graph_nodes, initializer, input: graph_inputs, output, value_info, .. }) =
        proto.graph.as_mut()
    else {
        return false;
    };
    let initializers: HashMap<&str, &TensorProto> = initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    let inputs: Vec<&str> =
        graph_inputs.iter().map(|i| i.name.as_str()).filter(|name| !initializers.contains_key(*name)).collect();
    let [input] = inputs[..] else { return false };
    let readers: Vec<&NodeProto> = graph_nodes.iter().filter(|n| n.input.iter().any(|i| i == input)).collect();
    let [transpose] = readers[..] else { return false };
    if transpose.op_type != "Transpose" || perm(transpose) != Some(TO_NCHW.to_vec()) || transpose.output.len() != 1 {
        return false;
    }
    let (input, transposed) = (input.to_string(), transpose.output[0].clone());

    // Tensors that are channels-last; every other activation is as the ONNX file has it.
    let mut nhwc: HashSet<String> = HashSet::from([transposed.clone()]);
    let rename: HashMap<String, String> = HashMap::from([(transposed.clone(), input)]);
    let mut back: HashMap<String, String> = HashMap::new(); // channels-last tensor → its NCHW transpose
    let mut relaid: HashMap<String, TensorProto> = HashMap::new();
    let mut nodes = Vec::with_capacity(graph_nodes.len());
    for mut node in std::mem::take(graph_nodes) {
        if node.output.first() == Some(&transposed) {
            continue;
        }
        let reads_nhwc = node.input.iter().any(|i| nhwc.contains(i));
        let constants_follow = || {
            node.input.iter().all(|i| {
                i.is_empty() || nhwc.contains(i) || initializers.get(i.as_str()).is_some_and(|t| per_channel(t))
            })
        };
        if node.op_type == "Conv"
            && node.input.first().is_some_and(|i| nhwc.contains(i))
            && attribute(&node, "data_format").is_none()
        {
            node.attribute.push(AttributeProto {
                name: "data_format".into(),
                r#type: AttributeType::String as i32,
                s: b"NHWC".to_vec(),
                ..Default::default()
            });
            nhwc.extend(node.output.iter().cloned());
        } else if reads_nhwc && ELEMENT_WISE.contains(&node.op_type.as_str()) && constants_follow() {
            for name in &mut node.input {
                if let Some(t) = initializers.get(name.as_str()) {
                    let moved = relaid.entry(name.clone()).or_insert_with(|| channels_last(t));
                    *name = moved.name.clone();
                }
            }
            nhwc.extend(node.output.iter().cloned());
        } else {
            for name in node.input.iter_mut().filter(|i| nhwc.contains(*i)) {
                let nchw = back.entry(name.clone()).or_insert_with(|| {
                    let out = format!("{name}.nchw");
                    nodes.push(to_nchw(rename.get(name).unwrap_or(name), out.clone()));
                    out
                });
                *name = nchw.clone();
            }
        }
        for name in &mut node.input {
            if let Some(renamed) = rename.get(name) {
                *name = renamed.clone();
            }
        }
        nodes.push(node);
    }
    // Graph outputs keep their layout: a channels-last one is transposed back under its name.
    for output in output.iter() {
        if nhwc.contains(&output.name) {
            let inner = format!("{}.nhwc", output.name);
            for name in nodes.iter_mut().flat_map(|n| n.input.iter_mut().chain(n.output.iter_mut())) {
                if *name == output.name {
                    name.clone_from(&inner);
                }
            }
            nodes.push(to_nchw(&inner, output.name.clone()));
        }
    }
    // Shapes the file records are channels-first: tract infers them again.
    value_info.retain(|v| !nhwc.contains(&v.name));
    *graph_nodes = nodes;
    initializer.extend(relaid.into_values());
    true
}

/// A `Transpose` of the channels-last `input` into the channels-first `output`.
fn to_nchw(input: &str, output: String) -> NodeProto {
    let perm = AttributeProto {
        name: "perm".into(),
        r#type: AttributeType::Ints as i32,
        ints: TO_NCHW.to_vec(),
        ..Default::default()
    };
    NodeProto { attribute: vec![perm], ..node("Transpose", &[input], output) }
}

fn attribute<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn perm(node: &NodeProto) -> Option<Vec<i64>> {
    attribute(node, "perm").map(|a| a.ints.clone())
}

/// Whether an f32 constant broadcasts the same channels-first and channels-last once its
/// channel axis is moved last: one value, or one per channel (`[1, C, 1, 1]` or `[C, 1, 1]`).
fn per_channel(t: &TensorProto) -> bool {
    let volume: i64 = t.dims.iter().product();
    let channel = match t.dims.len() {
        4 => 1,
        3 => 0,
        _ => return t.data_type == FLOAT && volume == 1,
    };
    t.data_type == FLOAT && t.dims.iter().enumerate().all(|(i, &d)| i == channel || d == 1)
}

/// `t` with its channel axis moved last, under a new name (the values keep their order: only the
/// channel axis is longer than one).
fn channels_last(t: &TensorProto) -> TensorProto {
    let mut dims = t.dims.clone();
    if dims.len() >= 3 {
        let channel = dims.len() - 3;
        let c = dims.remove(channel);
        dims.push(c);
    }
    TensorProto { name: format!("{}.nhwc", t.name), dims, ..t.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{count, run};
    use crate::model::{bundled, fold::fold_weights, prelu::expand_prelu};
    use tract_onnx::prelude::*;

    fn parse(bytes: &[u8]) -> ModelProto {
        let mut proto = tract_onnx::onnx_cnn().proto_model_for_read(&mut &*bytes).unwrap();
        fold_weights(&mut proto);
        expand_prelu(&mut proto);
        proto
    }

    fn channels_last_convolutions(proto: &ModelProto) -> usize {
        let graph = proto.graph.as_ref().unwrap();
        graph
            .node
            .iter()
            .filter(|n| n.op_type == "Conv" && attribute(n, "data_format").is_some_and(|a| a.s == b"NHWC"))
            .count()
    }

    #[test]
    fn the_rewritten_bundled_models_give_the_same_outputs() {
        // (model, side, convolutions, of them channels-last, transposes after the rewrite)
        for (bytes, side, convs, nhwc, transposes) in [
            // all but the two after the flattening Reshape, which gets its input channels-first
            (bundled::MOBILEFACENET, 112, 52, 50, 1),
            // up to the first max pooling (FaceMesh) or padding (Iris)
            (bundled::FACEMESH, 192, 45, 7, 2),
            (bundled::IRIS, 64, 56, 16, 2),
        ] {
            let plain = parse(bytes);
            let mut rewritten = plain.clone();
            assert!(rewrite(&mut rewritten));
            assert_eq!((count(&plain, "Conv"), count(&plain, "Transpose")), (convs, 1));
            assert_eq!((channels_last_convolutions(&rewritten), count(&rewritten, "Transpose")), (nhwc, transposes));
            assert_eq!(run(&plain, side), run(&rewritten, side), "outputs differ");
        }
    }

    #[test]
    fn a_graph_whose_input_is_read_otherwise_is_left_alone() {
        let mut permuted = parse(bundled::MOBILEFACENET);
        let graph = permuted.graph.as_mut().unwrap();
        let transpose = graph.node.iter_mut().find(|n| n.op_type == "Transpose").unwrap();
        transpose.attribute[0].ints = vec![0, 3, 2, 1];
        let mut read_twice = parse(bundled::MOBILEFACENET);
        let graph = read_twice.graph.as_mut().unwrap();
        graph.node.push(NodeProto {
            op_type: "Relu".into(),
            input: vec![graph.input[0].name.clone()],
            output: vec!["unused".into()],
            ..Default::default()
        });
        for proto in [&mut permuted, &mut read_twice] {
            let before = proto.clone();
            assert!(!rewrite(proto));
            assert_eq!(*proto, before);
        }
    }
}
