//! Times MobileFaceNet's 1x1-convolution matrix products (every one of a pass, with its
//! shape) through tract, once with f32 operands (what facegate runs), once as ONNX
//! `MatMulInteger` (int8 operands, i32 results) and once with f16 operands, in one process.
//! Prints one JSON line: medians of the passes and the ratios to f32.
//!
//! `bash tests/bench/kernels/run.sh` runs it natively and in Node's V8 (wasm32-wasip1, simd128).

use std::time::Instant;
use tract_onnx::pb::{
    tensor_proto::DataType, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, ValueInfoProto,
};
use tract_onnx::prelude::*;

/// (channels out, channels in, pixels, how many times a pass has it): MobileFaceNet at
/// 112x112, as tract's optimised plan lists them (the stem's 3x3 as im2col, the last two the
/// 7x7 global depthwise's 1x1 and the embedding).
const SHAPES: [(usize, usize, usize, usize); 15] = [
    (64, 27, 3136, 1),
    (64, 64, 3136, 1),
    (128, 64, 3136, 1),
    (64, 128, 784, 5),
    (128, 64, 784, 4),
    (256, 64, 784, 1),
    (128, 256, 196, 7),
    (256, 128, 196, 6),
    (512, 128, 196, 1),
    (128, 512, 49, 1),
    (256, 128, 49, 2),
    (128, 256, 49, 2),
    (512, 128, 49, 1),
    (512, 512, 1, 1),
    (192, 512, 1, 1),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    F32,
    Int8,
    F16,
}

fn value(name: &str, dt: DataType, dims: &[usize]) -> ValueInfoProto {
    use tract_onnx::pb::{tensor_shape_proto::dimension::Value, tensor_shape_proto::Dimension, type_proto};
    let dim =
        dims.iter().map(|&d| Dimension { value: Some(Value::DimValue(d as i64)), ..Default::default() }).collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(tract_onnx::pb::TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: dt as i32,
                shape: Some(tract_onnx::pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `y[pixels, out] = x[pixels, in] · w[in, out]` with `w` a constant, in the kind's types.
fn product(kind: Kind, out: usize, inp: usize, pixels: usize) -> TractResult<Arc<TypedRunnableModel>> {
    let (dt, out_dt, op, bytes): (DataType, DataType, &str, Vec<u8>) = match kind {
        Kind::F32 => (
            DataType::Float,
            DataType::Float,
            "MatMul",
            (0..inp * out).flat_map(|i| ((i % 7) as f32 * 0.01).to_le_bytes()).collect(),
        ),
        Kind::Int8 => {
            (DataType::Int8, DataType::Int32, "MatMulInteger", (0..inp * out).map(|i| (i % 7) as u8).collect())
        }
        Kind::F16 => (
            DataType::Float16,
            DataType::Float16,
            "MatMul",
            (0..inp * out).flat_map(|i| f16::from_f32((i % 7) as f32 * 0.01).to_le_bytes()).collect(),
        ),
    };
    let w = TensorProto {
        name: "w".into(),
        dims: vec![inp as i64, out as i64],
        data_type: dt as i32,
        raw_data: bytes,
        ..Default::default()
    };
    let node = NodeProto {
        op_type: op.into(),
        input: vec!["x".into(), "w".into()],
        output: vec!["y".into()],
        ..Default::default()
    };
    let graph = GraphProto {
        node: vec![node],
        initializer: vec![w],
        input: vec![value("x", dt, &[pixels, inp])],
        output: vec![value("y", out_dt, &[pixels, out])],
        ..Default::default()
    };
    let proto = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: "".into(), version: 13 }],
        graph: Some(graph),
        ..Default::default()
    };
    tract_onnx::onnx().model_for_proto_model(&proto)?.into_optimized()?.into_runnable()
}

fn input(kind: Kind, inp: usize, pixels: usize) -> TValue {
    let n = inp * pixels;
    match kind {
        Kind::F32 => tensor1(&(0..n).map(|i| (i % 5) as f32 * 0.1).collect::<Vec<_>>()),
        Kind::Int8 => tensor1(&(0..n).map(|i| (i % 5) as i8).collect::<Vec<_>>()),
        Kind::F16 => tensor1(&(0..n).map(|i| f16::from_f32((i % 5) as f32 * 0.1)).collect::<Vec<_>>()),
    }
    .into_shape(&[pixels, inp])
    .unwrap()
    .into_tvalue()
}

/// Median milliseconds of `passes` passes over every product of the network.
fn time(kind: Kind, passes: usize) -> TractResult<f64> {
    let plans = SHAPES
        .iter()
        .map(|&(out, inp, pixels, count)| Ok((product(kind, out, inp, pixels)?, input(kind, inp, pixels), count)))
        .collect::<TractResult<Vec<_>>>()?;
    let pass = || -> TractResult<f64> {
        let start = Instant::now();
        for (plan, x, count) in &plans {
            for _ in 0..*count {
                plan.run(tvec!(x.clone()))?;
            }
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    };
    pass()?;
    Ok(median((0..passes).map(|_| pass()).collect::<TractResult<Vec<_>>>()?))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> TractResult<()> {
    let passes: usize = std::env::args().nth(1).map_or(Ok(15), |s| s.parse())?;
    let macs: usize = SHAPES.iter().map(|&(o, i, p, c)| o * i * p * c).sum();
    // Interleaved rounds, so a slower moment of the machine falls on every kind alike.
    let mut rounds = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..3 {
        for (r, kind) in rounds.iter_mut().zip([Kind::F32, Kind::Int8, Kind::F16]) {
            r.push(time(kind, passes)?);
        }
    }
    let [f32_ms, int8_ms, f16_ms] = rounds.map(median);
    println!(
        "{{\"target\":\"{}\",\"macs\":{macs},\"passes\":{passes},\"f32Ms\":{f32_ms:.2},\"int8Ms\":{int8_ms:.2},\"f16Ms\":{f16_ms:.2},\"int8OverF32\":{:.2},\"f16OverF32\":{:.2}}}",
        std::env::consts::ARCH,
        int8_ms / f32_ms,
        f16_ms / f32_ms
    );
    Ok(())
}
