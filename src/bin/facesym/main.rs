//! The `facesym` command line: `main` reports errors without a backtrace; each subcommand's
//! body lives in the module for its kind of input.

mod cli;
mod record;
mod recording;
mod stills;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use image::RgbImage;

use facesym::capture::{CameraChoice, CameraRequest};
use facesym::io;
use facesym::landmarks::ModelPaths;
use facesym::session::Store;
use facesym::ui::{LiveStart, SourceKind};

use cli::{Cli, Command};

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
    let models = match &cli.models {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::default_paths(),
    };
    let command = cli.command.unwrap_or(Command::Live {
        demo: false,
        video: None,
        folder: None,
        camera: CameraChoice::Index(0),
        size: (1280, 720),
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
        Command::Cameras => record::cameras(),
        Command::Landmarks { images, json, overlay, mesh_only } => {
            stills::landmarks(&models, &images, json, overlay.as_deref(), mesh_only)
        }
        Command::Score { neutral, eyes_closed, frames, json, mesh_only } => {
            let reference =
                stills::Reference { neutral: &neutral, eyes_closed: eyes_closed.as_deref() };
            stills::score(&models, reference, &frames, json, mesh_only)
        }
        Command::Analyze { input, neutral, eyes_closed, out, fps, rest, record, data } => {
            let data = record.then(|| data.unwrap_or_else(Store::default_dir));
            let how = recording::How {
                neutral: neutral.as_deref(),
                eyes_closed: eyes_closed.as_deref(),
                fps,
                rest,
            };
            recording::analyze(&models, &input, how, out.as_deref(), data.as_deref())
        }
        Command::Sessions { data, action } => {
            record::sessions(&data.unwrap_or_else(Store::default_dir), action)
        }
        Command::Movements { json } => record::movements(json),
        Command::Today { json, data } => {
            record::today(&data.unwrap_or_else(Store::default_dir), json)
        }
        Command::Report { session, out, data } => {
            record::report(&data.unwrap_or_else(Store::default_dir), session, &out)
        }
        Command::Bench { input, frames, json, save_frames } => {
            recording::bench_command(&models, &input, frames, json, save_frames.as_deref())
        }
    }
}

/// An image as RGB, with an error that names the file.
fn read_rgb(path: &Path) -> Result<RgbImage> {
    Ok(io::read_rgb(path)?)
}

/// The file's name without its extension.
fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned())
}
