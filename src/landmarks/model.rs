//! Loading the ONNX models into tract and running them.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use tract_onnx::prelude::*;

use super::LandmarkError;

/// Environment variable naming a folder of models to use instead of the built-in ones.
pub const MODELS_DIR_ENV: &str = "FACESYM_MODELS";

/// File names inside a models folder.
const DETECTOR_FILE: &str = "face_detection_short_range.onnx";
const FACE_MESH_FILE: &str = "face_landmark.onnx";
const IRIS_FILE: &str = "iris_landmark.onnx";

/// The models built into the program (models/ at build time; licence in models/NOTICE), so
/// an installed binary needs nothing beside it.
const EMBEDDED: [(&str, &[u8]); 3] = [
    (DETECTOR_FILE, include_bytes!("../../models/face_detection_short_range.onnx")),
    (FACE_MESH_FILE, include_bytes!("../../models/face_landmark.onnx")),
    (IRIS_FILE, include_bytes!("../../models/iris_landmark.onnx")),
];

/// Where one model's ONNX bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelFile {
    /// Built into the program, by file name.
    Embedded(&'static str),
    /// A file on disk.
    Path(PathBuf),
}

impl ModelFile {
    /// The model's bytes.
    fn read(&self) -> Result<Cow<'static, [u8]>, LandmarkError> {
        match self {
            ModelFile::Embedded(name) => EMBEDDED
                .iter()
                .find(|(file, _)| file == name)
                .map(|(_, bytes)| Cow::Borrowed(*bytes))
                .ok_or_else(|| LandmarkError::ModelMissing {
                    path: self.path(),
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            ModelFile::Path(path) => std::fs::read(path)
                .map(Cow::Owned)
                .map_err(|source| LandmarkError::ModelMissing { path: path.clone(), source }),
        }
    }

    /// The file's path, or for a built-in model its name, as errors name it.
    pub fn path(&self) -> PathBuf {
        match self {
            ModelFile::Embedded(name) => PathBuf::from(format!("(built in) {name}")),
            ModelFile::Path(path) => path.clone(),
        }
    }
}

/// Where the three models come from.
#[derive(Clone, Debug)]
pub struct ModelPaths {
    /// BlazeFace short-range detector.
    pub detector: ModelFile,
    /// 468-point face mesh.
    pub face_mesh: ModelFile,
    /// Iris and eye-contour model, one eye at a time.
    pub iris: ModelFile,
}

impl ModelPaths {
    /// The models inside `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            detector: ModelFile::Path(dir.join(DETECTOR_FILE)),
            face_mesh: ModelFile::Path(dir.join(FACE_MESH_FILE)),
            iris: ModelFile::Path(dir.join(IRIS_FILE)),
        }
    }

    /// The models built into the program.
    pub fn embedded() -> Self {
        Self {
            detector: ModelFile::Embedded(DETECTOR_FILE),
            face_mesh: ModelFile::Embedded(FACE_MESH_FILE),
            iris: ModelFile::Embedded(IRIS_FILE),
        }
    }

    /// The folder `$FACESYM_MODELS` names if it is set, else the built-in models.
    pub fn default_paths() -> Self {
        match std::env::var_os(MODELS_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Self::in_dir(Path::new(&dir)),
            _ => Self::embedded(),
        }
    }
}

/// Which operators run a model's layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// tract's own operators throughout (the reference the specialised ones are tested
    /// against).
    Tract,
    /// facesym's operators for 3×3 depthwise convolution, 2×2 max-pool and PReLU where
    /// their shape allows (see `fast_ops`), tract's for the rest. What facesym runs.
    Specialised,
}

/// An ONNX model (its bytes) with its input fixed to `[1, 3, size, size]`, decluttered, given
/// to `runtime` and optimised by tract.
pub fn optimised(onnx: &[u8], size: usize, runtime: Runtime) -> TractResult<TypedModel> {
    let mut model = tract_onnx::onnx()
        .model_for_read(&mut &onnx[..])?
        .with_input_fact(0, f32::fact([1, 3, size, size]).into())?
        .into_typed()?
        .into_decluttered()?;
    if runtime == Runtime::Specialised {
        super::fast_ops::specialise(&mut model)?;
    }
    model.into_optimized()
}

/// A model optimised for one fixed NCHW input shape, with its run state kept between frames.
/// Clones share the optimised plan and get their own state (one per thread).
#[derive(Clone)]
pub(crate) struct OnnxModel {
    name: &'static str,
    state: TypedSimpleState,
    input_shape: [usize; 4],
}

impl OnnxModel {
    /// Loads `file`, fixes the input to `[1, 3, size, size]` and checks that the outputs have
    /// `output_lens` elements each, in order.
    pub(crate) fn load(
        name: &'static str,
        file: &ModelFile,
        size: usize,
        output_lens: &[usize],
    ) -> Result<Self, LandmarkError> {
        let bytes = file.read()?;
        let path = file.path();
        let invalid = |e: TractError| LandmarkError::ModelInvalid {
            path: path.clone(),
            reason: format!("{e:#}"),
        };
        let input_shape = [1, 3, size, size];
        let model = optimised(&bytes, size, Runtime::Specialised).map_err(invalid)?;
        let outputs: Vec<usize> = (0..model.outputs.len())
            .map(|i| {
                let fact = model.output_fact(i)?;
                Ok(fact.shape.as_concrete().map_or(0, |s| s.iter().product()))
            })
            .collect::<TractResult<_>>()
            .map_err(invalid)?;
        if outputs != output_lens {
            return Err(LandmarkError::ModelInvalid {
                path,
                reason: format!("outputs have {outputs:?} elements, expected {output_lens:?}"),
            });
        }
        let plan = model.into_runnable().map_err(invalid)?;
        let state = TypedSimpleState::new(&plan).map_err(invalid)?;
        Ok(Self { name, state, input_shape })
    }

    /// Runs on an NCHW input of the loaded shape (read it back with [`floats`]).
    pub(crate) fn run(&mut self, input: &[f32]) -> Result<TVec<TValue>, LandmarkError> {
        let name = self.name;
        let failed =
            |e: TractError| LandmarkError::Inference { model: name, reason: format!("{e:#}") };
        let tensor = Tensor::from_shape(&self.input_shape, input).map_err(failed)?;
        self.state.run(tvec!(tensor.into())).map_err(failed)
    }
}

/// The f32 elements of a model output.
pub(crate) fn floats<'a>(
    model: &'static str,
    value: &'a TValue,
) -> Result<&'a [f32], LandmarkError> {
    f32_values(value).map_err(|e| LandmarkError::Inference { model, reason: format!("{e:#}") })
}

/// The f32 elements of a tensor, for code that answers in tract's errors (our operators).
pub(crate) fn f32_values(value: &TValue) -> TractResult<&[f32]> {
    value.try_as_plain_ram()?.as_slice::<f32>()
}

/// The logistic function, turning a model's logit into a probability.
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
