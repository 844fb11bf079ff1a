//! The `facesym` command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use image::RgbImage;
use image::imageops::flip_horizontal;
use rayon::prelude::*;
use serde::Serialize;

use facesym::capture::{CameraChoice, CameraRequest, CaptureError, list_cameras};
use facesym::capture::{FrameSource, ImageFolderSource, VideoFileSource};
use facesym::landmarks::{
    EyeModel, Face, FaceLandmarker, ModelPaths, Tracker, TrackerOptions, largest_face,
};
use facesym::session::analyze::NO_MIRROR_CHECK_WARNING;
use facesym::session::frames_out::{Format, FramesWriter};
use facesym::session::{RecordingAnalyzer, Repetition, Store};
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::movements::movement;
use facesym::ui::{LiveStart, SourceKind};
use facesym::{bench, io, overlay, symmetry};

/// Live left/right facial symmetry feedback for facial-palsy exercises.
#[derive(Parser)]
#[command(name = "facesym", version, about)]
struct Cli {
    /// Folder holding the ONNX models [default: $FACESYM_MODELS, else models/ beside the
    /// executable, else the source tree's models/].
    #[arg(long, global = true, value_name = "DIR")]
    models: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum SessionsAction {
    /// One line per session: number, start (UTC), source, repetitions.
    List,
    /// Every repetition recorded (of one session with --session), as CSV or JSON.
    Export {
        /// csv or json.
        #[arg(long, value_parser = ["csv", "json"], default_value = "csv")]
        format: String,
        /// Only this session.
        #[arg(long, value_name = "N")]
        session: Option<i64>,
        /// Write here (private to you) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Open the live mirror window (the default when no command is given).
    Live {
        /// Start the built-in demo right away.
        #[arg(long, conflicts_with_all = ["video", "folder"])]
        demo: bool,
        /// Start with this video file.
        #[arg(long, value_name = "VIDEO", conflicts_with = "folder")]
        video: Option<PathBuf>,
        /// Start with the images of this folder, in name order.
        #[arg(long, value_name = "DIR")]
        folder: Option<PathBuf>,
        /// The camera: its number (0 is the first; see `facesym cameras`) or part of its name.
        #[arg(long, default_value = "0", value_name = "NUMBER|NAME")]
        camera: CameraChoice,
        /// Picture size to ask the camera for (it uses the closest it offers).
        #[arg(long, default_value = "640x480", value_name = "WxH", value_parser = parse_size)]
        size: (u32, u32),
        /// Frame rate to ask the camera for.
        #[arg(long, default_value_t = 30, value_name = "FPS")]
        fps: u32,
        /// Folder of the record that guided sessions are kept in [default: $FACESYM_DATA, else
        /// $XDG_DATA_HOME/facesym, else ~/.local/share/facesym].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// List the cameras found.
    Cameras,
    /// Find faces and their 468 landmarks in still images.
    Landmarks {
        /// Images to read (PNG or JPEG).
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
        /// Print JSON: one object per image, an array when several are given.
        #[arg(long)]
        json: bool,
        /// Write the image with boxes and landmarks drawn on it. With several images, a folder
        /// that receives NAME.overlay.png for each.
        #[arg(long, value_name = "OUT.png")]
        overlay: Option<PathBuf>,
        /// The face mesh's own landmarks, exactly as MediaPipe's FaceMesh gives them (without
        /// `refine_landmarks`); by default each eye's lid margins come from the iris model.
        #[arg(long)]
        mesh_only: bool,
    },
    /// Score each frame's six movements, side by side, against a neutral face.
    Score {
        /// An image of the relaxed face, the reference for every movement.
        #[arg(long, value_name = "NEUTRAL.png")]
        neutral: PathBuf,
        /// Frames to score.
        #[arg(required = true, value_name = "FRAME")]
        frames: Vec<PathBuf>,
        /// Print JSON: one object per frame, an array when several are given.
        #[arg(long)]
        json: bool,
        /// Measure with the face mesh alone, its own lids included (fast, but pulled toward
        /// symmetry); by default the skin's own motion is followed from the neutral image and
        /// the lids come from the iris model.
        #[arg(long)]
        mesh_only: bool,
    },
    /// Measure a recorded video (or a folder of frames): every frame's six movements against
    /// the neutral face, and each movement's repetitions.
    Analyze {
        /// A video file, or a folder of PNG/JPEG frames in name order.
        #[arg(value_name = "VIDEO|FOLDER")]
        input: PathBuf,
        /// An image of the relaxed face [default: the recording's first frame with a face
        /// that can be measured].
        #[arg(long, value_name = "IMAGE")]
        neutral: Option<PathBuf>,
        /// Write every frame's measures to this .csv or .json file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Frame rate of a folder of frames (a video's own rate is used).
        #[arg(long, default_value_t = 30.0, value_name = "FPS")]
        fps: f64,
        /// Keep the repetitions found as a session in your record.
        #[arg(long)]
        record: bool,
        /// Folder of the record [default: $FACESYM_DATA, else $XDG_DATA_HOME/facesym, else
        /// ~/.local/share/facesym].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// The sessions in your record.
    Sessions {
        /// Folder of the record [default: $FACESYM_DATA, else $XDG_DATA_HOME/facesym, else
        /// ~/.local/share/facesym].
        #[arg(long, global = true, value_name = "DIR")]
        data: Option<PathBuf>,
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Write one session's report: a single HTML page with its movements' medians, each
    /// repetition's ratio and each movement's trend over the sessions so far.
    Report {
        /// The session's number (see `facesym sessions list`).
        #[arg(value_name = "SESSION")]
        session: i64,
        /// The HTML file to write (private to you).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Folder of the record [default: $FACESYM_DATA, else $XDG_DATA_HOME/facesym, else
        /// ~/.local/share/facesym].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Time the per-frame path stage by stage (medians and 95th percentiles), with frames per
    /// second and peak memory. The frames are decoded into memory first, then timed.
    Bench {
        /// A video file, a folder of PNG/JPEG frames (read in name order), or one PNG/JPEG image
        /// that is moved and rolled frame by frame into a synthetic sequence. For an image the
        /// `decode` stage is the time to generate each frame (a warp), not to decode a file.
        #[arg(value_name = "VIDEO|DIR|IMAGE")]
        input: PathBuf,
        /// Frames to time: the first N of a video or folder (all of them when it has fewer),
        /// or the length of the synthetic sequence made from an image.
        #[arg(long, default_value_t = 300, value_name = "N")]
        frames: usize,
        /// Print the machine-readable report (JSON) instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write the frames as PNGs into this folder (for timing other tools on them).
        #[arg(long, value_name = "DIR")]
        save_frames: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // `println!` panics when stdout is a pipe whose reader has gone (`facesym … | head`):
        // nobody is left to read the rest, which is not a bug. Stop quietly, as a command
        // killed by SIGPIPE would (128 + 13).
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        eprintln!("facesym: internal error: {info}");
        eprintln!("This is a bug in facesym; please report it with the command you ran.");
    }));
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let models = ModelPaths::in_dir(&cli.models.unwrap_or_else(ModelPaths::default_dir));
    let command = cli.command.unwrap_or(Command::Live {
        demo: false,
        video: None,
        folder: None,
        camera: CameraChoice::Index(0),
        size: (640, 480),
        fps: 30,
        data: None,
    });
    match command {
        Command::Live { demo, video, folder, camera, size: (width, height), fps, data } => {
            let (source, path) = match (demo, video, folder) {
                (true, _, _) => (SourceKind::Demo, None),
                (_, Some(video), _) => (SourceKind::Video, Some(video)),
                (_, _, Some(folder)) => (SourceKind::Folder, Some(folder)),
                _ => (SourceKind::Camera, None),
            };
            let camera = CameraRequest { camera, width, height, fps };
            let data = data.unwrap_or_else(Store::default_dir);
            facesym::ui::run(models, LiveStart { source, path, camera, data })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cameras => cameras(),
        Command::Landmarks { images, json, overlay, mesh_only } => {
            landmarks(&models, &images, json, overlay.as_deref(), mesh_only)
        }
        Command::Score { neutral, frames, json, mesh_only } => {
            score(&models, &neutral, &frames, json, mesh_only)
        }
        Command::Analyze { input, neutral, out, fps, record, data } => {
            let data = record.then(|| data.unwrap_or_else(Store::default_dir));
            analyze(&models, &input, neutral.as_deref(), out.as_deref(), fps, data.as_deref())
        }
        Command::Sessions { data, action } => {
            sessions(&data.unwrap_or_else(Store::default_dir), action)
        }
        Command::Report { session, out, data } => {
            report(&data.unwrap_or_else(Store::default_dir), session, &out)
        }
        Command::Bench { input, frames, json, save_frames } => {
            bench_command(&models, &input, frames, json, save_frames.as_deref())
        }
    }
}

/// `facesym landmarks --json` output for one image; other tools read it, keep it stable.
#[derive(Serialize)]
struct ImageFaces {
    image: String,
    width: u32,
    height: u32,
    faces: Vec<FaceJson>,
}

#[derive(Serialize)]
struct FaceJson {
    score: f32,
    #[serde(rename = "box")]
    bbox: [f32; 4],
    landmarks: Vec<[f32; 3]>,
}

impl From<&Face> for FaceJson {
    fn from(face: &Face) -> Self {
        Self {
            score: face.score(),
            bbox: face.bounding_box(),
            landmarks: face.landmarks.points().to_vec(),
        }
    }
}

/// The face models, with the iris model unless `mesh_only`.
fn load_landmarker(models: &ModelPaths, mesh_only: bool) -> Result<FaceLandmarker> {
    let loaded =
        if mesh_only { FaceLandmarker::mesh_only(models) } else { FaceLandmarker::new(models) };
    loaded.context("cannot load the face models")
}

fn landmarks(
    models: &ModelPaths,
    images: &[PathBuf],
    json: bool,
    overlay_out: Option<&Path>,
    mesh_only: bool,
) -> Result<ExitCode> {
    let landmarker = load_landmarker(models, mesh_only)?;
    let overlay_dir = overlay_out.filter(|p| images.len() > 1 || p.is_dir());
    if let Some(dir) = overlay_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    // Images are independent: analyse them in parallel, one landmarker per worker thread,
    // each cloned from the loaded one (the models are shared, not reloaded).
    let prototype = std::sync::Mutex::new(landmarker);
    let outcomes: Vec<Result<(ImageFaces, Vec<Face>)>> = images
        .par_iter()
        .map_init(
            || prototype.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone(),
            |landmarker, path| {
                let image = read_rgb(path)?;
                let faces = landmarker
                    .faces(&image)
                    .with_context(|| format!("cannot analyse {}", path.display()))?;
                if let Some(out) = overlay_out {
                    let out = match overlay_dir {
                        Some(dir) => dir.join(format!("{}.overlay.png", file_stem(path))),
                        None => out.to_owned(),
                    };
                    overlay::draw_faces(&image, &faces)
                        .save(&out)
                        .with_context(|| format!("cannot write {}", out.display()))?;
                }
                let summary = ImageFaces {
                    image: path.display().to_string(),
                    width: image.width(),
                    height: image.height(),
                    faces: faces.iter().map(FaceJson::from).collect(),
                };
                Ok((summary, faces))
            },
        )
        .collect();
    // One unreadable image does not lose the others: report it, go on, exit 1 at the end.
    let mut results = Vec::with_capacity(images.len());
    let mut failed = 0;
    for (path, outcome) in images.iter().zip(outcomes) {
        match outcome {
            Ok((summary, faces)) => {
                if !json {
                    print_summary(path, &faces);
                }
                results.push(summary);
            }
            Err(err) => {
                eprintln!("error: {err:#}");
                failed += 1;
            }
        }
    }
    finish_batch(&results, images.len(), json, failed)
}

/// `facesym score --json` output for one frame; other tools read it, keep it stable.
#[derive(Serialize)]
struct FrameJson {
    image: String,
    pose: Option<symmetry::HeadPose>,
    flags: Vec<symmetry::FrameFlag>,
    resting: symmetry::RestingSymmetry,
    movements: BTreeMap<&'static str, MovementJson>,
}

#[derive(Serialize)]
struct MovementJson {
    left: f64,
    right: f64,
    ratio: Option<f64>,
    ratio_uncertainty: Option<f64>,
    weaker: Option<symmetry::Side>,
    status: symmetry::ScoreStatus,
    /// How far the frame's mirror image read it differently (`null`: not checked).
    mirror_difference: Option<f64>,
    /// Why this movement's score is only provisional; absent when it is validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    provisional: Option<&'static str>,
}

fn score(
    models: &ModelPaths,
    neutral_path: &Path,
    frames: &[PathBuf],
    json: bool,
    mesh_only: bool,
) -> Result<ExitCode> {
    let mut landmarker = load_landmarker(models, mesh_only)?;
    let neutral_image = read_rgb(neutral_path)?;
    let neutral_face = largest_face(landmarker.faces(&neutral_image)?).with_context(|| {
        format!("no face found in the neutral image {}", neutral_path.display())
    })?;
    let (neutral, skin) = symmetry::score::calibrate(&neutral_image, &neutral_face.landmarks)
        .map_err(|flags| {
            let why: Vec<String> = flags.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "cannot use {} as the neutral face: {}",
                neutral_path.display(),
                why.join("; ")
            )
        })?;
    if !mesh_only {
        for warning in skin.warnings() {
            eprintln!("warning: {warning}");
        }
    }
    // The neutral's mirror image, for checking each frame against its own mirror image.
    let mirror = symmetry::score::calibrate_mirrored(&mut landmarker, &neutral_image)?;
    if mirror.is_none() {
        eprintln!("warning: {NO_MIRROR_CHECK_WARNING}");
    }
    let score_one = |landmarker: &mut FaceLandmarker,
                     (neutral, skin): (&symmetry::Neutral, &NeutralImage),
                     image: &RgbImage|
     -> Result<symmetry::FrameScore> {
        Ok(match largest_face(landmarker.faces(image)?) {
            None => symmetry::FrameScore {
                pose: None,
                flags: vec![symmetry::FrameFlag::NoFace],
                movements: Vec::new(),
            },
            Some(face) if mesh_only => symmetry::score_frame(neutral, &face.landmarks),
            Some(face) => {
                symmetry::score::score_frame_with_flow(neutral, skin, image, &face.landmarks)
            }
        })
    };
    let mut results = Vec::with_capacity(frames.len());
    let mut failed = 0;
    for path in frames {
        let outcome = read_rgb(path).and_then(|image| {
            let mut score = score_one(&mut landmarker, (&neutral, &skin), &image)?;
            if let Some((neutral, skin)) = &mirror {
                let mirrored =
                    score_one(&mut landmarker, (neutral, skin), &flip_horizontal(&image))?;
                symmetry::score::check_against_mirror(&mut score, &mirrored);
            }
            Ok(score)
        });
        match outcome {
            Ok(score) => {
                if !json {
                    print_score(path, &score);
                }
                results.push(FrameJson {
                    image: path.display().to_string(),
                    pose: score.pose,
                    flags: score.flags,
                    resting: neutral.resting,
                    movements: score
                        .movements
                        .into_iter()
                        .map(|m| {
                            let json = MovementJson {
                                left: m.left,
                                right: m.right,
                                ratio: m.ratio,
                                ratio_uncertainty: m.ratio_uncertainty,
                                weaker: m.weaker,
                                status: m.status,
                                mirror_difference: m.mirror_difference,
                                provisional: movement(m.movement).and_then(|d| d.caveat()),
                            };
                            (m.movement, json)
                        })
                        .collect(),
                });
            }
            Err(err) => {
                eprintln!("error: {err:#}");
                failed += 1;
            }
        }
    }
    if !json && !results.is_empty() {
        print_caveats();
    }
    finish_batch(&results, frames.len(), json, failed)
}

/// Prints the JSON of a batch (one object for one input, an array for several) and gives the
/// exit code: failure when any input failed (its error is already on stderr).
fn finish_batch<T: Serialize>(
    results: &[T],
    inputs: usize,
    json: bool,
    failed: usize,
) -> Result<ExitCode> {
    if json && !results.is_empty() {
        let text = if inputs == 1 {
            serde_json::to_string(&results[0])?
        } else {
            serde_json::to_string(results)?
        };
        println!("{text}");
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_score(path: &Path, score: &symmetry::FrameScore) {
    println!("{}:", path.display());
    if let Some(pose) = score.pose {
        println!(
            "  head: yaw {:.0}°, pitch {:.0}°, roll {:.0}°",
            pose.yaw_deg, pose.pitch_deg, pose.roll_deg
        );
    }
    for flag in &score.flags {
        println!("  not scored: {flag}");
    }
    for m in &score.movements {
        let verdict = match (m.status, m.ratio, m.weaker) {
            (symmetry::ScoreStatus::MirrorDisagrees, ..) => format!(
                "not scored: its mirror image reads it {:.3} differently",
                m.mirror_difference.unwrap_or(f64::NAN)
            ),
            (symmetry::ScoreStatus::NotFollowed, ..) => {
                "not measured: the skin there could not be followed on both sides".to_string()
            }
            (_, Some(ratio), Some(weaker)) => {
                let within = symmetry::score::plus_minus(m.ratio_uncertainty);
                format!("ratio {ratio:.2}{within}, weaker side: {}", weaker.name())
            }
            _ => "not enough movement".to_string(),
        };
        let provisional = movement(m.movement).and_then(|d| d.caveat()).map_or("", |_| " *");
        // "+0.052", or "  –   " where a side was not measured.
        let side =
            |v: f64| if v.is_finite() { format!("{v:+.3}") } else { format!("{:^6}", "–") };
        println!(
            "  {:<13} left {}  right {}  {verdict}{provisional}",
            m.movement,
            side(m.left),
            side(m.right)
        );
    }
}

fn print_summary(path: &Path, faces: &[Face]) {
    match faces.len() {
        0 => println!("{}: no face found", path.display()),
        n => {
            println!("{}: {n} face{}", path.display(), if n == 1 { "" } else { "s" });
            for (i, face) in faces.iter().enumerate() {
                let [x0, y0, x1, y1] = face.bounding_box();
                println!(
                    "  face {}: score {:.3}, box ({x0:.0}, {y0:.0})-({x1:.0}, {y1:.0}), 468 landmarks",
                    i + 1,
                    face.score()
                );
            }
        }
    }
}

/// `facesym bench`: the frames are got into memory first (the `decode` stage), then every
/// other stage is timed on them (see `facesym::bench`).
fn bench_command(
    models: &ModelPaths,
    input: &Path,
    count: usize,
    json: bool,
    save_to: Option<&Path>,
) -> Result<ExitCode> {
    if count == 0 {
        bail!("--frames must be at least 1");
    }
    let metadata =
        std::fs::metadata(input).with_context(|| format!("cannot open {}", input.display()))?;
    // A PNG or JPEG (known by its first bytes, as images are read) is a still image; any
    // other file goes to ffmpeg as a video.
    let still = !metadata.is_dir()
        && image::ImageReader::open(input)
            .and_then(|reader| reader.with_guessed_format())
            .is_ok_and(|reader| {
                matches!(reader.format(), Some(image::ImageFormat::Png | image::ImageFormat::Jpeg))
            });
    let (decoded, what) = if metadata.is_dir() {
        let mut folder = ImageFolderSource::open(input, None)?;
        (bench::decode_source(&mut folder, count)?, format!("images of {}", input.display()))
    } else if still {
        let decoded = bench::synthetic(&read_rgb(input)?, count);
        (decoded, format!("synthetic frames made by moving and rolling {}", input.display()))
    } else {
        // The source (and its ffmpeg) is dropped here, before anything is timed.
        let mut video = VideoFileSource::open(input)?;
        (bench::decode_source(&mut video, count)?, format!("frames of {}", input.display()))
    };
    if decoded.frames.is_empty() {
        bail!("no frames in {}", input.display());
    }
    if let Some(dir) = save_to {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
        for (i, frame) in decoded.frames.iter().enumerate() {
            let out = dir.join(format!("frame_{i:05}.png"));
            frame.save(&out).with_context(|| format!("cannot write {}", out.display()))?;
        }
    }
    // The face mesh alone in the tracker, as MediaPipe's FaceMesh; the eyes are timed apart.
    let landmarker = FaceLandmarker::mesh_only(models).context("cannot load the face models")?;
    let mut tracker = Tracker::with_landmarker(landmarker, TrackerOptions::default());
    let mut eyes = EyeModel::new(&models.iris).context("cannot load the iris model")?;
    let total = decoded.frames.len();
    let report = bench::run(&mut tracker, &mut eyes, &decoded, |done| {
        if !json && (done % 50 == 0 || done == total) {
            eprint!("\rtiming frame {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    })
    .with_context(|| format!("{}", input.display()))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{total} {what}");
        print!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `facesym analyze`: frames analysed in order as they are decoded (memory stays bounded on
/// any length), written out as they come, repetitions recorded as they end.
fn analyze(
    models: &ModelPaths,
    input: &Path,
    neutral: Option<&Path>,
    out: Option<&Path>,
    fps: f64,
    record: Option<&Path>,
) -> Result<ExitCode> {
    let format = match out {
        Some(path) => Some(Format::from_path(path).with_context(|| {
            format!("{}: the output file must end in .csv or .json", path.display())
        })?),
        None => None,
    };
    let (mut source, total): (Box<dyn FrameSource>, Option<u64>) = if input.is_dir() {
        let folder = ImageFolderSource::open(input, Some(fps))?;
        let total = folder.len() as u64;
        (Box::new(folder), Some(total))
    } else {
        (Box::new(VideoFileSource::open(input)?), None)
    };
    let rate = source.frames_per_second().filter(|r| *r > 0.0).unwrap_or(fps);
    let mut tracker = Tracker::with_landmarker(
        FaceLandmarker::new(models).context("loading the face models")?,
        TrackerOptions::default(),
    );
    let neutral = match neutral {
        Some(path) => Some(
            RecordingAnalyzer::neutral_from_image(&mut tracker, &read_rgb(path)?)
                .with_context(|| format!("{}", path.display()))?,
        ),
        None => None,
    };
    let mut analyzer = RecordingAnalyzer::new(tracker, neutral);
    let mut writer = match (out, format) {
        (Some(path), Some(format)) => Some(
            FramesWriter::create(path, format)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        _ => None,
    };
    let store = match record {
        Some(dir) => {
            let store = Store::open(dir)?;
            let session = store.start_session(&source.describe())?;
            Some((store, session))
        }
        None => None,
    };
    let progress = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::no_length(),
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} frames {per_sec} {wide_bar} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut repetitions = Vec::new();
    let mut keep = |reps: Vec<Repetition>| -> Result<()> {
        for rep in reps {
            if let Some((store, session)) = &store {
                store.add_repetition(*session, &rep)?;
            }
            repetitions.push(rep);
        }
        Ok(())
    };
    // Frames are decoded in batches of a few per core and scored in parallel (see
    // `RecordingAnalyzer::push_batch`); memory stays bounded by one batch.
    let batch_len = 4 * rayon::current_num_threads();
    let (mut frames, mut failure) = (0u64, None);
    // Frames not scored, by kind of reason, in the order first seen.
    let mut not_scored: Vec<(&'static str, u64)> = Vec::new();
    // Readings left out, per movement: the frame's mirror image read them differently, or
    // the skin was not followed on both sides.
    let mut disagreed: Vec<(&'static str, u64)> =
        symmetry::CORE_MOVEMENTS.iter().map(|m| (m.id, 0)).collect();
    let mut unfollowed = disagreed.clone();
    let mut batch = Vec::with_capacity(batch_len);
    while failure.is_none() {
        batch.clear();
        while batch.len() < batch_len {
            match source.next_frame() {
                Ok(Some(frame)) => {
                    batch.push(((frames + batch.len() as u64) as f64 / rate, frame.image))
                }
                Ok(None) => break,
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        let refs: Vec<(f64, &image::RgbImage)> = batch.iter().map(|(t, i)| (*t, i)).collect();
        for result in analyzer.push_batch(&refs)? {
            if let Some(writer) = &mut writer {
                writer.frame(frames, &result).context("writing the frame results")?;
            }
            keep(result.repetitions)?;
            if let Some(flag) = result.score.as_ref().and_then(|s| s.flags.first()) {
                match not_scored.iter_mut().find(|(kind, _)| *kind == flag.kind()) {
                    Some((_, n)) => *n += 1,
                    None => not_scored.push((flag.kind(), 1)),
                }
            }
            for m in result.score.iter().flat_map(|s| &s.movements) {
                let counts = match m.status {
                    symmetry::ScoreStatus::MirrorDisagrees => &mut disagreed,
                    symmetry::ScoreStatus::NotFollowed => &mut unfollowed,
                    _ => continue,
                };
                if let Some((_, n)) = counts.iter_mut().find(|(id, _)| *id == m.movement) {
                    *n += 1;
                }
            }
            frames += 1;
            progress.inc(1);
        }
    }
    keep(analyzer.finish())?;
    progress.finish_and_clear();
    if let Some(writer) = writer {
        let path = writer.path().to_owned();
        writer.finish(&repetitions).with_context(|| format!("writing {}", path.display()))?;
    }
    print_analysis_summary(frames, &repetitions, &not_scored, &disagreed, &unfollowed);
    for warning in analyzer.neutral_warnings() {
        eprintln!("warning: {warning}");
    }
    if let Some((store, session)) = &store {
        println!("Recorded as session {session} in {}", store.path().display());
    }
    if !analyzer.has_neutral() {
        eprintln!(
            "error: no face that can be measured in {} frames of {}",
            frames,
            input.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if let Some(err) = failure {
        eprintln!("error: {err}; the {frames} frames before it are analysed above");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Per movement: repetitions, their ratios' median with the typical repetition's uncertainty,
/// and the weaker side; then how many frames were not scored, by kind of reason, and how
/// many of each movement's readings were left out for disagreeing with the mirror image.
fn print_analysis_summary(
    frames: u64,
    repetitions: &[Repetition],
    not_scored: &[(&'static str, u64)],
    disagreed: &[(&'static str, u64)],
    unfollowed: &[(&'static str, u64)],
) {
    use facesym::session::history::median;
    println!("{frames} frames analysed");
    println!("{:<14} {:>5} {:>13} {:>12}", "movement", "reps", "median ratio", "weaker side");
    // "smile: 1 of 3 repetitions without a ratio: …", printed after the table.
    let mut unsure = Vec::new();
    for m in symmetry::CORE_MOVEMENTS {
        let reps: Vec<_> = repetitions.iter().filter(|r| r.movement == m.id).collect();
        let unsure_here = reps.iter().filter(|r| r.is_unsure()).count();
        if unsure_here > 0 {
            unsure.push(format!(
                "{}: {unsure_here} of {} repetitions without a ratio: most of their frames read \
                 differently in the mirror image",
                m.id,
                reps.len()
            ));
        }
        let within = symmetry::score::plus_minus(median(
            reps.iter().filter_map(|r| r.ratio.and(r.ratio_uncertainty)),
        ));
        let median = median(reps.iter().filter_map(|r| r.ratio))
            .map_or("–".to_string(), |r| format!("{r:.2}{within}"));
        let left = reps.iter().filter(|r| r.weaker == Some(symmetry::Side::Left)).count();
        let right = reps.iter().filter(|r| r.weaker == Some(symmetry::Side::Right)).count();
        let weaker = match (left, right) {
            (0, 0) => "–".to_string(),
            (l, r) if l > r => format!("left ({l} of {})", l + r),
            (l, r) => format!("right ({r} of {})", l + r),
        };
        let provisional = m.caveat().map_or("", |_| " *");
        println!("{:<14} {:>5} {:>13} {:>12}{provisional}", m.id, reps.len(), median, weaker);
    }
    if !not_scored.is_empty() {
        let counts: Vec<String> =
            not_scored.iter().map(|(kind, n)| format!("{n} ({kind})")).collect();
        println!("frames not scored: {}", counts.join(", "));
    }
    let counts = |counts: &[(&str, u64)]| -> Vec<String> {
        counts.iter().filter(|(_, n)| *n > 0).map(|(id, n)| format!("{id} {n}")).collect()
    };
    let disagreed = counts(disagreed);
    if !disagreed.is_empty() {
        println!(
            "readings left out, the frame's mirror image reading them differently: {}",
            disagreed.join(", ")
        );
    }
    let unfollowed = counts(unfollowed);
    if !unfollowed.is_empty() {
        println!(
            "readings not measured, the skin there not followed on both sides: {}",
            unfollowed.join(", ")
        );
    }
    for line in unsure {
        println!("{line}");
    }
    print_caveats();
}

/// One line for each movement whose score is only provisional, saying why.
fn print_caveats() {
    for m in symmetry::CORE_MOVEMENTS {
        if let Some(why) = m.caveat() {
            println!("note: * {} is {why} (docs/validation.md)", m.id);
        }
    }
}

/// The record in `dir`, which must exist: reading it never creates an empty one.
fn open_record(dir: &Path) -> Result<Store> {
    if !dir.join(facesym::session::store::DATABASE_FILE).is_file() {
        bail!(
            "no sessions recorded yet in {} (record one with `facesym analyze --record`)",
            dir.display()
        );
    }
    Ok(Store::open(dir)?)
}

/// `facesym sessions list|export`.
fn sessions(dir: &Path, action: SessionsAction) -> Result<ExitCode> {
    let store = open_record(dir)?;
    match action {
        SessionsAction::List => {
            println!("{:>4}  {:<20}  {:>5}  source", "id", "started (UTC)", "reps");
            for s in store.sessions()? {
                println!(
                    "{:>4}  {:<20}  {:>5}  {}",
                    s.id,
                    facesym::session::store::format_utc(s.started_unix),
                    s.repetitions,
                    s.source
                );
            }
        }
        SessionsAction::Export { format, session, out } => {
            if let Some(id) = session
                && !store.has_session(id)?
            {
                bail!("there is no session {id} (see `facesym sessions list`)");
            }
            let reps = store.repetitions(session)?;
            let text = if format == "json" {
                serde_json::to_string_pretty(&reps)? + "\n"
            } else {
                facesym::session::store::repetitions_csv(&reps)
            };
            match out {
                Some(path) => facesym::session::store::write_private(&path, text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `facesym report`: the page is made in full before the file is created, so a failure leaves
/// no file behind.
fn report(dir: &Path, session: i64, out: &Path) -> Result<ExitCode> {
    let store = open_record(dir)?;
    let html = facesym::session::report::render_report(&store, session)?;
    facesym::session::store::write_private(out, html.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("Wrote the report of session {session} to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `facesym cameras`: one line per camera, with the number `--camera` takes.
fn cameras() -> Result<ExitCode> {
    let names = list_cameras()?;
    if names.is_empty() {
        bail!(CaptureError::NoCamera);
    }
    for (i, name) in names.iter().enumerate() {
        println!("{i}: {name}");
    }
    Ok(ExitCode::SUCCESS)
}

/// "640x480" → (640, 480).
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT such as 640x480, got {text:?}");
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (w, h) =
        (w.trim().parse::<u32>().map_err(|_| bad())?, h.trim().parse::<u32>().map_err(|_| bad())?);
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok((w, h))
}

fn read_rgb(path: &Path) -> Result<RgbImage> {
    Ok(io::read_rgb(path)?)
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned())
}
