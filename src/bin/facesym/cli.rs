//! The command line's arguments (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use facesym::capture::CameraChoice;

/// Live left/right facial symmetry feedback for facial-palsy exercises.
#[derive(Parser)]
#[command(name = "facesym", version, about)]
pub struct Cli {
    /// Folder holding the ONNX models to use instead of the built-in ones [default:
    /// $FACESYM_MODELS when set].
    #[arg(long, global = true, value_name = "DIR")]
    pub models: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum SessionsAction {
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
pub enum Command {
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
        /// Picture size to ask the camera for (it uses the closest it offers). 1280x720 by
        /// default: at 640x480 a face at arm's length is 45-90 px between the eyes, where the
        /// skin's detail is scarce.
        #[arg(long, default_value = "1280x720", value_name = "WxH", value_parser = parse_size)]
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
        /// An image of the same face with both eyes gently closed: eye closure is then a
        /// fraction of how closed they read there (without it, a fully closed eye reads about
        /// 0.5–0.7 closed).
        #[arg(long, value_name = "IMAGE")]
        eyes_closed: Option<PathBuf>,
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
    /// the neutral face, each movement's repetitions, the blinks, and twitches and spasms
    /// while the face is at rest.
    Analyze {
        /// A video file, or a folder of PNG/JPEG frames in name order.
        #[arg(value_name = "VIDEO|FOLDER")]
        input: PathBuf,
        /// An image of the relaxed face [default: the recording's first frame with a face
        /// that can be measured].
        #[arg(long, value_name = "IMAGE")]
        neutral: Option<PathBuf>,
        /// An image of the same face with both eyes gently closed: eye closure is then a
        /// fraction of how closed they read there (without it, a fully closed eye reads about
        /// 0.5–0.7 closed).
        #[arg(long, value_name = "IMAGE")]
        eyes_closed: Option<PathBuf>,
        /// Write every frame's measures to this .csv file (the events beside it, in
        /// NAME.events.csv) or .json file (with the repetitions and the events).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Frame rate of a folder of frames (a video's own rate is used).
        #[arg(long, default_value_t = 30.0, value_name = "FPS", value_parser = parse_fps)]
        fps: f64,
        /// The recording is of the face at rest throughout (a rest check): no repetitions
        /// are counted, and every movement is looked at as a twitch or spasm.
        #[arg(long, conflicts_with = "record")]
        rest: bool,
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
    /// The catalogue of drills: each one's instruction, how a hand can assist or resist it,
    /// and whether (and how far) facesym measures it.
    Movements {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Today against your exercise plan: sessions done, the streak of days, what is next.
    Today {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Folder of the record [default: $FACESYM_DATA, else $XDG_DATA_HOME/facesym, else
        /// ~/.local/share/facesym].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
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

/// A frame rate: a number of frames per second above 0 and at most 1000.
pub fn parse_fps(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(fps) if fps > 0.0 && fps <= 1000.0 => Ok(fps),
        _ => Err(format!("expected frames per second above 0 and at most 1000, got {text:?}")),
    }
}

/// "640x480" → (640, 480).
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT such as 640x480, got {text:?}");
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (w, h) =
        (w.trim().parse::<u32>().map_err(|_| bad())?, h.trim().parse::<u32>().map_err(|_| bad())?);
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok((w, h))
}
