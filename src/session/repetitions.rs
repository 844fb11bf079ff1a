//! Repetitions found in a movement's activation over time, whether or not the person follows
//! a timer: a repetition starts when the stronger side's excursion rises past the movement's
//! threshold, is held there long enough to be deliberate, and ends when it falls back below
//! half of it (hysteresis). Formulas and thresholds: docs/metrics.md, "Repetitions".

use serde::Serialize;

use super::history::median_sides;
use crate::symmetry::{Movement, MovementId, MovementScore, ScoreStatus, Side};

/// A repetition starts when the activation reaches this multiple of the movement's
/// `min_excursion`: the same level below which a single frame reads "not enough movement", so
/// a repetition is never counted from a movement the scores would not show.
pub const START_FACTOR: f64 = 1.0;
/// And ends when the activation falls below this multiple. Half the start level: flow noise
/// on a held movement (about 0.007 IOD on the test faces) cannot end a repetition early, and a
/// relaxed face (activation within noise of 0) always falls below it.
pub const END_FACTOR: f64 = 0.5;
/// The activation must stay at or above the start level at least this long (seconds) for a
/// repetition to count: the exercises are held for a second or more, while a blink, a twitch
/// or a mis-tracked frame lasts well under a quarter of a second.
pub const MIN_HOLD_S: f64 = 0.25;
/// Hold duration is the time the activation stays at or above this fraction of its peak.
pub const HOLD_FRACTION: f64 = 0.5;
/// A repetition more of whose frames than this were disputed by their mirror image gets no
/// ratio: its peaks come from the minority of frames left, and on the one real face where
/// this happened (an even smile that parted the lips, docs/validation.md) those carried the
/// same error as the others.
pub const MAX_DISPUTED_FRACTION: f64 = 0.5;

/// What the frame's mirror image said of a reading (the mirror check, docs/metrics.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MirrorCheck {
    /// Not checked (the live app's frames; its repetitions are checked at their peak).
    #[default]
    NotChecked,
    /// Checked, and the mirror image agreed.
    Agrees,
    /// Checked, and the mirror image read it differently
    /// ([`ScoreStatus::MirrorDisagrees`](crate::symmetry::ScoreStatus::MirrorDisagrees)).
    Disputed,
}

/// One frame's excursions for one movement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Seconds from the start of the recording or session.
    pub t_s: f64,
    /// Subject's left excursion (the movement's unit: IOD, or fraction for eye closure).
    pub left: f64,
    /// Subject's right excursion.
    pub right: f64,
    /// The mirror check's verdict on this reading.
    pub mirror: MirrorCheck,
    /// How far the reading and its mirror image's differ (the movement's unit; 0 when not
    /// checked): widens the repetition's ratio uncertainty.
    pub mirror_difference: f64,
    /// What moved along with it on each side, `[left, right]`
    /// ([`CoMovement`](crate::symmetry::synkinesis::CoMovement)); NaN where not read.
    pub co: [f64; 2],
}

impl Sample {
    /// A reading at `t_s` that was not checked against the mirror image.
    pub fn new(t_s: f64, left: f64, right: f64) -> Self {
        Self {
            t_s,
            left,
            right,
            mirror: MirrorCheck::NotChecked,
            mirror_difference: 0.0,
            co: [f64::NAN; 2],
        }
    }

    /// This sample with what moved along with it on each side.
    pub fn with_co(self, co: [f64; 2]) -> Self {
        Self { co, ..self }
    }

    /// The sample of `score` at `t_s`, with the mirror check's verdict when it was made.
    pub fn of(t_s: f64, score: &MovementScore) -> Self {
        let mirror = match (score.status, score.mirror_difference) {
            (ScoreStatus::MirrorDisagrees, _) => MirrorCheck::Disputed,
            (_, Some(_)) => MirrorCheck::Agrees,
            (_, None) => MirrorCheck::NotChecked,
        };
        let mirror_difference = score.mirror_difference.filter(|d| d.is_finite()).unwrap_or(0.0);
        Self {
            t_s,
            left: score.left,
            right: score.right,
            mirror,
            mirror_difference,
            co: [f64::NAN; 2],
        }
    }

    /// How strongly the movement is being made: the stronger side, so that a person with a
    /// paralysed side still has every repetition counted.
    pub fn activation(&self) -> f64 {
        self.left.max(self.right)
    }
}

