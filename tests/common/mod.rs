//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use facesym::landmarks::{FaceLandmarker, ModelPaths};
use serde::Deserialize;

/// The repository's models folder.
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The models in the repository's models folder.
pub fn models() -> ModelPaths {
    ModelPaths::in_dir(&models_dir())
}

/// A loaded landmarker as the app uses it (detector, face mesh, iris model's lids).
/// Loaded once per test binary and cloned: a clone shares the optimised models and has its
/// own state, exactly as a fresh load.
pub fn landmarker() -> FaceLandmarker {
    static LOADED: OnceLock<Mutex<FaceLandmarker>> = OnceLock::new();
    let loaded =
        LOADED.get_or_init(|| Mutex::new(FaceLandmarker::new(&models()).expect("models load")));
    loaded.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Detector and face mesh only, landmarks exactly the face mesh's: for comparing with
/// MediaPipe's FaceMesh.
pub fn mesh_landmarker() -> FaceLandmarker {
    static LOADED: OnceLock<Mutex<FaceLandmarker>> = OnceLock::new();
    let loaded = LOADED
        .get_or_init(|| Mutex::new(FaceLandmarker::mesh_only(&models()).expect("models load")));
    loaded.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// tests/data/faces/NAME.
pub fn face_image(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/faces").join(name)
}

/// Obama's portrait with the overlay `overlay` (tests/data/faces, made by
/// make_closed_eyes.py: eyes painted shut) laid over it, saved at `path`.
pub fn obama_with(overlay: &str, path: &Path) -> PathBuf {
    let mut image = facesym::io::read_rgb(&face_image("obama.png")).unwrap();
    let overlay = image::open(face_image(overlay)).unwrap().to_rgba8();
    for (pixel, over) in image.pixels_mut().zip(overlay.pixels()) {
        if over[3] == 255 {
            *pixel = image::Rgb([over[0], over[1], over[2]]);
        }
    }
    image.save(path).unwrap();
    path.to_owned()
}

/// A fresh scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// One image of tests/data/faces/reference.json (made by generate_reference.py).
#[derive(Deserialize)]
pub struct Reference {
    pub image: String,
    pub width: u32,
    pub height: u32,
    pub faces: Vec<ReferenceFace>,
    pub detections: Vec<ReferenceDetection>,
}

/// MediaPipe FaceMesh's landmarks for one face, image pixels.
#[derive(Deserialize)]
pub struct ReferenceFace {
    pub landmarks: Vec<[f32; 3]>,
}

/// MediaPipe FaceDetection's result for one face, image pixels.
#[derive(Deserialize)]
pub struct ReferenceDetection {
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    pub keypoints: Vec<[f32; 2]>,
}

/// Every entry of reference.json.
pub fn references() -> Vec<Reference> {
    let text = std::fs::read_to_string(face_image("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("reference.json parses")
}

/// The reference entry for one image.
pub fn reference(image: &str) -> Reference {
    references().into_iter().find(|r| r.image == image).expect("image in reference.json")
}

/// Every landmark's x, y and z within this many pixels of MediaPipe 0.10.14's FaceMesh
/// (static_image_mode=True, refine_landmarks=False). Measured worst case: 0.0094 px; the
/// margin covers tract vs TFLite float differences on other CPUs.
pub const LANDMARK_TOLERANCE_PX: f32 = 0.05;

/// Largest |Δz| between two landmark sets.
pub fn max_z_error(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter().zip(b).map(|(p, q)| (p[2] - q[2]).abs()).fold(0.0, f32::max)
}

/// Asserts that the image at `path` has exactly one face, within
/// [`LANDMARK_TOLERANCE_PX`] of MediaPipe's landmarks for reference image `reference`.
pub fn assert_single_face_matches(path: &Path, reference: &str) {
    let image = facesym::io::read_rgb(path).expect("image reads");
    let faces = mesh_landmarker().faces(&image).expect("landmarks run");
    let expected = &self::reference(reference).faces[0].landmarks;
    assert_eq!(faces.len(), 1, "{}", path.display());
    let error = max_xy_error(faces[0].landmarks.points(), expected);
    assert!(error <= LANDMARK_TOLERANCE_PX, "{}: off by {error} px", path.display());
}

/// Largest |Δx| or |Δy| between two landmark sets.
pub fn max_xy_error(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter().zip(b).map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs())).fold(0.0, f32::max)
}

/// Mean Euclidean x-y distance between two landmark sets.
pub fn mean_xy_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    let sum: f32 = a.iter().zip(b).map(|(p, q)| (p[0] - q[0]).hypot(p[1] - q[1])).sum();
    sum / a.len() as f32
}

/// Encodes `frames` losslessly (FFV1 in Matroska) at `fps` with the ffmpeg program.
pub fn make_video(frames: &[image::RgbImage], fps: u32, path: &Path) {
    make_video_from(frames[0].dimensions(), frames.len(), fps, path, |i| frames[i].clone());
}

/// [`make_video`] for `count` frames of `width` × `height` made one at a time by `frame`, so
/// a long recording is never held in memory.
pub fn make_video_from(
    (width, height): (u32, u32),
    count: usize,
    fps: u32,
    path: &Path,
    mut frame: impl FnMut(usize) -> image::RgbImage,
) {
    use std::io::Write;
    let mut child = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"])
        .args(["-s", &format!("{width}x{height}"), "-r", &fps.to_string(), "-i", "-"])
        .args(["-c:v", "ffv1", "-pix_fmt", "bgr0"])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (scripts/install-system-deps.sh installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    for i in 0..count {
        let f = frame(i);
        assert_eq!(f.dimensions(), (width, height), "frame {i}");
        stdin.write_all(f.as_raw()).expect("ffmpeg takes frames");
    }
    drop(stdin);
    assert!(child.wait().expect("ffmpeg finishes").success(), "ffmpeg encoded {}", path.display());
}

/// Small frames with distinct, deterministic content.
pub fn pattern_frames(count: usize, width: u32, height: u32) -> Vec<image::RgbImage> {
    (0..count)
        .map(|i| {
            image::RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([
                    (x * 3 + i as u32 * 7) as u8,
                    (y * 5 + i as u32) as u8,
                    ((x ^ y) + i as u32 * 13) as u8,
                ])
            })
        })
        .collect()
}

/// The facesym binary, with the test models, ready for `args`.
pub fn facesym(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_facesym"));
    command.arg("--models").arg(models_dir()).args(args);
    command
}

/// Runs `command`: its output, stdout and stderr as text.
pub fn run(command: &mut std::process::Command) -> (std::process::Output, String, String) {
    let out = command.output().expect("facesym runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}
