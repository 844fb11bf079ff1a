//! Involuntary events of a recording or a rest check: blinks (both eyes closing together,
//! briefly), each with how far each eye closed (the palsied eye often blinks incompletely),
//! found in the eye closure over time; and, with [`EventFinder`], the twitches and spasms of
//! [`TwitchDetector`] that are not part of a blink or of the whole face moving. A closure held
//! longer than a blink is a voluntary one (the eye closure exercise) and one eye closing alone
//! is not a blink. Formulas in docs/metrics.md, "Blinks" and "Twitches and spasms".

use serde::Serialize;

use super::twitches::{TwitchDetector, merge_eye_regions};
use crate::symmetry::regions::RegionReading;

/// Closure (of the open aperture) an eye must reach for an episode to start: a half-closed eye
/// reads about 0.3 through the iris model's lids, a closed one 0.46–0.88 (docs/validation.md).
pub const BLINK_START: f64 = 0.3;
/// Closure below which, on both eyes, the episode has ended.
pub const BLINK_END: f64 = 0.15;
/// Longest blink, seconds (from the first to the last frame at or over [`BLINK_START`], plus a
/// frame): blinks last 0.1–0.4 s; a longer closure is held on purpose.
pub const MAX_BLINK_S: f64 = 0.5;
/// Frames without a reading (no face, head turned) for longer than this end an episode.
pub const MAX_GAP_S: f64 = 0.25;

/// What kind of involuntary event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Both eyes closing together, briefly.
    Blink,
    /// A brief involuntary movement of one region (shorter than
    /// [`MIN_SPASM_S`](super::twitches::MIN_SPASM_S)).
    Twitch,
    /// A sustained one.
    Spasm,
}

impl EventKind {
    /// As written in events: "blink", "twitch", "spasm".
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Blink => "blink",
            EventKind::Twitch => "twitch",
            EventKind::Spasm => "spasm",
        }
    }
}

/// One involuntary event: a blink, a twitch or a spasm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// What kind.
    pub kind: EventKind,
    /// Where: "eye" for a blink, else a [`Region`](crate::symmetry::regions::Region)'s name.
    pub region: &'static str,
    /// "left", "right" or "both" (always both for a blink).
    pub side: &'static str,
    /// Seconds from the start of the recording: its first frame.
    pub start_s: f64,
    /// Its last frame.
    pub end_s: f64,
    /// A twitch's or spasm's largest displacement from rest, IOD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_iod: Option<f64>,
    /// A blink's completeness: how far the left eye closed at most, a fraction of its open
    /// aperture (1 is shut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_left: Option<f64>,
    /// The right eye's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_right: Option<f64>,
}

impl Event {
    /// Whether it overlaps the span `from`–`to` (seconds) widened by `margin` on each side.
    pub fn overlaps(&self, from: f64, to: f64, margin: f64) -> bool {
        self.start_s <= to + margin && self.end_s >= from - margin
    }
}

/// Seconds around a blink within which a twitch is taken for part of it: the lids and the
/// skin round the eye move before and after the closure the blink detector sees.
pub const BLINK_MARGIN_S: f64 = 0.15;

/// Spans of the eyes closing together are kept this much longer than blinks: a twitch is
/// handed over when it ends, up to [`MAX_SPASM_S`](super::twitches::MAX_SPASM_S) after its
/// start.
const MAX_SPASM_WAIT_S: f64 = super::twitches::MAX_SPASM_S;

/// How long the spans and events that later events are compared with are kept, seconds: a
/// twitch still pending may have begun this long ago.
const KEPT_S: f64 = 2.0 * SETTLED_AFTER_S + MAX_SPASM_WAIT_S;

/// Regions moving on both sides at once from which the whole face is taken to have moved.
pub const WHOLE_FACE_REGIONS: usize = 3;

/// A one-sided event and an event of both sides elsewhere that begin this close (seconds),
/// the latter ending by the former's end as close: the face frame's jump at the twitch.
pub const ECHO_S: f64 = 0.1;

