//! Twitches and spasms at rest (hemifacial spasm, myokymia): per region of the face and side,
//! a movement away from the face's recent resting position, larger than the region's own
//! noise, that comes back. Fed the regions' readings frame by frame
//! ([`RegionReading`]); formulas and thresholds in docs/metrics.md, "Twitches and spasms".

use std::collections::VecDeque;

use super::events::{Event, EventKind};
use crate::stats::median_in_place;
use crate::symmetry::Side;
use crate::symmetry::regions::{Region, RegionReading};

/// The smallest displacement from rest called a twitch, IOD: three times the largest
/// frame-to-frame wander of skin motion at rest on the generated clips (docs/validation.md),
/// and below what a 0.02-IOD twitch of the lower lid or the mouth corner moves its skin by.
pub const MIN_TWITCH_IOD: f64 = 0.006;
/// A twitch must also exceed this many times the region's noise: the 95th percentile of the
/// sizes of its frame-to-frame changes at rest (for steady noise of spread σ a component,
/// 3.46 σ; the iris model's lids jump more often than that would say, and a percentile
/// high in the tail sees it), so that a region read noisily calls only what stands out of its
/// own noise.
pub const NOISE_FACTOR: f64 = 2.5;
/// An event ends when every side is back within this fraction of its threshold.
pub const END_FRACTION: f64 = 0.5;
/// The resting position is the median of the last this-many seconds at rest.
pub const BASELINE_S: f64 = 2.0;
/// Seconds of rest needed before anything is called (a resting position and its noise).
pub const MIN_BASELINE_S: f64 = 1.0;
/// The noise is measured over the last this-many seconds at rest.
pub const NOISE_S: f64 = 10.0;
/// An event this long or longer is a spasm; shorter, a twitch.
pub const MIN_SPASM_S: f64 = 0.5;
/// A movement held longer than this is a new resting position (the face settled
/// differently), not a spasm: it is not reported, and rest is measured afresh.
pub const MAX_SPASM_S: f64 = 5.0;
/// A side whose largest displacement is at least this fraction of the other side's makes the
/// event "both" (whether or not it crossed its own threshold: the two eyes' lids are read
/// with different noise); less, and it is the other side's pull on it.
pub const BOTH_FRACTION: f64 = 0.5;
/// The slow wander of a region at rest (the 95th percentile of its distance from rest over
/// the last [`NOISE_S`]) times this is a floor of the threshold too: a region read on skin
/// that slides with the head's sway (the cheek of a face turned away) wanders for seconds,
/// which frame-to-frame changes do not show.
pub const WANDER_FACTOR: f64 = 2.0;
/// Readings of other points than the region's rest was measured on (a point's track lost)
/// are skipped, as frames without a reading; after this many seconds of them the rest is
/// measured afresh on the new points.
pub const POINTS_SWITCH_S: f64 = 1.0;
/// After a voluntary movement (not at rest), seconds before anything is called again.
pub const SETTLE_S: f64 = 1.0;
/// Frames without a reading for longer than this end an event and restart the rest.
pub const MAX_GAP_S: f64 = 0.25;

/// One side of one region: its recent resting readings and their noise.
#[derive(Clone, Debug, Default)]
struct Channel {
    /// Readings at rest, (seconds, displacement), the last [`BASELINE_S`].
    rest: VecDeque<(f64, [f64; 2])>,
    /// Sizes of frame-to-frame changes at rest, (seconds, IOD), the last [`NOISE_S`].
    changes: VecDeque<(f64, f64)>,
    /// Distances from rest at rest, (seconds, IOD), the last [`NOISE_S`].
    wander: VecDeque<(f64, f64)>,
    /// Which points the readings are of ([`RegionSide::points`](crate::symmetry::regions::RegionSide)).
    points: u8,
    /// The last reading taken, at rest or not.
    last: Option<(f64, [f64; 2])>,
    /// The last frame's distance from rest, for an event's onset.
    last_distance: Option<(f64, f64)>,
}

impl Channel {
    fn clear(&mut self) {
        *self = Channel { points: self.points, ..Channel::default() };
    }

