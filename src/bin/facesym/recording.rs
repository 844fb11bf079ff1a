//! `facesym analyze` and `facesym bench`: recordings, measured frame by frame or timed stage
//! by stage.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use facesym::analysis::frames_out::{Format, FramesWriter, events_path, write_events_csv};
use facesym::analysis::{CalibrationError, RecordingAnalyzer, RecordingSummary, closed_eyes_note};
use facesym::bench;
use facesym::capture::{FrameSource, ImageFolderSource, VideoFileSource};
use facesym::landmarks::{EyeModel, FaceLandmarker, ModelPaths, Tracker, TrackerOptions};
use facesym::session::writer::until_unlocked;
use facesym::session::{Repetition, Store};

use crate::read_rgb;

/// `facesym bench`: the frames are got into memory first (the `decode` stage), then every
/// other stage is timed on them (see `facesym::bench`).
pub fn bench_command(
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
        facesym::io::create_private_dir(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
        for (i, frame) in decoded.frames.iter().enumerate() {
            let out = dir.join(format!("frame_{i:05}.png"));
            facesym::io::write_png_private(&out, frame)
                .with_context(|| format!("cannot write {}", out.display()))?;
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

/// How a recording is analysed.
pub struct How<'a> {
    /// The image of the relaxed face, if given.
    pub neutral: Option<&'a Path>,
    /// The image of the closed eyes, if given.
    pub eyes_closed: Option<&'a Path>,
    /// Frame rate of a folder of frames.
    pub fps: f64,
    /// The face is at rest throughout (no repetitions counted).
    pub rest: bool,
}

/// `facesym analyze`: frames analysed in order as they are decoded (memory stays bounded on
/// any length), written out as they come, repetitions recorded as they end.
pub fn analyze(
    models: &ModelPaths,
    input: &Path,
    how: How,
    out: Option<&Path>,
    record: Option<&Path>,
) -> Result<ExitCode> {
    let How { neutral, eyes_closed, fps, rest } = how;
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
    let mut tracker = Tracker::with_landmarker(
        FaceLandmarker::new(models).context("loading the face models")?,
        TrackerOptions::default(),
    );
    let calibration = match neutral {
        Some(path) => Some(
            RecordingAnalyzer::calibrate_from_image(&mut tracker, &read_rgb(path)?)
                .with_context(|| format!("{}", path.display()))?,
        ),
        None => None,
    };
    let closed_eyes = match eyes_closed {
        Some(path) => {
            Some(RecordingAnalyzer::face_frame_of(&mut tracker, &read_rgb(path)?).map_err(
                |err| match err {
                    CalibrationError::NoFace => {
                        anyhow!("no face found in the closed-eyes image {}", path.display())
                    }
                    err => anyhow!("cannot use {} as the closed eyes: {err}", path.display()),
                },
            )?)
        }
        None => None,
    };
    let mut analyzer = RecordingAnalyzer::new(tracker, calibration);
    if rest {
        analyzer.rest_only();
    }
    if let (Some(frame), Some(path)) = (closed_eyes, eyes_closed) {
        analyzer
            .calibrate_closed_eyes(vec![frame])
            .with_context(|| format!("cannot use {} as the closed eyes", path.display()))?;
    }
    let mut writer = match (out, format) {
        (Some(path), Some(format)) => Some(
            FramesWriter::create(path, format)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        _ => None,
    };
    // Opened now, so a record that cannot be written is said before the work; the session
    // is made with the first repetition, so a run that finds none leaves no empty session.
    let waiting = |err: &facesym::session::StoreError| {
        eprintln!("waiting for the record, in use by another program ({err})…")
    };
    let store = match record {
        Some(dir) => Some(until_unlocked(waiting, || Store::open(dir))?),
        None => None,
    };
    let described = source.describe();
    // Known now when the neutral was given; else once it is found in the recording.
    let closed_at_start = analyzer.closed_eyes();
    let started_unix = facesym::session::calendar::now_unix();
    let session = std::cell::Cell::new(None::<i64>);
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
    let rate = source.frames_per_second().filter(|r| *r > 0.0).unwrap_or(fps);
    let mut summary = RecordingSummary::new(rate);
    let keep = |summary: &mut RecordingSummary, reps: Vec<Repetition>| -> Result<()> {
        if let Some(store) = &store {
            for rep in &reps {
                // Another program holding the record delays the run; it loses nothing.
                until_unlocked(waiting, || {
                    let id = match session.get() {
                        Some(id) => id,
                        None => {
                            store.start_session_with(&described, started_unix, closed_at_start)?
                        }
                    };
                    session.set(Some(id));
                    store.add_repetition(id, rep)
                })?;
            }
        }
        summary.add_repetitions(reps);
        Ok(())
    };
    let end = analyzer.run(source.as_mut(), fps, |index, result| -> Result<()> {
        if let Some(writer) = &mut writer {
            writer.frame(index, &result).context("writing the frame results")?;
        }
        summary.add_frame(&result);
        keep(&mut summary, result.repetitions)?;
        progress.inc(1);
        Ok(())
    })?;
    keep(&mut summary, end.repetitions)?;
    summary.finish();
    progress.finish_and_clear();
    if let Some(writer) = writer {
        let path = writer.path().to_owned();
        if writer.format() == Format::Csv {
            let events = events_path(&path);
            write_events_csv(&events, &summary.events)
                .with_context(|| format!("writing {}", events.display()))?;
        }
        writer
            .finish(&summary.repetitions, &summary.events)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{summary}");
    if let Some(closed) = analyzer.closed_eyes() {
        println!("{}", closed_eyes_note(closed));
    }
    for warning in analyzer.neutral_warnings() {
        eprintln!("warning: {warning}");
    }
    if let (Some(store), Some(id), None, Some(closed)) =
        (&store, session.get(), closed_at_start, analyzer.closed_eyes())
    {
        until_unlocked(waiting, || store.set_closed_eyes(id, closed))?;
    }
    match (&store, session.get()) {
        (Some(store), Some(id)) => {
            println!("Recorded as session {id} in {}", store.path().display())
        }
        (Some(_), None) => println!("No repetitions found, so nothing was recorded."),
        _ => {}
    }
    if !analyzer.has_neutral() {
        eprintln!(
            "error: no face that can be measured in {} frames of {}",
            end.frames,
            input.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if let Some(err) = end.failure {
        eprintln!("error: {err}; the {} frames before it are analysed above", end.frames);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