/// `settled` without the events of both sides that overlap events of both sides in at least
/// [`WHOLE_FACE_REGIONS`] regions in all (among `settled` and the `others`): the whole
/// face moving at once is the head, an expression or the face frame's own jump, not an
/// involuntary movement of one region; nor those that begin and end with a one-sided event
/// ([`ECHO_S`]): a twitch that narrows an eye moves the face frame (the head's motion is then
/// measured without that eye's corner), which shifts both sides of another region a little.
fn without_whole_face(settled: Vec<Event>, others: &[Event]) -> Vec<Event> {
    let both = |e: &&Event| e.kind != EventKind::Blink && e.side == "both";
    let all: Vec<&Event> = settled.iter().chain(others).filter(both).collect();
    let whole_face = |e: &Event| {
        let mut regions: Vec<&str> =
            all.iter().filter(|o| o.overlaps(e.start_s, e.end_s, 0.0)).map(|o| o.region).collect();
        regions.sort_unstable();
        regions.dedup();
        regions.len() >= WHOLE_FACE_REGIONS
    };
    let one_sided: Vec<&Event> = settled
        .iter()
        .chain(others)
        .filter(|e| e.kind != EventKind::Blink && e.side != "both")
        .collect();
    let echo = |e: &Event| {
        one_sided
            .iter()
            .any(|o| (e.start_s - o.start_s).abs() <= ECHO_S && e.end_s <= o.end_s + ECHO_S)
    };
    let keep: Vec<bool> =
        settled.iter().map(|e| !(both(&e) && (whole_face(e) || echo(e)))).collect();
    settled.into_iter().zip(keep).filter_map(|(e, keep)| keep.then_some(e)).collect()
}

/// A twitch is given out this long after its end: by then a blink it was part of has ended
/// and been found (a blink lasts at most [`MAX_BLINK_S`], is ended by [`MAX_GAP_S`] without a
/// reading, and reaches [`BLINK_MARGIN_S`] around it).
pub const SETTLED_AFTER_S: f64 = MAX_BLINK_S + MAX_GAP_S + BLINK_MARGIN_S;

/// One eye's closure this much above its own recent median (a fraction of the open
/// aperture) while the other's is [`EYES_TOGETHER_OTHER`] above its own is the eyes closing
/// together: a blink too shallow for [`BLINK_START`] (or one eye's incomplete blink), or a
/// squint; the lids' movements then are not twitches. At rest an eye's closure wanders by
/// about ±0.04; a one-sided lid twitch of 0.03 IOD raises its eye's by about 0.14.
pub const EYES_TOGETHER_RISE: f64 = 0.1;
/// How far the other eye's closure rises with it for the eyes to close together, and at
/// least [`EYES_TOGETHER_SPREADS`] times its own spread at rest: a generated blink rose one
/// eye's closure by 0.15 and the other's by 0.08; the eyes behind Grace Hopper's glasses read
/// ±0.06 at rest (spread 0.025).
pub const EYES_TOGETHER_OTHER: f64 = 0.05;
/// The other eye's rise in its own spread at rest (the median absolute deviation of its
/// closure over the last 2 s, `EYE_REST_S`).
pub const EYES_TOGETHER_SPREADS: f64 = 3.0;
/// In a blink both lids begin to move at once: a lid's movement that began this long or more
/// before both eyes were seen closing is not the blink's, seconds (a 0.05-IOD lower-lid
/// twitch began 0.07 s before the other eye's noise read it closing; a generated blink's
/// lid skin moved one frame, 0.03 s, before both eyes read closing).
pub const TOGETHER_ONSET_S: f64 = 0.05;
/// Seconds of closure an eye's recent median is taken over.
const EYE_REST_S: f64 = 2.0;