    /// The resting position and the threshold a movement must cross, once enough rest has
    /// been seen.
    fn rest_and_threshold(&self, frame_s: f64) -> Option<([f64; 2], f64)> {
        let (first, last) = (self.rest.front()?.0, self.rest.back()?.0);
        if last - first + frame_s < MIN_BASELINE_S || self.changes.len() < 10 {
            return None;
        }
        let median = |k: usize| {
            let mut v: Vec<f64> = self.rest.iter().map(|(_, d)| d[k]).collect();
            median_in_place(&mut v).unwrap_or(0.0)
        };
        let p95 = |values: &VecDeque<(f64, f64)>| {
            let mut v: Vec<f64> = values.iter().map(|c| c.1).collect();
            v.sort_by(f64::total_cmp);
            v.get(((v.len().max(1) - 1) as f64 * 0.95).round() as usize).copied().unwrap_or(0.0)
        };
        let threshold = MIN_TWITCH_IOD
            .max(NOISE_FACTOR * p95(&self.changes))
            .max(WANDER_FACTOR * p95(&self.wander));
        Some(([median(0), median(1)], threshold))
    }

    /// Takes a reading at rest, `distance` from the rest when that was known, into the
    /// resting position, its noise and its wander.
    fn rest_on(&mut self, t: f64, d: [f64; 2], distance: Option<f64>) {
        if let Some(x) = distance {
            self.wander.push_back((t, x));
        }
        while self.wander.front().is_some_and(|c| t - c.0 > NOISE_S) {
            self.wander.pop_front();
        }
        if let Some((t0, last)) = self.last
            && t - t0 <= MAX_GAP_S
            && self.rest.back().is_some_and(|r| r.0 == t0)
        {
            self.changes.push_back((t, (d[0] - last[0]).hypot(d[1] - last[1])));
        }
        self.rest.push_back((t, d));
        while self.rest.front().is_some_and(|r| t - r.0 > BASELINE_S) {
            self.rest.pop_front();
        }
        while self.changes.front().is_some_and(|c| t - c.0 > NOISE_S) {
            self.changes.pop_front();
        }
    }
}

/// An event under way in one region.
#[derive(Clone, Debug)]
struct Open {
    start_s: f64,
    /// The last frame a side was beyond [`END_FRACTION`] of its threshold.
    last_active_s: f64,
    /// Frames a side was beyond its threshold.
    over: usize,
    /// Each side's threshold when the event began, and its largest distance from rest.
    threshold: [f64; 2],
    peak: [f64; 2],
    /// Each side's resting position when the event began.
    rest: [[f64; 2]; 2],
}

/// Finds twitches and spasms in the regions' readings pushed in time order.
#[derive(Clone, Debug)]
pub struct TwitchDetector {
    frame_s: f64,
    channels: [[Channel; 2]; 6],
    open: [Option<Open>; 6],
    /// Since when each region's readings have been of other points than its rest's.
    other_points: [Option<f64>; 6],
    /// Nothing is called before this time (a voluntary movement just ended).
    settle_until: f64,
}

impl TwitchDetector {
    /// For frames `frame_s` seconds apart.
    pub fn new(frame_s: f64) -> Self {
        Self {
            frame_s,
            channels: Default::default(),
            open: Default::default(),
            other_points: Default::default(),
            settle_until: f64::NEG_INFINITY,
        }
    }

    /// Frames beyond the threshold an event needs: two where frames come faster than 20 a
    /// second (one frame out of line is a reading's glitch), else one.
    fn min_frames(&self) -> usize {
        if self.frame_s < 0.05 { 2 } else { 1 }
    }

