//! Per-frame results written as they come (CSV or JSON), so a long recording never has to be
//! held in memory and a failure part-way keeps every frame before it.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::recording::FrameResult;
use crate::io::PrivateFile;
use crate::session::events::Event;
use crate::session::repetitions::Repetition;
use crate::symmetry::{CORE_MOVEMENTS, describe_flags};

/// The format, from the output file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One row per frame; per movement `ID_left`, `ID_right` (empty when not measured),
    /// `ID_ratio`, `ID_ratio_uncertainty`, `ID_status` (`scored`, `not_enough_movement`,
    /// `mirror_disagrees` or `not_followed`) and `ID_mirror_difference`.
    Csv,
    /// `{"frames": [...], "repetitions": [...], "events": [...]}`.
    Json,
}

impl Format {
    /// `.csv` or `.json`; `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Writes frames one by one, then the repetitions at the end.
pub struct FramesWriter {
    out: BufWriter<PrivateFile>,
    format: Format,
    frames: u64,
}

/// One frame in JSON.
#[derive(Serialize)]
struct JsonFrame<'a> {
    frame: u64,
    t_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<&'a crate::symmetry::FrameScore>,
}

impl FramesWriter {
    /// Starts writing `path` in `format`, as a [`PrivateFile`]: private to the user (0600),
    /// and put in place by [`Self::finish`] only, so an existing file stays whole until then.
    pub fn create(path: &Path, format: Format) -> std::io::Result<Self> {
        let mut out = BufWriter::new(PrivateFile::create(path)?);
        match format {
            Format::Csv => {
                write!(out, "frame,t_s,flags")?;
                for m in CORE_MOVEMENTS {
                    write!(
                        out,
                        ",{0}_left,{0}_right,{0}_ratio,{0}_ratio_uncertainty,{0}_status,\
                         {0}_mirror_difference",
                        m.id
                    )?;
                }
                writeln!(out)?;
            }
            Format::Json => write!(out, "{{\"frames\": [")?,
        }
        Ok(Self { out, format, frames: 0 })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        self.out.get_ref().path()
    }

    /// Its format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends frame `index`.
    pub fn frame(&mut self, index: u64, result: &FrameResult) -> std::io::Result<()> {
        match self.format {
            Format::Csv => {
                let flags = result
                    .score
                    .as_ref()
                    .map_or_else(|| "no neutral yet".to_string(), |s| describe_flags(&s.flags));
                write!(self.out, "{index},{:.4},\"{}\"", result.t, flags.replace('"', "'"))?;
                let movements = result.score.as_ref().map(|s| s.movements.as_slice());
                for m in CORE_MOVEMENTS {
                    match movements.and_then(|ms| ms.iter().find(|s| s.movement == m.id)) {
                        Some(s) => {
                            let four =
                                |v: Option<f64>| v.map_or(String::new(), |r| format!("{r:.4}"));
                            let five = |v: f64| {
                                if v.is_finite() { format!("{v:.5}") } else { String::new() }
                            };
                            let (ratio, within) = (four(s.ratio), four(s.ratio_uncertainty));
                            let mirror = four(s.mirror_difference);
                            let status = serde_json::to_value(s.status)?;
                            let status = status.as_str().unwrap_or_default();
                            let (left, right) = (five(s.left), five(s.right));
                            write!(self.out, ",{left},{right},{ratio},{within},{status},{mirror}")?;
                        }
                        None => write!(self.out, ",,,,,,")?,
                    }
                }
                writeln!(self.out)
            }
            Format::Json => {
                if self.frames > 0 {
                    write!(self.out, ",")?;
                }
                let frame = JsonFrame { frame: index, t_s: result.t, score: result.score.as_ref() };
                writeln!(self.out)?;
                serde_json::to_writer(&mut self.out, &frame)?;
                self.frames += 1;
                Ok(())
            }
        }
    }

    /// Ends the file and puts it in place: for JSON, the repetitions, the events (blinks,
    /// twitches, spasms) and the closing brackets. (CSV holds frames only; repetitions go to the summary and
    /// the record, events to [`events_path`]'s file, [`write_events_csv`].)
    pub fn finish(mut self, repetitions: &[Repetition], events: &[Event]) -> std::io::Result<()> {
        if self.format == Format::Json {
            write!(self.out, "\n], \"repetitions\": ")?;
            serde_json::to_writer(&mut self.out, repetitions)?;
            write!(self.out, ", \"events\": ")?;
            serde_json::to_writer(&mut self.out, events)?;
            writeln!(self.out, "}}")?;
        }
        self.out.into_inner().map_err(|e| e.into_error())?.commit()
    }
}

/// The events CSV written beside a frames CSV: `frames.csv` → `frames.events.csv`.
pub fn events_path(frames_csv: &Path) -> PathBuf {
    let stem = frames_csv.file_stem().unwrap_or_default().to_string_lossy();
    frames_csv.with_file_name(format!("{stem}.events.csv"))
}

/// Writes `events` as CSV to `path` (private, whole or not at all): one row per event,
/// `kind,region,side,start_s,end_s,peak_iod,peak_left,peak_right` (a twitch's or spasm's
/// size, a blink's completeness per eye; empty where it has none).
pub fn write_events_csv(path: &Path, events: &[Event]) -> std::io::Result<()> {
    let mut text = String::from("kind,region,side,start_s,end_s,peak_iod,peak_left,peak_right\n");
    let five = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.5}"));
    for e in events {
        text.push_str(&format!(
            "{},{},{},{:.4},{:.4},{},{},{}\n",
            e.kind.name(),
            e.region,
            e.side,
            e.start_s,
            e.end_s,
            five(e.peak_iod),
            five(e.peak_left),
            five(e.peak_right)
        ));
    }
    crate::io::write_private(path, text.as_bytes())
}
