//! The bundled ONNX models, their SHA-256 digests, and loading them into tract once.

mod channels_last;
mod fold;
mod prelu;

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

/// The ONNX files shipped in `model/` and compiled into the library: `static`s, so each is in
/// the binary once however many places use it (a `const` was copied per use: 2.7 MB each).
pub mod bundled {
    /// BlazeFace short range (front camera), 128x128: boxes and 6 keypoints.
    pub static BLAZEFACE_FRONT: &[u8] = include_bytes!("../../model/blazeface-front.onnx");
    /// MediaPipe FaceMesh, 192x192: the 26 of its 468 landmarks facegate reads
    /// ([`crate::READ_POINTS`]) and the face-presence flag.
    pub static FACEMESH: &[u8] = include_bytes!("../../model/facemesh.onnx");
    /// MediaPipe Iris, 64x64 eye crop: the eye contour's 16 lid points.
    pub static IRIS: &[u8] = include_bytes!("../../model/iris.onnx");
    /// MobileFaceNet (sirius-ai weights), 112x112 → 192-d embedding.
    pub static MOBILEFACENET: &[u8] = include_bytes!("../../model/mobilefacenet.onnx");

    /// SHA-256 of [`MOBILEFACENET`], as recorded in `model/SHA256SUMS` (a test hashes the bytes
    /// and compares): hashing 2.7 MB at every start is noticeable in wasm.
    pub fn mobilefacenet_sha256() -> &'static str {
        "5bd91d22ed7ba7e212ba0b47d8a4ff860b10e9dc009e11d234e2d773315f3eda"
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// How tract lays out a model's tensors when it optimises the graph.
///
/// tract's `ChangeAxes` pass searches the graph for axis changes that remove transposes: it
/// moves MobileFaceNet's input transpose through the whole network, which then runs
/// channels-last (its depthwise convolutions are 10 % faster so in wasm); in BlazeFace it
/// changes only the output heads, in FaceMesh nothing. The search is the costliest part of
/// loading, so only SFace and Iris still get it: BlazeFace and FaceMesh load as written, and
/// MobileFaceNet is written channels-last by `channels_last.rs` before tract reads it. The
/// outputs are the same bit for bit in every layout, and so is each model's speed; in Node the
/// first `FaceVerifier.create` of a process went from about 0.98 to 0.88 s with BlazeFace and
/// FaceMesh as written, and from 0.43-0.45 to 0.38 s more with MobileFaceNet rewritten and the
/// weight folding copying less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Whatever tract's full optimisation picks (channels-last for these models).
    Optimised,
    /// As the ONNX file has it: tract's `ChangeAxes` pass is left out.
    AsWritten,
    /// Rewritten channels-last by facegate before tract reads it (`channels_last.rs`), without
    /// tract's `ChangeAxes` pass; `Optimised` for a graph the rewrite does not apply to.
    ChannelsLast,
}

impl Layout {
    /// tract's declutter passes for this layout.
    fn declutter(self) -> tract_onnx::tract_core::optim::Optimizer {
        let mut optimizer = tract_onnx::tract_core::optim::Optimizer::declutter();
        if self != Layout::Optimised {
            optimizer.passes.retain(|pass| !format!("{pass:?}").starts_with("ChangeAxes"));
        }
        optimizer
    }
}

/// An ONNX model with one NHWC f32 input, optimised for its fixed input shape and ready to run.
#[derive(Clone)]
pub(crate) struct OnnxModel {
    name: &'static str,
    plan: Arc<TypedRunnableModel>,
    side: usize,
}

impl OnnxModel {
    /// Parses and optimises a model taking `[1, side, side, 3]`.
    pub(crate) fn load(name: &'static str, bytes: &[u8], side: usize, layout: Layout) -> Result<Self> {
        let proto = tract_onnx::onnx_cnn().proto_model_for_read(&mut &*bytes).map_err(|e| Error::model(name, e))?;
        Self::from_proto(name, proto, side, layout)
    }