    /// The frame at `t` with its regions' readings (`None`: no reading, the face lost or
    /// turned), and whether the face is at rest there (no exercise under way). Returns the
    /// events that ended.
    pub fn push(&mut self, t: f64, reading: Option<&RegionReading>, at_rest: bool) -> Vec<Event> {
        let mut ended = Vec::new();
        if !at_rest {
            // A voluntary movement: nothing under way was involuntary, and rest is measured
            // afresh after it.
            self.open = Default::default();
            self.channels.iter_mut().flatten().for_each(Channel::clear);
            self.settle_until = t + SETTLE_S;
            return ended;
        }
        let Some(reading) = reading else {
            for r in 0..Region::ALL.len() {
                let stale =
                    self.channels[r].iter().all(|c| c.last.is_none_or(|l| t - l.0 > MAX_GAP_S));
                if stale {
                    ended.extend(self.close(r));
                    self.channels[r].iter_mut().for_each(Channel::clear);
                }
            }
            return ended;
        };
        for (r, region) in Region::ALL.into_iter().enumerate() {
            let sides = Side::BOTH.map(|side| reading.get(region, side));
            let same = (0..2).all(|s| self.channels[r][s].points == sides[s].points);
            let fresh =
                self.open[r].is_none() && self.channels[r].iter().all(|c| c.rest.is_empty());
            let gap = self.channels[r][0].last.is_some_and(|l| t - l.0 > MAX_GAP_S);
            if gap {
                // Too long without a reading of the region: what was under way ended.
                ended.extend(self.close(r));
            }
            if !same && !fresh && !gap {
                // Other points (a track lost): skipped as no reading, unless it lasts.
                let since = *self.other_points[r].get_or_insert(t);
                if t - since <= POINTS_SWITCH_S {
                    continue;
                }
                self.open[r] = None;
            }
            self.other_points[r] = None;
            if gap || !same {
                for (c, side) in self.channels[r].iter_mut().zip(&sides) {
                    c.points = side.points;
                    c.clear();
                }
            }
            let d = sides.map(|s| s.displacement);
            ended.extend(self.step(r, t, d));
            for (c, d) in self.channels[r].iter_mut().zip(d) {
                c.last = Some((t, d));
            }
        }
        ended
    }

    /// One region's frame: an event opened, carried on or ended, or the rest updated.
    fn step(&mut self, r: usize, t: f64, d: [[f64; 2]; 2]) -> Option<Event> {
        let frame_s = self.frame_s;
        if let Some(open) = &mut self.open[r] {
            let distance =
                [0, 1].map(|s| (d[s][0] - open.rest[s][0]).hypot(d[s][1] - open.rest[s][1]));
            let (mut active, mut over) = (false, false);
            for (s, &x) in distance.iter().enumerate() {
                open.peak[s] = open.peak[s].max(x);
                over |= x >= open.threshold[s];
                active |= x >= END_FRACTION * open.threshold[s];
            }
            open.over += usize::from(over);
            if active {
                open.last_active_s = t;
                if t - open.start_s > MAX_SPASM_S {
                    // Held too long to be a spasm: the face settled differently.
                    self.open[r] = None;
                    self.channels[r].iter_mut().for_each(Channel::clear);
                }
                return None;
            }
            let ended = self.close(r);
            for (c, d) in self.channels[r].iter_mut().zip(d) {
                c.last_distance = None;
                c.rest_on(t, d, None);
            }
            return ended;
        }
        let rest = [0, 1].map(|s| self.channels[r][s].rest_and_threshold(frame_s));
        let distance =
            [0, 1].map(|s| rest[s].map(|(at, _)| (d[s][0] - at[0]).hypot(d[s][1] - at[1])));
        let crossed =
            (0..2).any(|s| matches!((rest[s], distance[s]), (Some((_, th)), Some(x)) if x >= th));
        if crossed
            && t >= self.settle_until
            && let [Some((rest_l, th_l)), Some((rest_r, th_r))] = rest
        {
            let threshold = [th_l, th_r];
            // The onset: the frame before, when it had already left rest.
            let start_s = (0..2)
                .filter_map(|s| {
                    let (t0, x) = self.channels[r][s].last_distance?;
                    (x >= END_FRACTION * threshold[s]).then_some(t0)
                })
                .fold(t, f64::min);
            let distance = distance.map(|x| x.unwrap_or(0.0));
            self.open[r] = Some(Open {
                start_s,
                last_active_s: t,
                over: 1,
                threshold,
                peak: distance,
                rest: [rest_l, rest_r],
            });
            return None;
        }
        for s in 0..2 {
            self.channels[r][s].last_distance = distance[s].map(|x| (t, x));
            self.channels[r][s].rest_on(t, d[s], distance[s]);
        }
        None
    }

