//! What `facesym analyze` says of a whole recording: per movement its repetitions, their
//! median ratio and the weaker side, and how many frames and readings were not scored and why.

use std::fmt;

use super::recording::FrameResult;
use crate::session::events::{Event, EventFinder, EventKind, per_minute};
use crate::session::history::{RatioBand, median, median_sides};
use crate::session::repetitions::Repetition;
use crate::session::twitches::SETTLE_S;
use crate::symmetry::score::plus_minus;
use crate::symmetry::synkinesis::CoMovement;
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
    /// Blinks, twitches and spasms found ([`EventFinder`]), in order of their start.
    pub events: Vec<Event>,
    finder: EventFinder,
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
            events: Vec::new(),
            finder: EventFinder::new(frame_s),
            duration_s: 0.0,
            frame_s,
        }
    }

    /// Ends the recording: the events under way at its end are added, and twitches and
    /// spasms during a counted repetition (a voluntary movement, from its onset to
    /// [`SETTLE_S`] after its end) are left out.
    pub fn finish(&mut self) {
        let ended = self.finder.finish();
        self.events.extend(ended);
        self.events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        let repetitions = &self.repetitions;
        self.events.retain(|e| {
            e.kind == EventKind::Blink
                || !repetitions.iter().any(|r| e.overlaps(r.onset_s, r.end_s + SETTLE_S, 0.0))
        });
    }

    /// The blinks found.
    pub fn blinks(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.kind == EventKind::Blink)
    }

    /// The twitches and spasms found.
    pub fn twitches(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.kind != EventKind::Blink)
    }
}

impl RecordingSummary {
    /// Counts one frame's result (its repetitions are added with [`Self::add_repetitions`]).
    pub fn add_frame(&mut self, result: &FrameResult) {
        self.frames += 1;
        self.duration_s = result.t + self.frame_s;
        let regions = result.score.as_ref().and_then(|s| s.regions.as_ref());
        let ended = self.finder.push(result.t, result.eye_closure, regions, result.at_rest);
        self.events.extend(ended);
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
        let mut synkinesis = Vec::new();
        for m in CORE_MOVEMENTS {
            let Some(co) = CoMovement::during(m.id) else { continue };
            let reps = self.repetitions.iter().filter(|r| r.movement == m.id);
            if let Some([left, right]) = median_sides(reps.filter_map(|r| r.synkinesis)) {
                synkinesis.push(format!(
                    "{}: {} left {}, right {}",
                    m.id,
                    co.label(),
                    co.amount(left),
                    co.amount(right)
                ));
            }
        }
        if !synkinesis.is_empty() {
            writeln!(
                f,
                "synkinesis, median over repetitions: {} (provisional: a generated eye narrowing \
                 reads 0.5-0.95 of its size, and none through glasses; docs/validation.md)",
                synkinesis.join("; ")
            )?;
        }
        let blinks: Vec<&Event> = self.blinks().collect();
        if !blinks.is_empty() {
            let rate = per_minute(blinks.len(), self.duration_s).unwrap_or(0.0);
            let left = median(blinks.iter().filter_map(|b| b.peak_left)).unwrap_or(f64::NAN);
            let right = median(blinks.iter().filter_map(|b| b.peak_right)).unwrap_or(f64::NAN);
            writeln!(
                f,
                "blinks: {} ({rate:.0} a minute); each eye closed at most, median: left \
                 {left:.2}, right {right:.2} of the open eye (eye closure is provisional)",
                blinks.len()
            )?;
        }
        write!(f, "{}", TwitchCounts::of(&self.twitches().collect::<Vec<_>>(), self.duration_s))?;
        write!(f, "{}", Caveats)
    }
}

/// Events closer together than this (seconds, from one's end to the next's start) belong to
/// one burst.
pub const BURST_GAP_S: f64 = 2.0;
/// Events a burst has at least.
pub const BURST_EVENTS: usize = 3;

/// The twitches and spasms of a recording counted: by side, by region, per minute, and the
/// bursts among them. Nothing when there are none.
pub struct TwitchCounts<'a> {
    events: &'a [&'a Event],
    duration_s: f64,
}