/// Blinks, twitches and spasms found frame by frame, as `facesym analyze` and the Rest check
/// give them: a twitch within [`BLINK_MARGIN_S`] of a blink is part of the blink, a twitch of
/// the lids while both eyes close together ([`EYES_TOGETHER_RISE`]) is part of that, and one
/// movement of the lids seen in both of their regions on one side is one event
/// ([`merge_eye_regions`](super::twitches::merge_eye_regions)). Blinks are given out as they
/// end, twitches and spasms [`SETTLED_AFTER_S`] after.
#[derive(Clone, Debug)]
pub struct EventFinder {
    blinks: BlinkDetector,
    twitches: TwitchDetector,
    /// Twitches and spasms not yet given out.
    pending: Vec<Event>,
    /// Spans of the blinks found, for the twitches that end after them.
    blink_spans: Vec<(f64, f64)>,
    /// Each eye's recent closures (seconds, closure), and the spans in which both eyes closed
    /// together (the last one possibly still open) with their frames.
    eye_rest: [std::collections::VecDeque<(f64, f64)>; 2],
    together: Vec<(f64, f64, usize)>,
    together_now: bool,
    /// Twitches and spasms given out lately, which events settling after them are compared
    /// with ([`ECHO_S`]).
    given: Vec<Event>,
}

impl EventFinder {
    /// For frames `frame_s` seconds apart.
    pub fn new(frame_s: f64) -> Self {
        Self {
            blinks: BlinkDetector::new(frame_s),
            twitches: TwitchDetector::new(frame_s),
            pending: Vec::new(),
            blink_spans: Vec::new(),
            eye_rest: Default::default(),
            together: Vec::new(),
            together_now: false,
            given: Vec::new(),
        }
    }

    /// Follows both eyes' closure against their recent medians, and the spans in which both
    /// rose together ([`EYES_TOGETHER_RISE`], [`EYES_TOGETHER_OTHER`]).
    fn watch_eyes(&mut self, t_s: f64, closures: Option<[f64; 2]>) {
        let Some(closures) = closures else {
            self.together_now = false;
            return;
        };
        // Each eye's rise over its recent median, and the least rise its noise cannot make.
        let mut rises = [[f64::NAN; 2]; 2];
        for ((rest, c), rise) in self.eye_rest.iter_mut().zip(closures).zip(&mut rises) {
            while rest.front().is_some_and(|r| t_s - r.0 > EYE_REST_S) {
                rest.pop_front();
            }
            let mut recent: Vec<f64> = rest.iter().map(|r| r.1).collect();
            if recent.len() >= 10
                && let Some(m) = crate::stats::median_in_place(&mut recent)
            {
                let mut spread: Vec<f64> = recent.iter().map(|v| (v - m).abs()).collect();
                let spread = crate::stats::median_in_place(&mut spread).unwrap_or(0.0);
                *rise = [c - m, EYES_TOGETHER_OTHER.max(EYES_TOGETHER_SPREADS * spread)];
            }
            rest.push_back((t_s, c));
        }
        let together = rises.iter().all(|&[rise, least]| rise >= least)
            && rises.iter().any(|&[rise, _]| rise >= EYES_TOGETHER_RISE);
        match (together, self.together_now) {
            (true, true) => {
                if let Some(span) = self.together.last_mut() {
                    (span.1, span.2) = (t_s, span.2 + 1);
                }
            }
            (true, false) => self.together.push((t_s, t_s, 1)),
            _ => {}
        }
        self.together_now = together;
        self.together.retain(|&(_, end, _)| end >= t_s - KEPT_S);
    }

    /// Whether `event` is a movement of the lids that began as both eyes began closing
    /// together (at most [`TOGETHER_ONSET_S`], or a frame and a half, before they were seen
    /// to) or while they did, for two frames or more: one frame of both reading high is their
    /// noise coinciding, and a lid twitch is not undone by the other eye's noise later in it.
    fn lids_closing_together(&self, event: &Event) -> bool {
        let onset = TOGETHER_ONSET_S.max(1.5 * self.blinks.frame_s);
        (event.region == "eye" || event.region == "lower_lid")
            && self.together.iter().any(|&(f, t, frames)| {
                frames >= 2 && (f - onset..=t + BLINK_MARGIN_S).contains(&event.start_s)
            })
    }