/// One completed repetition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Repetition {
    /// Movement id.
    pub movement: MovementId,
    /// When the activation left rest (its last sample below the end level), seconds.
    pub onset_s: f64,
    /// When it reached its peak.
    pub peak_s: f64,
    /// When it fell back below the end level.
    pub end_s: f64,
    /// Each side's largest excursion during the repetition.
    pub peak_left: f64,
    /// The right side's.
    pub peak_right: f64,
    /// Weaker over stronger peak, 0–1.
    pub ratio: Option<f64>,
    /// How far the ratio may be off from measurement noise alone (see
    /// [`MovementScore::ratio_uncertainty`]), from the two peaks.
    pub ratio_uncertainty: Option<f64>,
    /// The side with the smaller peak.
    pub weaker: Option<Side>,
    /// From onset to peak, seconds.
    pub time_to_peak_s: f64,
    /// How long the activation stayed at or above [`HOLD_FRACTION`] of its peak, seconds.
    pub hold_s: f64,
    /// Of the repetition's frames, the fraction whose reading the frame's mirror image
    /// disputed (those are left out of everything above); above [`MAX_DISPUTED_FRACTION`]
    /// there is no ratio. The live app checks every frame of a repetition. `None` when
    /// nothing was checked.
    pub mirror_disputed: Option<f64>,
    /// Synkinesis: what moved along with the exercise on each side, `[left, right]`, the
    /// median over the frames of its hold (at or above [`HOLD_FRACTION`] of its peak), in the
    /// unit of the movement's [`CoMovement`](crate::symmetry::synkinesis::CoMovement);
    /// `None` when not read.
    pub synkinesis: Option<[f64; 2]>,
}

impl Repetition {
    /// Records that `fraction` of its frames read differently in their mirror image; above
    /// [`MAX_DISPUTED_FRACTION`] the ratio, the weaker side and the uncertainty go.
    pub fn record_mirror_check(&mut self, fraction: f64) {
        self.mirror_disputed = Some(fraction);
        if too_disputed(self.mirror_disputed) {
            (self.ratio, self.weaker, self.ratio_uncertainty) = (None, None, None);
        }
    }

    /// Why it has no ratio ([`no_ratio_reason`]); `None` when it has one.
    pub fn no_ratio_reason(&self) -> Option<&'static str> {
        no_ratio_reason(self.ratio, self.mirror_disputed)
    }

    /// Whether it has no ratio because too many of its frames were disputed ([`UNSURE_LABEL`]).
    pub fn is_unsure(&self) -> bool {
        self.ratio.is_none() && too_disputed(self.mirror_disputed)
    }
}

/// Whether more of a repetition's frames than [`MAX_DISPUTED_FRACTION`] were disputed by their
/// mirror image (`mirror_disputed`, `None` when not checked): the one rule that takes its
/// ratio away and calls it unsure.
pub fn too_disputed(mirror_disputed: Option<f64>) -> bool {
    mirror_disputed.is_some_and(|f| f > MAX_DISPUTED_FRACTION)
}

/// Why a repetition with this `ratio` and `mirror_disputed` has no ratio: more of its frames
/// disputed by their mirror image than [`MAX_DISPUTED_FRACTION`] ([`UNSURE_LABEL`]), else too
/// little movement ([`NOT_ENOUGH_MOVEMENT_LABEL`]); `None` when it has one.
pub fn no_ratio_reason(ratio: Option<f64>, mirror_disputed: Option<f64>) -> Option<&'static str> {
    match (ratio, mirror_disputed) {
        (Some(_), _) => None,
        (None, disputed) if too_disputed(disputed) => Some(UNSURE_LABEL),
        (None, _) => Some(NOT_ENOUGH_MOVEMENT_LABEL),
    }
}

/// What a repetition without enough movement for a ratio is called.
pub const NOT_ENOUGH_MOVEMENT_LABEL: &str = "not enough movement";
/// What a repetition is called that has no ratio because most of its frames read differently
/// in their mirror image.
pub const UNSURE_LABEL: &str = "unsure (its frames read differently in the mirror image)";