impl<'a> TwitchCounts<'a> {
    /// `events` (twitches and spasms, in order) over `duration_s` seconds.
    pub fn of(events: &'a [&'a Event], duration_s: f64) -> Self {
        Self { events, duration_s }
    }

    /// Runs of at least [`BURST_EVENTS`] events each within [`BURST_GAP_S`] of the last.
    pub fn bursts(&self) -> usize {
        let mut bursts = 0;
        let mut run = 0;
        let mut last_end = f64::NEG_INFINITY;
        for e in self.events {
            run = if e.start_s - last_end <= BURST_GAP_S { run + 1 } else { 1 };
            if run == BURST_EVENTS {
                bursts += 1;
            }
            last_end = last_end.max(e.end_s);
        }
        bursts
    }
}

/// "twitches and spasms at rest: 3 (1.5 a minute; 2 twitches, 1 spasm): left 3; lower lid 2,
/// mouth corner 1; largest 0.031 IOD; bursts 1".
impl fmt::Display for TwitchCounts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.events.is_empty() {
            return Ok(());
        }
        let count = |pick: &dyn Fn(&Event) -> &str, names: &[&str]| -> Vec<String> {
            names
                .iter()
                .filter_map(|name| {
                    let n = self.events.iter().filter(|e| pick(e) == *name).count();
                    (n > 0).then(|| format!("{} {n}", name.replace('_', " ")))
                })
                .collect()
        };
        let rate = per_minute(self.events.len(), self.duration_s).unwrap_or(0.0);
        let spasms = self.events.iter().filter(|e| e.kind == EventKind::Spasm).count();
        let sides = count(&|e| e.side, &["left", "right", "both"]);
        let regions: Vec<&str> = crate::symmetry::regions::Region::ALL.map(|r| r.name()).to_vec();
        let regions = count(&|e| e.region, &regions);
        let largest = self.events.iter().filter_map(|e| e.peak_iod).fold(0.0, f64::max);
        writeln!(
            f,
            "twitches and spasms at rest: {} ({rate:.1} a minute; {} twitch{}, {spasms} spasm{}): \
             {}; {}; largest {largest:.3} IOD; bursts {} (not validated on real twitches)",
            self.events.len(),
            self.events.len() - spasms,
            if self.events.len() - spasms == 1 { "" } else { "es" },
            if spasms == 1 { "" } else { "s" },
            sides.join(", "),
            regions.join(", "),
            self.bursts()
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn twitch(region: &'static str, side: &'static str, start_s: f64, kind: EventKind) -> Event {
        Event {
            kind,
            region,
            side,
            start_s,
            end_s: start_s + 0.2,
            peak_iod: Some(0.01 * start_s),
            peak_left: None,
            peak_right: None,
        }
    }

    /// Three events each within 2 s of the last are a burst (a fourth does not make a second
    /// one); the line counts kinds, sides, regions and the rate, and says nothing without
    /// events.
    #[test]
    fn twitch_counts_and_bursts() {
        let events = [
            twitch("lower_lid", "left", 1.0, EventKind::Twitch),
            twitch("lower_lid", "left", 2.5, EventKind::Twitch),
            twitch("mouth_corner", "left", 4.0, EventKind::Spasm),
            twitch("lower_lid", "left", 5.5, EventKind::Twitch),
            twitch("chin", "both", 20.0, EventKind::Twitch),
        ];
        let refs: Vec<&Event> = events.iter().collect();
        let counts = TwitchCounts::of(&refs, 60.0);
        assert_eq!(counts.bursts(), 1);
        assert_eq!(
            counts.to_string(),
            "twitches and spasms at rest: 5 (5.0 a minute; 4 twitches, 1 spasm): left 4, both 1; \
             lower lid 3, mouth corner 1, chin 1; largest 0.200 IOD; bursts 1 (not validated on \
             real twitches)\n"
        );
        assert_eq!(TwitchCounts::of(&refs[..2], 60.0).bursts(), 0);
        assert_eq!(TwitchCounts::of(&[], 60.0).to_string(), "");
    }
}