    /// [`OnnxModel::load`] from the parsed protobuf. The loader knows only the operators of
    /// convolutional image models (`tract_onnx::onnx_cnn`, see `vendor/tract-onnx/PATCHED.md`):
    /// a model using another one is refused with an error naming it.
    fn from_proto(
        name: &'static str,
        mut proto: tract_onnx::pb::ModelProto,
        side: usize,
        layout: Layout,
    ) -> Result<Self> {
        let onnx = tract_onnx::onnx_cnn();
        let known = &onnx.op_register.0;
        if let Some(node) = proto.graph.iter().flat_map(|g| &g.node).find(|n| !known.contains_key(&n.op_type)) {
            let mut ops: Vec<&str> = known.keys().map(String::as_str).collect();
            ops.sort_unstable();
            return Err(Error::model(
                name,
                format!("operator {} is not supported; facegate loads only {}", node.op_type, ops.join(", ")),
            ));
        }
        fold::fold_weights(&mut proto);
        prelu::expand_prelu(&mut proto);
        let layout = match layout {
            Layout::ChannelsLast if !channels_last::rewrite(&mut proto) => Layout::Optimised,
            layout => layout,
        };
        let plan = onnx
            .model_for_proto_model(&proto)
            .and_then(|m| m.with_input_fact(0, f32::fact([1, side, side, 3]).into()))
            .and_then(|m| m.into_typed())
            .and_then(|mut m| {
                layout.declutter().optimize(&mut m)?;
                m.optimize()?;
                Ok(m)
            })
            .and_then(|m| m.into_runnable())
            .map_err(|e| Error::model(name, e))?;
        Ok(OnnxModel { name, plan, side })
    }

    /// Side of the square input, in pixels.
    pub(crate) fn side(&self) -> usize {
        self.side
    }

    /// Runs on one `side x side` RGB image (already normalised, HWC order) and returns every
    /// output flattened.
    pub(crate) fn run(&self, hwc: Vec<f32>) -> Result<Vec<Vec<f32>>> {
        let input = Tensor::from_shape(&[1, self.side, self.side, 3], &hwc).map_err(|e| Error::model(self.name, e))?;
        let outputs = self.plan.run(tvec!(input.into_tvalue())).map_err(|e| Error::model(self.name, e))?;
        outputs
            .iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| Error::model(self.name, e))?;
                let view = t.to_plain_array_view::<f32>().map_err(|e| Error::model(self.name, e))?;
                Ok(view.iter().copied().collect())
            })
            .collect()
    }

    /// Checks the number of outputs and the length of output `index`.
    pub(crate) fn expect_len<'a>(&self, outputs: &'a [Vec<f32>], index: usize, len: usize) -> Result<&'a [f32]> {
        match outputs.get(index) {
            Some(v) if v.len() == len => Ok(v),
            Some(v) => Err(Error::model(self.name, format!("output {index} has {} values, expected {len}", v.len()))),
            None => Err(Error::model(self.name, format!("missing output {index}"))),
        }
    }
}

/// An ONNX node running `op_type` on `input` into `output`, named after its output (for the
/// graph rewrites).
fn node(op_type: &str, input: &[&str], output: String) -> tract_onnx::pb::NodeProto {
    tract_onnx::pb::NodeProto {
        name: output.clone(),
        op_type: op_type.into(),
        input: input.iter().map(|s| s.to_string()).collect(),
        output: vec![output],
        ..Default::default()
    }
}

/// What the graph-rewrite tests share.
#[cfg(test)]
mod testing {
    use tract_onnx::pb::ModelProto;
    use tract_onnx::prelude::*;

    /// How many nodes of `proto` run `op`.
    pub(super) fn count(proto: &ModelProto, op: &str) -> usize {
        proto.graph.as_ref().unwrap().node.iter().filter(|n| n.op_type == op).count()
    }