/// Counts repetitions of one movement from samples pushed in time order; each repetition is
/// returned as soon as it ends, so it can be stored right away.
#[derive(Clone, Debug)]
pub struct RepetitionCounter {
    movement: Movement,
    /// Last sample at rest (activation below the end level).
    last_rest: Option<Sample>,
    /// Samples of the repetition under way, from its onset.
    active: Vec<Sample>,
    /// The three newest raw samples, for the median filter.
    recent: Vec<Sample>,
    /// Samples the mirror image disputed since the repetition under way started.
    disputed: usize,
    /// Whether any sample was checked against its mirror image.
    checked: bool,
}

impl RepetitionCounter {
    /// A counter for `movement`.
    pub fn new(movement: &Movement) -> Self {
        Self {
            movement: *movement,
            last_rest: None,
            active: Vec::new(),
            recent: Vec::new(),
            disputed: 0,
            checked: false,
        }
    }

    fn start_level(&self) -> f64 {
        START_FACTOR * self.movement.min_excursion
    }

    fn end_level(&self) -> f64 {
        END_FACTOR * self.movement.min_excursion
    }

    /// Adds the next sample; returns the repetition it completes, if any. Samples go through a
    /// 3-sample median first, so that one mis-measured frame can neither start nor end a
    /// repetition. Non-finite samples (an unscored frame) are skipped; so are samples the
    /// mirror image disputed, which are only counted, against the repetition under way.
    pub fn push(&mut self, sample: Sample) -> Option<Repetition> {
        if sample.mirror != MirrorCheck::NotChecked {
            self.checked = true;
        }
        if sample.mirror == MirrorCheck::Disputed {
            if !self.active.is_empty() {
                self.disputed += 1;
            }
            return None;
        }
        if !(sample.t_s.is_finite() && sample.left.is_finite() && sample.right.is_finite()) {
            return None;
        }
        self.recent.push(sample);
        if self.recent.len() > 3 {
            self.recent.remove(0);
        }
        if self.recent.len() < 3 {
            return None;
        }
        let median = |f: fn(&Sample) -> f64| {
            let mut v = [f(&self.recent[0]), f(&self.recent[1]), f(&self.recent[2])];
            v.sort_by(f64::total_cmp);
            v[1]
        };
        let filtered = Sample {
            t_s: self.recent[1].t_s,
            left: median(|s| s.left),
            right: median(|s| s.right),
            mirror: self.recent[1].mirror,
            mirror_difference: self.recent.iter().map(|s| s.mirror_difference).fold(0.0, f64::max),
            co: self.recent[1].co,
        };
        self.step(filtered)
    }

    /// Whether a repetition is under way (started and not yet ended).
    pub fn under_way(&self) -> bool {
        !self.active.is_empty()
    }

    /// Ends the stream: a repetition still under way counts if it was held long enough.
    pub fn finish(&mut self) -> Option<Repetition> {
        // The newest raw sample has not been through the filter yet; it closes the stream.
        if let Some(&last) = self.recent.last() {
            self.recent.clear();
            if let Some(rep) = self.step(last) {
                return Some(rep);
            }
        }
        let active = std::mem::take(&mut self.active);
        self.complete(active)
    }

    fn step(&mut self, sample: Sample) -> Option<Repetition> {
        let a = sample.activation();
        if self.active.is_empty() {
            if a >= self.start_level() {
                self.active.extend(self.last_rest);
                self.active.push(sample);
            } else if a < self.end_level() {
                self.last_rest = Some(sample);
            }
            return None;
        }
        self.active.push(sample);
        if a >= self.end_level() {
            return None;
        }
        self.last_rest = Some(sample);
        let active = std::mem::take(&mut self.active);
        self.complete(active)
    }

