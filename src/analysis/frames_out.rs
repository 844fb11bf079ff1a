//! Per-frame results written as they come (CSV or JSON), so a long recording never has to be
//! held in memory and a failure part-way keeps every frame before it.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::recording::FrameResult;
use crate::io::PrivateFile;
use crate::session::repetitions::Repetition;
use crate::symmetry::{CORE_MOVEMENTS, describe_flags};

/// The format, from the output file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One row per frame; per movement `ID_left`, `ID_right` (empty when not measured),
    /// `ID_ratio`, `ID_ratio_uncertainty`, `ID_status` (`scored`, `not_enough_movement`,
    /// `mirror_disagrees` or `not_followed`) and `ID_mirror_difference`.
    Csv,
    /// `{"frames": [...], "repetitions": [...]}`.
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
    path: PathBuf,
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
        Ok(Self { out, path: path.to_owned(), format, frames: 0 })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// Ends the file and puts it in place: for JSON, the repetitions and the closing
    /// brackets. (CSV holds frames only; repetitions go to the summary and the record.)
    pub fn finish(mut self, repetitions: &[Repetition]) -> std::io::Result<()> {
        if self.format == Format::Json {
            write!(self.out, "\n], \"repetitions\": ")?;
            serde_json::to_writer(&mut self.out, repetitions)?;
            writeln!(self.out, "}}")?;
        }
        self.out.into_inner().map_err(|e| e.into_error())?.commit()
    }
}