    /// The frame at `t_s`: each eye's closure (a fraction of the open aperture; `None`
    /// without a reading), the regions' readings, and whether the face is at rest (no
    /// exercise under way). Returns the events now settled, in order of their start.
    pub fn push(
        &mut self,
        t_s: f64,
        closures: Option<[f64; 2]>,
        regions: Option<&RegionReading>,
        at_rest: bool,
    ) -> Vec<Event> {
        let blink = self.blinks.push(t_s, closures);
        self.watch_eyes(t_s, closures);
        let twitches = self.twitches.push(t_s, regions, at_rest);
        let mut out = self.take(blink.into_iter().chain(twitches).collect());
        let (settled, pending): (Vec<Event>, Vec<Event>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|e| e.end_s < t_s - SETTLED_AFTER_S);
        let others: Vec<Event> = pending.iter().chain(&self.given).cloned().collect();
        let settled = without_whole_face(settled, &others);
        self.pending = pending;
        self.blink_spans.retain(|&(_, end)| end >= t_s - KEPT_S);
        self.given.retain(|e| e.end_s >= t_s - KEPT_S);
        self.given.extend(settled.iter().cloned());
        out.extend(settled);
        out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        out
    }

    /// Ends the recording: every event not yet given out, in order of their start.
    pub fn finish(&mut self) -> Vec<Event> {
        let ended: Vec<Event> =
            self.blinks.finish().into_iter().chain(self.twitches.finish()).collect();
        let mut out = self.take(ended);
        out.extend(without_whole_face(std::mem::take(&mut self.pending), &self.given));
        out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        out
    }

    /// Takes newly ended events: blinks are given out (and the pending twitches they overlap
    /// dropped), twitches and spasms kept pending unless a blink overlaps them.
    fn take(&mut self, ended: Vec<Event>) -> Vec<Event> {
        let mut out = Vec::new();
        for event in ended {
            if event.kind == EventKind::Blink {
                let (from, to) = (event.start_s, event.end_s);
                self.pending.retain(|e| !e.overlaps(from, to, BLINK_MARGIN_S));
                self.blink_spans.push((from, to));
                out.push(event);
            } else if !self.blink_spans.iter().any(|&(f, t)| event.overlaps(f, t, BLINK_MARGIN_S))
                && !self.lids_closing_together(&event)
            {
                self.pending.push(event);
                self.pending.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
                self.pending = merge_eye_regions(std::mem::take(&mut self.pending));
            }
        }
        out
    }
}

/// An episode of closing under way.
#[derive(Clone, Debug)]
struct Episode {
    start_s: f64,
    /// The last frame at or over the start level, and the last frame read.
    last_over_s: f64,
    last_read_s: f64,
    peak: [f64; 2],
}

/// Finds blinks in eye closures pushed in time order.
#[derive(Clone, Debug)]
pub struct BlinkDetector {
    /// Seconds a frame lasts (the recording's frame period), added to an episode's span.
    frame_s: f64,
    episode: Option<Episode>,
}

impl BlinkDetector {
    /// For frames `frame_s` seconds apart.
    pub fn new(frame_s: f64) -> Self {
        Self { frame_s, episode: None }
    }

