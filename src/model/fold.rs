//! Folding the bundled models' stored weights into f32 before tract reads the graph.
//!
//! The ONNX files store weights compactly (see `model/README.md`): fp16 behind a `Cast`, or int8
//! behind a `Cast` and a `Mul` by one f32 scale per output channel. tract would fold these
//! constant subgraphs itself, but its inference-time `Mul` on constants is slow (about 60 ms of
//! MobileFaceNet's load natively, several times that in wasm); done here in plain loops it takes
//! about a millisecond and gives the same f32 values bit for bit.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{ModelProto, NodeProto, TensorProto};
use tract_onnx::prelude::f16;

/// ONNX element type numbers.
pub(super) const FLOAT: i32 = 1;
const INT8: i32 = 3;
const FLOAT16: i32 = 10;

/// A constant's shape and f32 values.
#[derive(Clone)]
pub(super) struct Constant {
    pub(super) dims: Vec<i64>,
    pub(super) values: Vec<f32>,
}

/// Replaces every `Cast` to f32 of an fp16 or int8 initializer, and every `Mul` of two such
/// constants where the second is a scalar or one value per index of the first's axis 0, by an
/// f32 initializer; initializers nothing reads any more are dropped, with their graph-input
/// entries (older ONNX files list initializers as inputs too). Anything else is left to tract.
pub(super) fn fold_weights(proto: &mut ModelProto) {
    let Some(graph) = proto.graph.as_mut() else { return };
    let initializers: HashMap<&str, &TensorProto> = graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut folded: HashMap<String, Constant> = HashMap::new();
    let mut kept = Vec::with_capacity(graph.node.len());
    for node in &graph.node {
        let lookup = |name: &str| {
            folded
                .get(name)
                .map(Cow::Borrowed)
                .or_else(|| initializers.get(name).and_then(|t| widen(t)).map(Cow::Owned))
        };
        let constant = match (node.op_type.as_str(), node.input.as_slice()) {
            ("Cast", [input]) if casts_to_f32(node) => initializers.get(input.as_str()).and_then(|t| widen(t)),
            ("Mul", [a, b]) => lookup(a).zip(lookup(b)).and_then(|(a, b)| scale_axis0(&a, &b)),
            _ => None,
        };
        match (constant, node.output.as_slice()) {
            (Some(c), [out]) => {
                folded.insert(out.clone(), c);
            }
            _ => kept.push(node.clone()),
        }
    }
    let read: HashSet<&str> =
        kept.iter().flat_map(|n| &n.input).chain(graph.output.iter().map(|o| &o.name)).map(String::as_str).collect();
    let (mut initializer, dropped): (Vec<TensorProto>, Vec<TensorProto>) =
        std::mem::take(&mut graph.initializer).into_iter().partition(|t| read.contains(t.name.as_str()));
    let dropped: HashSet<&str> = dropped.iter().map(|t| t.name.as_str()).collect();
    graph.input.retain(|i| !dropped.contains(i.name.as_str()));
    initializer.extend(folded.into_iter().filter(|(name, _)| read.contains(name.as_str())).map(|(name, c)| {
        TensorProto { name, dims: c.dims, data_type: FLOAT, raw_data: le_bytes(&c.values), ..Default::default() }
    }));
    graph.node = kept;
    graph.initializer = initializer;
}

