//! What `facesym analyze` says of a whole recording: per movement its repetitions, their
//! median ratio and the weaker side, and how many frames and readings were not scored and why.

use std::fmt;

use super::recording::FrameResult;
use crate::session::events::{Blink, BlinkDetector, per_minute};
use crate::session::history::{RatioBand, median};
use crate::session::repetitions::Repetition;
use crate::symmetry::score::plus_minus;
use crate::symmetry::{CORE_MOVEMENTS, MovementId, ScoreStatus, Side};

/// Tallies over a recording, fed frame by frame.
#[derive(Clone, Debug)]
pub struct RecordingSummary {
    /// Frames analysed.
    pub frames: u64,
    /// Every repetition counted, in the order they ended.
    pub repetitions: Vec<Repetition>,
    /// Frames not scored, by kind of reason, in the order first seen.
    not_scored: Vec<(&'static str, u64)>,
    /// Readings left out per movement: the frame's mirror image read them differently.
    disagreed: Vec<(MovementId, u64)>,
    /// Readings not measured per movement: the skin not followed on both sides.
    unfollowed: Vec<(MovementId, u64)>,
    /// Blinks found, in order ([`BlinkDetector`]).
    pub blinks: Vec<Blink>,
    blink_detector: BlinkDetector,
    /// Seconds from the first frame to the last one's end.
    duration_s: f64,
    frame_s: f64,
}

impl Default for RecordingSummary {
    /// For a recording at 30 frames per second.
    fn default() -> Self {
        Self::new(30.0)
    }
}

impl RecordingSummary {
    /// For a recording at `fps` frames per second.
    pub fn new(fps: f64) -> Self {
        let per_movement: Vec<(MovementId, u64)> =
            CORE_MOVEMENTS.iter().map(|m| (m.id, 0)).collect();
        let frame_s = 1.0 / fps;
        Self {
            frames: 0,
            repetitions: Vec::new(),
            not_scored: Vec::new(),
            disagreed: per_movement.clone(),
            unfollowed: per_movement,
            blinks: Vec::new(),
            blink_detector: BlinkDetector::new(frame_s),
            duration_s: 0.0,
            frame_s,
        }
    }

    /// Ends the recording: a blink under way at its end.
    pub fn finish(&mut self) {
        self.blinks.extend(self.blink_detector.finish());
    }
}

impl RecordingSummary {
    /// Counts one frame's result (its repetitions are added with [`Self::add_repetitions`]).
    pub fn add_frame(&mut self, result: &FrameResult) {
        self.frames += 1;
        self.duration_s = result.t + self.frame_s;
        self.blinks.extend(self.blink_detector.push(result.t, result.eye_closure));
        if let Some(flag) = result.score.as_ref().and_then(|s| s.flags.first()) {
            match self.not_scored.iter_mut().find(|(kind, _)| *kind == flag.kind()) {
                Some((_, n)) => *n += 1,
                None => self.not_scored.push((flag.kind(), 1)),
            }
        }
        for m in result.score.iter().flat_map(|s| &s.movements) {
            let counts = match m.status {
                ScoreStatus::MirrorDisagrees => &mut self.disagreed,
                ScoreStatus::NotFollowed => &mut self.unfollowed,
                _ => continue,
            };
            if let Some((_, n)) = counts.iter_mut().find(|(id, _)| *id == m.movement) {
                *n += 1;
            }
        }
    }

    /// Adds repetitions that ended.
    pub fn add_repetitions(&mut self, repetitions: impl IntoIterator<Item = Repetition>) {
        self.repetitions.extend(repetitions);
    }
}

/// Per movement: repetitions, their ratios' median with the typical repetition's uncertainty,
/// and the weaker side; then how many frames were not scored, by kind of reason, how many of
/// each movement's readings were left out, and the provisional movements' caveats.
impl fmt::Display for RecordingSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} frames analysed", self.frames)?;
        writeln!(
            f,
            "{:<14} {:>5} {:>13} {:>12}",
            "movement", "reps", "median ratio", "weaker side"
        )?;
        // "smile: 1 of 3 repetitions without a ratio: …", written after the table.
        let mut unsure = Vec::new();
        for m in CORE_MOVEMENTS {
            let reps: Vec<_> = self.repetitions.iter().filter(|r| r.movement == m.id).collect();
            let unsure_here = reps.iter().filter(|r| r.is_unsure()).count();
            if unsure_here > 0 {
                unsure.push(format!(
                    "{}: {unsure_here} of {} repetitions without a ratio: most of their frames \
                     read differently in the mirror image",
                    m.id,
                    reps.len()
                ));
            }
            let uncertainty = median(reps.iter().filter_map(|r| r.ratio.and(r.ratio_uncertainty)));
            let ratio = median(reps.iter().filter_map(|r| r.ratio));
            let median =
                ratio.map_or("–".to_string(), |r| format!("{r:.2}{}", plus_minus(uncertainty)));
            let left = reps.iter().filter(|r| r.weaker == Some(Side::Left)).count();
            let right = reps.iter().filter(|r| r.weaker == Some(Side::Right)).count();
            // A median within its uncertainty of an even movement names no weaker side.
            let uncertain = ratio.is_some_and(|r| RatioBand::of_reading(r, uncertainty).is_none());
            let weaker = match (left, right) {
                (0, 0) => "–".to_string(),
                _ if uncertain => "uncertain".to_string(),
                (l, r) if l > r => format!("left ({l} of {})", l + r),
                (l, r) => format!("right ({r} of {})", l + r),
            };
            let provisional = m.caveat().map_or("", |_| " *");
            writeln!(
                f,
                "{:<14} {:>5} {:>13} {:>12}{provisional}",
                m.id,
                reps.len(),
                median,
                weaker
            )?;
        }
        if !self.not_scored.is_empty() {
            let counts: Vec<String> =
                self.not_scored.iter().map(|(kind, n)| format!("{n} ({kind})")).collect();
            writeln!(f, "frames not scored: {}", counts.join(", "))?;
        }
        let left_out = [
            (
                "readings left out, the frame's mirror image reading them differently",
                &self.disagreed,
            ),
            ("readings not measured, the skin there not followed on both sides", &self.unfollowed),
        ];
        for (what, counts) in left_out {
            let counts: Vec<String> =
                counts.iter().filter(|(_, n)| *n > 0).map(|(id, n)| format!("{id} {n}")).collect();
            if !counts.is_empty() {
                writeln!(f, "{what}: {}", counts.join(", "))?;
            }
        }
        for line in unsure {
            writeln!(f, "{line}")?;
        }
        if !self.blinks.is_empty() {
            let rate = per_minute(self.blinks.len(), self.duration_s).unwrap_or(0.0);
            let left = median(self.blinks.iter().map(|b| b.peak_left)).unwrap_or(f64::NAN);
            let right = median(self.blinks.iter().map(|b| b.peak_right)).unwrap_or(f64::NAN);
            writeln!(
                f,
                "blinks: {} ({rate:.0} a minute); each eye closed at most, median: left \
                 {left:.2}, right {right:.2} of the open eye (eye closure is provisional)",
                self.blinks.len()
            )?;
        }
        write!(f, "{}", Caveats)
    }
}

/// One line for each movement whose score is only provisional, saying why.
pub struct Caveats;

impl fmt::Display for Caveats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in CORE_MOVEMENTS {
            if let Some(why) = m.caveat() {
                writeln!(f, "note: * {} is {why} (docs/validation.md)", m.id)?;
            }
        }
        Ok(())
    }
}