    /// The repetition made of `samples` (onset to end), if it was held long enough. Forgets
    /// the disputed samples counted against it either way.
    fn complete(&mut self, samples: Vec<Sample>) -> Option<Repetition> {
        let disputed = std::mem::take(&mut self.disputed);
        let first = samples.first()?;
        let last = samples.last()?;
        // Time at or above the start level, each sample standing for the time to the next.
        let held: f64 = samples
            .windows(2)
            .filter(|w| w[0].activation() >= self.start_level())
            .map(|w| w[1].t_s - w[0].t_s)
            .sum();
        if held < MIN_HOLD_S {
            return None;
        }
        let peak = samples.iter().max_by(|a, b| a.activation().total_cmp(&b.activation()))?;
        let peak_left = samples.iter().map(|s| s.left).fold(f64::NEG_INFINITY, f64::max);
        let peak_right = samples.iter().map(|s| s.right).fold(f64::NEG_INFINITY, f64::max);
        let level = HOLD_FRACTION * peak.activation();
        let above: Vec<f64> =
            samples.iter().filter(|s| s.activation() >= level).map(|s| s.t_s).collect();
        let hold_s = above.last().zip(above.first()).map_or(0.0, |(b, a)| b - a);
        let synkinesis =
            median_sides(samples.iter().filter(|s| s.activation() >= level).map(|s| s.co));
        let mut score = MovementScore::from_excursions(&self.movement, peak_left, peak_right);
        let spread = samples.iter().map(|s| s.mirror_difference).fold(0.0, f64::max);
        score.widen_by_mirror(spread);
        let scored = score.status == ScoreStatus::Scored;
        let mut repetition = Repetition {
            movement: self.movement.id,
            onset_s: first.t_s,
            peak_s: peak.t_s,
            end_s: last.t_s,
            peak_left,
            peak_right,
            ratio: score.ratio.filter(|_| scored),
            ratio_uncertainty: score.ratio_uncertainty.filter(|_| scored),
            weaker: score.weaker.filter(|_| scored),
            time_to_peak_s: peak.t_s - first.t_s,
            hold_s,
            mirror_disputed: None,
            synkinesis,
        };
        if self.checked {
            repetition.record_mirror_check(disputed as f64 / (disputed + samples.len()) as f64);
        }
        Some(repetition)
    }
}