    /// Ends region `r`'s event under way: the twitch or spasm it was, if it was one.
    fn close(&mut self, r: usize) -> Option<Event> {
        let open = self.open[r].take()?;
        if open.over < self.min_frames() {
            return None;
        }
        let region = Region::ALL[r];
        // The side that moved most for its threshold; the other too when it moved at least
        // BOTH_FRACTION as far.
        let strong = if open.peak[0] / open.threshold[0] >= open.peak[1] / open.threshold[1] {
            0
        } else {
            1
        };
        let weak = 1 - strong;
        let both = open.peak[weak] >= BOTH_FRACTION * open.peak[strong];
        // Both eyes' lids moving together are a blink or a closing of the eyes, not a twitch.
        if both && matches!(region, Region::LowerLid | Region::Eye) {
            return None;
        }
        let side = match (both, strong) {
            (true, _) => "both",
            (false, 0) => "left",
            (false, _) => "right",
        };
        let span = open.last_active_s - open.start_s + self.frame_s;
        Some(Event {
            kind: if span >= MIN_SPASM_S { EventKind::Spasm } else { EventKind::Twitch },
            region: region.name(),
            side,
            start_s: open.start_s,
            end_s: open.last_active_s,
            peak_iod: Some(open.peak[strong]),
            peak_left: None,
            peak_right: None,
        })
    }

    /// Ends the recording: the events under way at its end.
    pub fn finish(&mut self) -> Vec<Event> {
        (0..Region::ALL.len()).filter_map(|r| self.close(r)).collect()
    }
}

/// Events of the lower lid and the eye on one side this close in time (seconds) are one.
pub const EYE_MERGE_S: f64 = 0.15;