    /// The frame at `t_s` with each eye's closure, `[left, right]` (a fraction of the open
    /// aperture), or `None` when it has no reading; a blink that ended before it, if one did.
    pub fn push(&mut self, t_s: f64, closures: Option<[f64; 2]>) -> Option<Event> {
        let Some([left, right]) = closures.filter(|c| c.iter().all(|v| v.is_finite())) else {
            let stale = self.episode.as_ref().is_some_and(|e| t_s - e.last_read_s > MAX_GAP_S);
            return if stale { self.finish() } else { None };
        };
        let most = left.max(right);
        let gap = t_s - self.last_read();
        match &mut self.episode {
            None if most >= BLINK_START => {
                self.episode = Some(Episode {
                    start_s: t_s,
                    last_over_s: t_s,
                    last_read_s: t_s,
                    peak: [left, right],
                });
                None
            }
            None => None,
            Some(_) if most < BLINK_END || gap > MAX_GAP_S => {
                let ended = self.finish();
                if most >= BLINK_START {
                    self.push(t_s, closures);
                }
                ended
            }
            Some(episode) => {
                if most >= BLINK_START {
                    episode.last_over_s = t_s;
                }
                episode.last_read_s = t_s;
                episode.peak = [episode.peak[0].max(left), episode.peak[1].max(right)];
                None
            }
        }
    }

    fn last_read(&self) -> f64 {
        self.episode.as_ref().map_or(f64::NEG_INFINITY, |e| e.last_read_s)
    }

    /// Ends the episode under way (the recording ended): the blink it was, if it was one.
    pub fn finish(&mut self) -> Option<Event> {
        let episode = self.episode.take()?;
        let span = episode.last_over_s - episode.start_s + self.frame_s;
        let both = episode.peak.iter().all(|&p| p >= BLINK_START);
        (both && span <= MAX_BLINK_S).then(|| Event {
            kind: EventKind::Blink,
            region: "eye",
            side: "both",
            start_s: episode.start_s,
            end_s: episode.last_over_s,
            peak_iod: None,
            peak_left: Some(episode.peak[0]),
            peak_right: Some(episode.peak[1]),
        })
    }
}