/// Every repetition in `samples` (time order), the last one included if still under way.
pub fn segment(movement: &Movement, samples: impl IntoIterator<Item = Sample>) -> Vec<Repetition> {
    let mut counter = RepetitionCounter::new(movement);
    let mut reps: Vec<Repetition> = samples.into_iter().filter_map(|s| counter.push(s)).collect();
    reps.extend(counter.finish());
    reps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::CORE_MOVEMENTS;
    use crate::symmetry::movements::movement;

    /// A small deterministic noise source (xorshift), uniform in [−1, 1].
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
    }

    /// A trapezoid per repetition (rise, hold, fall, pause), amplitudes and timings varied,
    /// the right side at `weak` of the left, plus uniform jitter of ±`jitter`, at `fps`.
    fn sequence(n: usize, weak: f64, jitter: f64, fps: f64, seed: u64) -> Vec<Sample> {
        let mut noise = Noise(seed);
        let mut shape = Vec::new();
        shape.extend(std::iter::repeat_n(0.0, (fps * 1.0) as usize));
        for i in 0..n {
            let amplitude = [0.08, 0.15, 0.11, 0.06][i % 4];
            let hold = [0.5, 1.5, 0.8, 2.0][i % 4];
            let pause = [0.7, 1.2, 2.0][i % 3];
            let rise = (0.4 * fps) as usize;
            shape.extend((0..rise).map(|k| amplitude * k as f64 / rise as f64));
            shape.extend(std::iter::repeat_n(amplitude, (hold * fps) as usize));
            shape.extend((0..rise).map(|k| amplitude * (1.0 - k as f64 / rise as f64)));
            shape.extend(std::iter::repeat_n(0.0, (pause * fps) as usize));
        }
        shape
            .iter()
            .enumerate()
            .map(|(k, &a)| {
                Sample::new(
                    k as f64 / fps,
                    a + jitter * noise.next(),
                    weak * a + jitter * noise.next(),
                )
            })
            .collect()
    }

    fn brow_lift() -> &'static Movement {
        movement(MovementId::BrowLift)
    }

    #[test]
    fn counts_exactly_with_varied_amplitude_hold_and_pause() {
        for n in [1, 5, 12] {
            for (seed, fps) in [(1, 30.0), (2, 15.0), (3, 10.0)] {
                let reps = segment(brow_lift(), sequence(n, 0.5, 0.008, fps, seed));
                assert_eq!(reps.len(), n, "n = {n} at {fps} fps");
                for rep in &reps {
                    let ratio = rep.ratio.expect("scored");
                    assert!((ratio - 0.5).abs() < 0.1, "ratio {ratio}");
                    assert_eq!(rep.weaker, Some(Side::Right));
                    assert!(rep.hold_s >= 0.5 && rep.time_to_peak_s > 0.0, "{rep:?}");
                }
            }
        }
    }

    #[test]
    fn nothing_on_a_still_or_slightly_moving_face() {
        // Jitter up to 0.012 IOD: more than the flow's noise on a still face, under half the
        // start level of every movement.
        for movement in CORE_MOVEMENTS {
            let still = sequence(0, 1.0, 0.012, 30.0, 7);
            let padded: Vec<Sample> = (0..20)
                .flat_map(|k| still.iter().map(move |s| Sample { t_s: s.t_s + k as f64, ..*s }))
                .collect();
            assert!(segment(&movement, padded).is_empty(), "{}", movement.id);
        }
    }

    #[test]
    fn a_twitch_or_a_bad_frame_is_not_a_repetition() {
        let mut samples: Vec<Sample> =
            (0..90).map(|k| Sample::new(k as f64 / 30.0, 0.0, 0.0)).collect();
        // One wild frame.
        samples[20].left = 0.4;
        // A 0.15 s twitch on the right.
        for s in &mut samples[50..55] {
            s.right = 0.1;
        }
        assert!(segment(brow_lift(), samples).is_empty());
    }

    #[test]
    fn each_repetition_is_returned_when_it_ends() {
        let samples = sequence(3, 1.0, 0.0, 30.0, 1);
        let mut counter = RepetitionCounter::new(brow_lift());
        let mut count = 0;
        for &sample in &samples {
            if let Some(rep) = counter.push(sample) {
                // Out one sample (the median's delay) after the one that ended it.
                assert!(
                    sample.t_s - rep.end_s <= 1.0 / 30.0 + 1e-9,
                    "{} vs {}",
                    sample.t_s,
                    rep.end_s
                );
                count += 1;
            }
        }
        assert_eq!(count, 3);
        assert!(counter.finish().is_none());
    }

    #[test]
    fn a_repetition_under_way_at_the_end_counts_if_held() {
        let mut samples = sequence(1, 1.0, 0.0, 30.0, 1);
        // Cut in the middle of the hold.
        samples.truncate(30 + 12 + 10);
        assert_eq!(segment(brow_lift(), samples).len(), 1);
    }

    /// Disputed readings (mirror check) are left out of the peaks and counted: with one in
    /// four of a repetition's frames disputed (and read absurdly high) the repetition keeps
    /// its ratio from the others; with two in three it has none; frames never checked say
    /// nothing of it.
    #[test]
    fn disputed_readings_are_left_out_and_counted() {
        let samples = sequence(1, 0.5, 0.0, 30.0, 1);
        let active: Vec<usize> = (0..samples.len()).filter(|&k| samples[k].left > 0.0).collect();
        let checked = |every: usize, of: usize| -> Vec<Sample> {
            let mut out: Vec<Sample> =
                samples.iter().map(|s| Sample { mirror: MirrorCheck::Agrees, ..*s }).collect();
            for (n, &k) in active.iter().enumerate() {
                if n % of < every {
                    out[k] = Sample { left: 0.5, mirror: MirrorCheck::Disputed, ..out[k] };
                }
            }
            out
        };
        let [rep] = &segment(brow_lift(), checked(1, 4))[..] else { panic!("one repetition") };
        assert!((rep.peak_left - 0.08).abs() < 1e-9, "{rep:?}");
        assert!((rep.ratio.expect("scored") - 0.5).abs() < 1e-9, "{rep:?}");
        let disputed = rep.mirror_disputed.expect("checked");
        assert!((0.15..0.3).contains(&disputed), "{rep:?}");

        let [rep] = &segment(brow_lift(), checked(2, 3))[..] else { panic!("one repetition") };
        assert!(rep.mirror_disputed.expect("checked") > MAX_DISPUTED_FRACTION, "{rep:?}");
        assert_eq!((rep.ratio, rep.weaker, rep.ratio_uncertainty), (None, None, None));
        assert!((rep.peak_left - 0.08).abs() < 1e-9, "{rep:?}");

        let [rep] = &segment(brow_lift(), samples.clone())[..] else { panic!("one repetition") };
        assert_eq!(rep.mirror_disputed, None);
    }
}