    /// The outputs of `proto`, optimised by tract, on a fixed pseudo-random input in [-1, 1].
    pub(super) fn run(proto: &ModelProto, side: usize) -> Vec<Tensor> {
        let input: Vec<f32> = (0..side * side * 3).map(|i| ((i * 7919) % 255) as f32 / 127.5 - 1.0).collect();
        let plan = tract_onnx::onnx_cnn()
            .model_for_proto_model(proto)
            .and_then(|m| m.with_input_fact(0, f32::fact([1, side, side, 3]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .unwrap();
        let input = Tensor::from_shape(&[1, side, side, 3], &input).unwrap();
        plan.run(tvec!(input.into_tvalue())).unwrap().into_iter().map(|t| t.into_tensor()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_models_match_the_recorded_digests() {
        let sums = include_str!("../../model/SHA256SUMS");
        for (file, bytes) in [
            ("blazeface-front.onnx", bundled::BLAZEFACE_FRONT),
            ("facemesh.onnx", bundled::FACEMESH),
            ("mobilefacenet.onnx", bundled::MOBILEFACENET),
            ("iris.onnx", bundled::IRIS),
        ] {
            let line = sums.lines().find(|l| l.ends_with(file)).unwrap_or_else(|| panic!("{file} not in SHA256SUMS"));
            assert!(line.starts_with(&sha256_hex(bytes)), "{file}: digest differs from SHA256SUMS");
        }
        assert_eq!(bundled::mobilefacenet_sha256(), sha256_hex(bundled::MOBILEFACENET));
    }

    #[test]
    fn an_operator_outside_the_cnn_set_is_a_model_error_naming_it() {
        let mut proto = tract_onnx::onnx_cnn().proto_model_for_read(&mut &*bundled::BLAZEFACE_FRONT).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        let relu = graph.node.iter_mut().find(|n| n.op_type == "Relu").unwrap();
        relu.op_type = "Erf".into();
        let err = OnnxModel::from_proto("edited", proto, 128, Layout::Optimised).err().unwrap();
        assert!(matches!(err, Error::Model { name: "edited", .. }), "{err}");
        assert!(err.to_string().contains("operator Erf is not supported"), "{err}");
    }

    #[test]
    fn the_layout_as_written_leaves_out_only_the_axis_pass_and_changes_no_output() {
        let names = |layout: Layout| layout.declutter().passes.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>();
        let (all, as_written) = (names(Layout::Optimised), names(Layout::AsWritten));
        assert_eq!(all.len(), as_written.len() + 1, "{all:?}");
        assert!(
            all.iter().any(|p| p.starts_with("ChangeAxes")) && !as_written.iter().any(|p| p.starts_with("ChangeAxes"))
        );
        // BlazeFace, whose output heads the pass lays out differently (FaceMesh it leaves alone)
        let image: Vec<f32> = (0..128 * 128 * 3).map(|i| ((i * 7919) % 251) as f32 / 125.0 - 1.0).collect();
        let outputs = |layout| {
            OnnxModel::load("blazeface", bundled::BLAZEFACE_FRONT, 128, layout).unwrap().run(image.clone()).unwrap()
        };
        assert_eq!(outputs(Layout::Optimised), outputs(Layout::AsWritten));
    }

    #[test]
    fn mobilefacenet_rewritten_channels_last_gives_the_optimised_embedding() {
        let face: Vec<f32> = (0..112 * 112 * 3).map(|i| ((i * 7919) % 251) as f32 / 125.0 - 1.0).collect();
        let embedding = |layout| {
            OnnxModel::load("mobilefacenet", bundled::MOBILEFACENET, 112, layout).unwrap().run(face.clone()).unwrap()
        };
        assert_eq!(embedding(Layout::ChannelsLast), embedding(Layout::Optimised));
    }

    #[test]
    fn garbage_model_bytes_are_a_model_error() {
        let err = OnnxModel::load("junk", b"definitely not onnx", 8, Layout::Optimised).err().unwrap();
        assert!(matches!(err, Error::Model { name: "junk", .. }), "{err}");
    }
}