/// `events` (in order of their start) with each pair of events of the lower lid and the eye on
/// one side within [`EYE_MERGE_S`] of each other made one: the iris model's upper lid moves
/// with a twitching lower lid, a little late (and the lower lid's skin with a closing eye), so
/// one movement is seen in both. The one that moved further names the region; the two spans
/// join.
pub fn merge_eye_regions(events: Vec<Event>) -> Vec<Event> {
    let eye =
        |e: &Event| e.kind != EventKind::Blink && (e.region == "eye" || e.region == "lower_lid");
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for event in events {
        let partner = out.iter_mut().find(|o| {
            eye(o)
                && eye(&event)
                && o.region != event.region
                && o.side == event.side
                && o.overlaps(event.start_s, event.end_s, EYE_MERGE_S)
        });
        match partner {
            Some(o) => {
                let (start_s, end_s) = (o.start_s.min(event.start_s), o.end_s.max(event.end_s));
                if event.peak_iod > o.peak_iod {
                    *o = event;
                }
                o.start_s = start_s;
                o.end_s = end_s;
                if end_s - start_s >= MIN_SPASM_S {
                    o.kind = EventKind::Spasm;
                }
            }
            None => out.push(event),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::regions::RegionSide;

    /// A reading with every region at rest but `region` on `side` moved by `dy`, a little
    /// noise everywhere.
    fn reading(i: usize, moved: &[(Region, Side, f64)]) -> RegionReading {
        let noise = |k: usize| (((i * 7 + k * 13) % 11) as f64 - 5.0) * 0.0001;
        let mut entries = [[RegionSide { displacement: [0.0; 2], points: 1 }; 2]; 6];
        for (r, region) in Region::ALL.into_iter().enumerate() {
            for (s, side) in Side::BOTH.into_iter().enumerate() {
                let dy: f64 =
                    moved.iter().filter(|m| m.0 == region && m.1 == side).map(|m| m.2).sum();
                entries[r][s].displacement = [noise(r * 2 + s), noise(r * 2 + s + 5) + dy];
            }
        }
        RegionReading(entries)
    }

    /// 30 fps frames, `moves(t)` saying what moved at each.
    fn run(seconds: f64, moves: impl Fn(f64) -> Vec<(Region, Side, f64)>) -> Vec<Event> {
        let mut detector = TwitchDetector::new(1.0 / 30.0);
        let mut found = Vec::new();
        for i in 0..(seconds * 30.0) as usize {
            let t = i as f64 / 30.0;
            found.extend(detector.push(t, Some(&reading(i, &moves(t))), true));
        }
        found.extend(detector.finish());
        found
    }

    /// A 0.2-s twitch of the left lower lid and a 0.8-s spasm of the right mouth corner are
    /// found with their side, region, kind and timing; nothing else is.
    #[test]
    fn twitches_and_spasms_are_found_where_they_are() {
        let events = run(6.0, |t| {
            let mut m = Vec::new();
            if (2.0..2.2).contains(&t) {
                m.push((Region::LowerLid, Side::Left, -0.02));
            }
            if (4.0..4.8).contains(&t) {
                m.push((Region::MouthCorner, Side::Right, -0.03));
            }
            m
        });
        assert_eq!(events.len(), 2, "{events:?}");
        let (lid, corner) = (&events[0], &events[1]);
        assert_eq!((lid.kind, lid.region, lid.side), (EventKind::Twitch, "lower_lid", "left"));
        assert!((lid.start_s - 2.0).abs() < 0.04 && (lid.end_s - 2.2).abs() < 0.05, "{lid:?}");
        assert!((lid.peak_iod.unwrap() - 0.02).abs() < 0.002);
        assert_eq!(
            (corner.kind, corner.region, corner.side),
            (EventKind::Spasm, "mouth_corner", "right")
        );
    }

    /// Both lids together are not a twitch; both mouth corners together are "both"; a
    /// movement while not at rest is nothing; the other side's smaller pull is not an event.
    #[test]
    fn both_sides_blinks_and_voluntary_movements() {
        let events = run(5.0, |t| {
            let mut m = Vec::new();
            if (2.0..2.2).contains(&t) {
                m.push((Region::LowerLid, Side::Left, -0.02));
                m.push((Region::LowerLid, Side::Right, -0.02));
            }
            if (3.0..3.2).contains(&t) {
                m.push((Region::MouthCorner, Side::Left, -0.03));
                m.push((Region::MouthCorner, Side::Right, -0.01));
            }
            if (4.0..4.2).contains(&t) {
                m.push((Region::Brow, Side::Left, -0.02));
                m.push((Region::Brow, Side::Right, -0.02));
            }
            m
        });
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!((events[0].region, events[0].side), ("mouth_corner", "left"));
        assert_eq!((events[1].region, events[1].side), ("brow", "both"));

        let mut detector = TwitchDetector::new(1.0 / 30.0);
        let mut found = Vec::new();
        for i in 0..120 {
            let t = i as f64 / 30.0;
            let moved = if (2.0..2.5).contains(&t) {
                vec![(Region::MouthCorner, Side::Left, -0.05)]
            } else {
                Vec::new()
            };
            found.extend(detector.push(t, Some(&reading(i, &moved)), !(2.1..2.4).contains(&t)));
        }
        found.extend(detector.finish());
        assert!(found.is_empty(), "a voluntary movement is no twitch: {found:?}");
    }

    /// The upper lid's event during a lower-lid twitch on the same side is the lower lid's;
    /// on the other side, or apart in time, it stays.
    #[test]
    fn one_lid_movement_is_one_event() {
        let event = |region, side, start_s: f64, peak: f64| Event {
            kind: EventKind::Twitch,
            region,
            side,
            start_s,
            end_s: start_s + 0.2,
            peak_iod: Some(peak),
            peak_left: None,
            peak_right: None,
        };
        let events = vec![
            event("lower_lid", "left", 1.0, 0.02),
            event("eye", "left", 1.05, 0.012),
            event("eye", "right", 1.05, 0.03),
            event("eye", "left", 3.0, 0.03),
        ];
        let merged = merge_eye_regions(events);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!(
            (merged[0].region, merged[0].start_s, merged[0].end_s),
            ("lower_lid", 1.0, 1.25)
        );
        assert_eq!((merged[1].region, merged[1].side), ("eye", "right"));
    }

    /// A movement held past MAX_SPASM_S is a new resting position, and nothing is called
    /// before rest has been seen.
    #[test]
    fn held_movements_and_no_rest_yet() {
        let events =
            run(
                10.0,
                |t| {
                    if t >= 2.0 { vec![(Region::Cheek, Side::Left, 0.03)] } else { Vec::new() }
                },
            );
        assert!(events.is_empty(), "{events:?}");
        let early =
            run(
                2.0,
                |t| {
                    if t < 0.3 { vec![(Region::Cheek, Side::Left, 0.03)] } else { Vec::new() }
                },
            );
        assert!(early.is_empty(), "{early:?}");
    }
}
