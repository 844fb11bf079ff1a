//! Involuntary eye events found in a recording's eye closure over time: blinks (both eyes
//! closing together, briefly), each with how far each eye closed (the palsied eye often
//! blinks incompletely). A closure held longer than a blink is a voluntary one (the eye
//! closure exercise) and one eye closing alone is not a blink; neither is reported here.
//! Formulas in docs/metrics.md, "Blinks".

use serde::Serialize;

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

/// One blink.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Blink {
    /// Always "blink" (the events list will hold other kinds).
    pub kind: &'static str,
    /// Always "eye".
    pub region: &'static str,
    /// Always "both": one eye closing alone is not a blink.
    pub side: &'static str,
    /// Seconds from the start: the first frame at or over [`BLINK_START`].
    pub start_s: f64,
    /// The last frame at or over [`BLINK_START`].
    pub end_s: f64,
    /// How far each eye closed at most, a fraction of its open aperture (1 is shut): the
    /// blink's completeness per eye.
    pub peak_left: f64,
    /// The right eye's.
    pub peak_right: f64,
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
    pub fn push(&mut self, t_s: f64, closures: Option<[f64; 2]>) -> Option<Blink> {
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
    pub fn finish(&mut self) -> Option<Blink> {
        let episode = self.episode.take()?;
        let span = episode.last_over_s - episode.start_s + self.frame_s;
        let both = episode.peak.iter().all(|&p| p >= BLINK_START);
        (both && span <= MAX_BLINK_S).then(|| Blink {
            kind: "blink",
            region: "eye",
            side: "both",
            start_s: episode.start_s,
            end_s: episode.last_over_s,
            peak_left: episode.peak[0],
            peak_right: episode.peak[1],
        })
    }
}

/// Blinks per minute over `duration_s` seconds of recording.
pub fn per_minute(count: usize, duration_s: f64) -> Option<f64> {
    (duration_s > 0.0).then(|| count as f64 * 60.0 / duration_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames at 25 fps with these closures (left = right unless given apart).
    fn run(closures: &[(f64, f64)]) -> Vec<Blink> {
        let mut detector = BlinkDetector::new(0.04);
        let mut found: Vec<Blink> = closures
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
        assert_eq!((b.peak_left, b.peak_right), (0.8, 0.6));

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