/// `values` as little-endian bytes.
pub(super) fn le_bytes(values: &[f32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 * values.len());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// Whether `node` is a `Cast` to f32.
fn casts_to_f32(node: &NodeProto) -> bool {
    node.attribute.iter().any(|a| a.name == "to" && a.i == FLOAT as i64)
}

/// An f32, fp16 or int8 initializer stored as raw little-endian bytes, as f32 values.
pub(super) fn widen(t: &TensorProto) -> Option<Constant> {
    let len: i64 = t.dims.iter().product();
    let values: Vec<f32> = match t.data_type {
        FLOAT => t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        FLOAT16 => {
            t.raw_data.chunks_exact(2).map(|b| f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32()).collect()
        }
        INT8 => t.raw_data.iter().map(|&b| b as i8 as f32).collect(),
        _ => return None,
    };
    (values.len() as i64 == len && len > 0).then(|| Constant { dims: t.dims.clone(), values })
}

/// `a * b` where `b` is one value, or one value per index of `a`'s axis 0 (shape `[n, 1, …]` of
/// the same rank).
fn scale_axis0(a: &Constant, b: &Constant) -> Option<Constant> {
    let rows = *a.dims.first()? as usize;
    let per_row = b.dims.len() == a.dims.len() && b.dims[0] as usize == rows && b.dims[1..].iter().all(|&d| d == 1);
    let values = match b.values.len() {
        1 if b.dims.len() <= a.dims.len() => a.values.iter().map(|x| x * b.values[0]).collect(),
        _ if per_row && rows > 0 => {
            let mut values = Vec::with_capacity(a.values.len());
            for (r, s) in a.values.chunks_exact(a.values.len() / rows).zip(&b.values) {
                values.extend(r.iter().map(|x| x * s));
            }
            values
        }
        _ => return None,
    };
    Some(Constant { dims: a.dims.clone(), values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bundled;
    use crate::model::testing::{count, run};
    use tract_onnx::prelude::*;

    #[test]
    fn folding_removes_the_dequantisation_and_changes_no_output() {
        // (model, side, Casts, Muls, Muls that dequantise a weight)
        for (bytes, side, casts, muls, dequantise) in [
            (bundled::BLAZEFACE_FRONT, 128, 56, 0, 0),
            (bundled::FACEMESH, 192, 92, 45, 45),
            (bundled::MOBILEFACENET, 112, 137, 85, 52),
        ] {
            let plain = tract_onnx::onnx_cnn().proto_model_for_read(&mut &*bytes).unwrap();
            assert_eq!((count(&plain, "Cast"), count(&plain, "Mul")), (casts, muls));
            let mut folded = plain.clone();
            fold_weights(&mut folded);
            assert_eq!(count(&folded, "Cast"), 0);
            assert_eq!(count(&folded, "Mul"), muls - dequantise);
            let graph = folded.graph.as_ref().unwrap();
            assert!(graph.initializer.iter().all(|t| t.data_type != FLOAT16 && t.data_type != INT8));
            assert_eq!(run(&folded, side), run(&plain, side), "outputs differ");
        }
    }

    #[test]
    fn a_folded_initializer_listed_as_an_input_leaves_the_inputs() {
        use tract_onnx::pb::{AttributeProto, GraphProto, ValueInfoProto};
        let value = |name: &str| ValueInfoProto { name: name.into(), ..Default::default() };
        let weight = TensorProto {
            name: "w16".into(),
            dims: vec![2],
            data_type: FLOAT16,
            raw_data: [1.5f32, -2.0].iter().flat_map(|v| f16::from_f32(*v).to_bits().to_le_bytes()).collect(),
            ..Default::default()
        };
        let node = |op: &str, input: &[&str], output: &str, attribute| NodeProto {
            op_type: op.into(),
            input: input.iter().map(|i| i.to_string()).collect(),
            output: vec![output.into()],
            attribute,
            ..Default::default()
        };
        let to_f32 = vec![AttributeProto { name: "to".into(), i: FLOAT as i64, ..Default::default() }];
        let mut proto = ModelProto {
            graph: Some(GraphProto {
                node: vec![node("Cast", &["w16"], "w", to_f32), node("Mul", &["input", "w"], "out", vec![])],
                initializer: vec![weight],
                input: vec![value("input"), value("w16")],
                output: vec![value("out")],
                ..Default::default()
            }),
            ..Default::default()
        };
        fold_weights(&mut proto);
        let graph = proto.graph.unwrap();
        assert_eq!(graph.input.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["input"]);
        assert_eq!(graph.node.len(), 1);
        let w = widen(&graph.initializer[0]).unwrap();
        assert_eq!((graph.initializer.len(), graph.initializer[0].name.as_str(), w.values), (1, "w", vec![1.5, -2.0]));
    }

    #[test]
    fn a_scale_along_another_axis_is_left_to_tract() {
        let a = Constant { dims: vec![2, 3], values: vec![1.0; 6] };
        let last = Constant { dims: vec![3], values: vec![2.0; 3] };
        let first = Constant { dims: vec![2, 1], values: vec![2.0, 3.0] };
        assert!(scale_axis0(&a, &last).is_none());
        assert_eq!(scale_axis0(&a, &first).unwrap().values, [2.0, 2.0, 2.0, 3.0, 3.0, 3.0]);
    }
}