/// Events per minute over `duration_s` seconds of recording.
pub fn per_minute(count: usize, duration_s: f64) -> Option<f64> {
    (duration_s > 0.0).then(|| count as f64 * 60.0 / duration_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames at 25 fps with these closures (left = right unless given apart).
    fn run(closures: &[(f64, f64)]) -> Vec<Event> {
        let mut detector = BlinkDetector::new(0.04);
        let mut found: Vec<Event> = closures
            .iter()
            .enumerate()
            .filter_map(|(i, &(l, r))| detector.push(i as f64 * 0.04, Some([l, r])))
            .collect();
        found.extend(detector.finish());
        found
    }

    /// Both eyes closing for 0.16 s is a blink, with each eye's peak; one eye alone is not;
    /// a closure held 0.8 s is not (it is the exercise); two blinks apart are two.
    #[test]
    fn blinks_are_brief_and_take_both_eyes() {
        let mut frames = vec![(0.0, 0.0); 5];
        frames.extend([(0.4, 0.35), (0.8, 0.6), (0.7, 0.5), (0.35, 0.32), (0.1, 0.1)]);
        frames.extend(vec![(0.0, 0.0); 5]);
        let blinks = run(&frames);
        assert_eq!(blinks.len(), 1, "{blinks:?}");
        let b = &blinks[0];
        assert!((b.start_s - 0.2).abs() < 1e-9 && (b.end_s - 0.32).abs() < 1e-9, "{b:?}");
        assert_eq!((b.peak_left, b.peak_right), (Some(0.8), Some(0.6)));

        let one_eye = [(0.0, 0.0), (0.7, 0.05), (0.8, 0.1), (0.0, 0.0)];
        assert!(run(&one_eye).is_empty());
        let mut held = vec![(0.0, 0.0)];
        held.extend(vec![(0.7, 0.7); 20]);
        held.push((0.0, 0.0));
        assert!(run(&held).is_empty(), "0.8 s closed is held on purpose");
        let mut two = frames.clone();
        two.extend(frames);
        assert_eq!(run(&two).len(), 2);
    }

    /// A twitch of a lid during a blink is part of the blink; one apart from it is given out
    /// once settled, after the blink.
    #[test]
    fn twitches_at_blinks_are_the_blinks() {
        use crate::symmetry::regions::{Region, RegionSide};
        let reading = |dy: f64| {
            let mut r = RegionReading([[RegionSide { displacement: [0.0; 2], points: 1 }; 2]; 6]);
            let lid = Region::ALL.iter().position(|&r| r == Region::LowerLid).unwrap();
            r.0[lid][if dy < 0.0 { 0 } else { 1 }].displacement[1] = dy;
            r
        };
        let mut finder = EventFinder::new(0.04);
        let mut found = Vec::new();
        for i in 0..150 {
            let t = i as f64 * 0.04;
            // A blink at 2.0–2.16 s with the left lower lid moving then; the right lower lid
            // twitching at 4.0–4.2 s.
            let blink = (2.0..2.16).contains(&t);
            let closures = if blink { [0.7, 0.7] } else { [0.05, 0.05] };
            let dy = if blink {
                -0.02
            } else if (4.0..4.2).contains(&t) {
                0.02
            } else {
                0.0
            };
            let jitter = 0.0002 * ((i * 7 % 5) as f64 - 2.0);
            found.extend(finder.push(t, Some(closures), Some(&reading(dy + jitter)), true));
            if (4.3..4.4).contains(&t) {
                assert_eq!(found.len(), 1, "the twitch waits to be settled: {found:?}");
            }
        }
        found.extend(finder.finish());
        let kinds: Vec<_> = found.iter().map(|e| (e.kind, e.region, e.side)).collect();
        assert_eq!(
            kinds,
            [(EventKind::Blink, "eye", "both"), (EventKind::Twitch, "lower_lid", "right")],
            "{found:?}"
        );
    }

    /// A blink too shallow for the blink detector, one eye closing further than the other
    /// (0.15 and 0.08 over their rest), takes the lid's movement with it; a lid twitch, which
    /// closes its own eye alone (the other within its noise), is kept, and so is a long one
    /// during which the other eye's noise reads it closing for two frames from 0.08 s after
    /// it began.
    #[test]
    fn shallow_uneven_blinks_are_not_twitches() {
        use crate::symmetry::regions::{Region, RegionSide};
        let lid = Region::ALL.iter().position(|&r| r == Region::LowerLid).unwrap();
        let mut finder = EventFinder::new(0.04);
        let mut found = Vec::new();
        for i in 0..200 {
            let t = i as f64 * 0.04;
            let jitter = 0.0002 * ((i * 7 % 5) as f64 - 2.0);
            let mut closures = [0.05 + jitter * 50.0, 0.05 - jitter * 50.0];
            let mut r = RegionReading([[RegionSide { displacement: [0.0; 2], points: 1 }; 2]; 6]);
            r.0[lid][0].displacement[1] = jitter;
            r.0[lid][1].displacement[1] = -jitter;
            if (2.0..2.16).contains(&t) {
                // The shallow blink: the left lid's skin moves with it.
                closures = [0.2, 0.13];
                r.0[lid][0].displacement[1] -= 0.02;
            } else if (4.0..4.2).contains(&t) {
                // The left lower lid twitches, closing its eye a little; the right stays.
                closures = [0.19, 0.07];
                r.0[lid][0].displacement[1] -= 0.02;
            } else if (5.5..6.3).contains(&t) {
                // The right lower lid held up 0.8 s; the left eye reads 0.07 high twice.
                closures = [if (5.6..5.68).contains(&t) { 0.12 } else { 0.05 }, 0.25];
                r.0[lid][1].displacement[1] -= 0.02;
            }
            found.extend(finder.push(t, Some(closures), Some(&r), true));
        }
        found.extend(finder.finish());
        let centis = |t: f64| (t * 100.0).round() as i64;
        let kinds: Vec<_> =
            found.iter().map(|e| (e.kind, e.region, e.side, centis(e.start_s))).collect();
        assert_eq!(
            kinds,
            [
                (EventKind::Twitch, "lower_lid", "left", 400),
                (EventKind::Spasm, "lower_lid", "right", 552)
            ],
            "{found:?}"
        );
    }

    /// Events of both sides in three regions at once are the whole face moving and go; in
    /// two they stay, as do one-sided ones; one of both sides begun and ended with a
    /// one-sided event goes.
    #[test]
    fn the_whole_face_moving_is_no_twitch() {
        let event = |region, side, start_s| Event {
            kind: EventKind::Twitch,
            region,
            side,
            start_s,
            end_s: start_s + 0.2,
            peak_iod: Some(0.01),
            peak_left: None,
            peak_right: None,
        };
        let settled = vec![
            event("brow", "both", 1.0),
            event("cheek", "both", 1.1),
            event("lower_lid", "left", 1.0),
            event("brow", "both", 5.0),
            event("chin", "both", 5.1),
            // With a one-sided twitch: begun together, the face frame's jump; begun later, not.
            event("mouth_corner", "right", 8.0),
            event("chin", "both", 8.03),
            event("lower_lid", "left", 11.0),
            event("cheek", "both", 11.2),
        ];
        let later = [event("chin", "both", 1.15)];
        let kept: Vec<_> =
            without_whole_face(settled, &later).iter().map(|e| (e.region, e.start_s)).collect();
        assert_eq!(
            kept,
            [
                ("lower_lid", 1.0),
                ("brow", 5.0),
                ("chin", 5.1),
                ("mouth_corner", 8.0),
                ("lower_lid", 11.0),
                ("cheek", 11.2)
            ]
        );
    }

    /// The cheeks of both sides moving with a brief lid twitch, a frame longer than it, are
    /// the face frame's jump, though the twitch was given out before they ended.
    #[test]
    fn both_sides_moving_with_a_twitch_are_its_echo() {
        use crate::symmetry::regions::{Region, RegionSide};
        let at = |region: Region| Region::ALL.iter().position(|&r| r == region).unwrap();
        let mut finder = EventFinder::new(0.04);
        let mut found = Vec::new();
        for i in 0..150 {
            let t = i as f64 * 0.04;
            let jitter = 0.0002 * ((i * 7 % 5) as f64 - 2.0);
            let mut r = RegionReading([[RegionSide { displacement: [0.0; 2], points: 1 }; 2]; 6]);
            for region in r.0.iter_mut() {
                region[0].displacement[1] = jitter;
                region[1].displacement[1] = -jitter;
            }
            if (2.0..2.1).contains(&t) {
                r.0[at(Region::LowerLid)][0].displacement[1] -= 0.02;
            }
            if (2.0..2.18).contains(&t) {
                for side in &mut r.0[at(Region::Cheek)] {
                    side.displacement[1] += 0.01;
                }
            }
            found.extend(finder.push(t, Some([0.05, 0.05]), Some(&r), true));
        }
        found.extend(finder.finish());
        let kinds: Vec<_> = found.iter().map(|e| (e.region, e.side)).collect();
        assert_eq!(kinds, [("lower_lid", "left")], "{found:?}");
    }

    /// A frame without a reading in the middle of a blink does not split it; a gap longer
    /// than `MAX_GAP_S` ends it.
    #[test]
    fn short_gaps_do_not_split_a_blink() {
        let mut detector = BlinkDetector::new(0.04);
        let mut found = Vec::new();
        let frames = [Some([0.0, 0.0]), Some([0.6, 0.6]), None, Some([0.7, 0.6]), Some([0.0, 0.0])];
        for (i, closures) in frames.into_iter().enumerate() {
            found.extend(detector.push(i as f64 * 0.04, closures));
        }
        assert_eq!(found.len(), 1, "{found:?}");
        let mut detector = BlinkDetector::new(0.04);
        assert_eq!(detector.push(0.0, Some([0.6, 0.6])), None);
        let ended = detector.push(0.5, None);
        assert!(ended.is_some_and(|b| b.end_s == 0.0), "ended by the gap");
        assert_eq!(per_minute(3, 90.0), Some(2.0));
    }
}
