//! Per-session, per-movement summaries of the record, and their trends over days.
//!
//! Each movement of each session is summarised by medians over its repetitions, so that one
//! badly measured repetition cannot move the summary far. Formulas: docs/metrics.md,
//! "Session summaries".

use std::cmp::Ordering;

use serde::Serialize;

use super::store::{SessionInfo, StoredRepetition};
use crate::symmetry::CORE_MOVEMENTS;

/// Ratios at or above this are shown green: the sides move within about 15 % of each other.
pub const GOOD_RATIO: f64 = 0.85;
/// Ratios at or above this (and below [`GOOD_RATIO`]) are shown amber; below, red.
pub const FAIR_RATIO: f64 = 0.60;

/// The colour band of a ratio: the one rule the app, its history and the report colour by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatioBand {
    /// At or above [`GOOD_RATIO`]: green.
    Good,
    /// At or above [`FAIR_RATIO`]: amber.
    Fair,
    /// Below: red.
    Poor,
}

impl RatioBand {
    /// The band of a ratio measured with this uncertainty, or `None` when it cannot be told
    /// from an even movement: below [`GOOD_RATIO`], but the largest ratio its uncertainty
    /// allows reaches it. A healthy, even movement read low by its measurement's own error is
    /// not painted amber or red; it is shown uncertain. The uncertainty is n·(1 + ratio)/s to
    /// first order (n each side's noise, s the stronger excursion), which understates the top
    /// when n is near s: the largest ratio is (w + n)/(s − n) = (ratio + q)/(1 − q), q = n/s.
    pub fn of_reading(ratio: f64, uncertainty: Option<f64>) -> Option<Self> {
        let band = Self::of(ratio);
        let Some(u) = uncertainty.filter(|_| band != RatioBand::Good) else { return Some(band) };
        let q = u / (1.0 + ratio);
        let largest = if q < 1.0 { (ratio + q) / (1.0 - q) } else { f64::INFINITY };
        (largest < GOOD_RATIO).then_some(band)
    }

    /// The band `ratio` falls in.
    pub fn of(ratio: f64) -> Self {
        if ratio >= GOOD_RATIO {
            RatioBand::Good
        } else if ratio >= FAIR_RATIO {
            RatioBand::Fair
        } else {
            RatioBand::Poor
        }
    }
}

/// One movement in one session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MovementSummary {
    /// Movement id (a [`CORE_MOVEMENTS`] id, or whatever id the record holds).
    pub movement: String,
    /// Repetitions recorded, those without a ratio included.
    pub repetitions: usize,
    /// Median of the repetitions' ratios (weaker over stronger peak, 0–1); `None` when no
    /// repetition had enough movement to be scored.
    pub median_ratio: Option<f64>,
    /// Median of the scored repetitions' ratio uncertainties: how far a typical repetition's
    /// ratio may be off from measurement noise. Not divided by the square root of the count:
    /// a session's repetitions share one calibration, so their errors are not independent.
    /// `None` when no repetition has one (those recorded before facesym stored it).
    pub median_ratio_uncertainty: Option<f64>,
    /// Repetitions whose weaker side was the person's left.
    pub weaker_left: usize,
    /// Repetitions whose weaker side was the person's right.
    pub weaker_right: usize,
    /// Median time from onset to peak, seconds.
    pub median_time_to_peak_s: Option<f64>,
    /// Median hold (time at or above half the peak), seconds.
    pub median_hold_s: Option<f64>,
    /// Repetitions without a ratio because most of their frames read differently in their
    /// mirror image (recorded analysis; [`UNSURE_LABEL`](super::repetitions::UNSURE_LABEL)).
    pub unsure: usize,
    /// Each side's median synkinesis over the repetitions that read it, `[left, right]`, in
    /// the unit of the movement's co-movement
    /// ([`CoMovement`](crate::symmetry::synkinesis::CoMovement)); `None` when none did.
    pub median_synkinesis: Option<[f64; 2]>,
}

/// One session and its movements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionSummary {
    /// The session as listed.
    pub session: SessionInfo,
    /// The movements with at least one repetition: [`CORE_MOVEMENTS`] order first, then any
    /// other ids alphabetically.
    pub movements: Vec<MovementSummary>,
}

impl SessionSummary {
    /// This session's summary of `movement`, if it has repetitions of it.
    pub fn movement(&self, movement: &str) -> Option<&MovementSummary> {
        self.movements.iter().find(|m| m.movement == movement)
    }
}

/// One session's point on a movement's trend.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The session.
    pub session_id: i64,
    /// When it started, seconds since 1970-01-01 UTC.
    pub started_unix: i64,
    /// The movement's median ratio in that session.
    pub median_ratio: f64,
    /// Its uncertainty ([`MovementSummary::median_ratio_uncertainty`]).
    pub ratio_uncertainty: Option<f64>,
    /// The movement's repetitions in that session.
    pub repetitions: usize,
}

impl TrendPoint {
    /// Whether this session's median ratio and `earlier`'s differ by more than their
    /// uncertainties added: a change that measurement noise alone cannot explain. `None`
    /// when either has no uncertainty.
    pub fn differs_from(&self, earlier: &TrendPoint) -> Option<bool> {
        let within = self.uncertainty_with(earlier)?;
        Some((self.median_ratio - earlier.median_ratio).abs() > within)
    }

    /// This session's uncertainty and `other`'s added; `None` when either has none.
    pub fn uncertainty_with(&self, other: &TrendPoint) -> Option<f64> {
        Some(self.ratio_uncertainty? + other.ratio_uncertainty?)
    }
}

/// Summaries of `sessions` from their repetitions, in start-time order (then id). Repetitions
/// of sessions not in `sessions` are ignored.
pub fn summarize(sessions: &[SessionInfo], reps: &[StoredRepetition]) -> Vec<SessionSummary> {
    let mut ordered: Vec<&SessionInfo> = sessions.iter().collect();
    ordered.sort_by_key(|s| (s.started_unix, s.id));
    ordered
        .into_iter()
        .map(|session| {
            let own: Vec<&StoredRepetition> =
                reps.iter().filter(|r| r.session_id == session.id).collect();
            let mut ids: Vec<&str> = own.iter().map(|r| r.movement.as_str()).collect();
            ids.sort_by(|a, b| movement_order(a, b));
            ids.dedup();
            let movements = ids
                .into_iter()
                .map(|id| {
                    let of_movement: Vec<&StoredRepetition> =
                        own.iter().copied().filter(|r| r.movement == id).collect();
                    summarize_movement(id, &of_movement)
                })
                .collect();
            SessionSummary { session: session.clone(), movements }
        })
        .collect()
}

/// The sessions of `summaries` in which `movement` has a median ratio, in start-time order
/// (then id).
pub fn trend(summaries: &[SessionSummary], movement: &str) -> Vec<TrendPoint> {
    let mut points: Vec<TrendPoint> = summaries
        .iter()
        .filter_map(|s| {
            let m = s.movement(movement)?;
            Some(TrendPoint {
                session_id: s.session.id,
                started_unix: s.session.started_unix,
                median_ratio: m.median_ratio?,
                ratio_uncertainty: m.median_ratio_uncertainty,
                repetitions: m.repetitions,
            })
        })
        .collect();
    points.sort_by_key(|p| (p.started_unix, p.session_id));
    points
}

/// The median of the finite values ([`stats::median`](crate::stats::median) with NaN and ±∞
/// left out): the middle one, or the mean of the two middle ones for an even count; `None`
/// when there are none.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    crate::stats::median(values.into_iter().filter(|v| v.is_finite()))
}

/// Each side's [`median`] of `values` (`[left, right]`, NaN where a side was not read), or
/// `None` when either side has none.
pub fn median_sides(values: impl Iterator<Item = [f64; 2]> + Clone) -> Option<[f64; 2]> {
    Some([median(values.clone().map(|v| v[0]))?, median(values.map(|v| v[1]))?])
}

/// Catalogue order for the core movements, then alphabetical for any other id.
fn movement_order(a: &str, b: &str) -> Ordering {
    let rank = |id: &str| CORE_MOVEMENTS.iter().position(|m| m.id.as_str() == id);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn summarize_movement(id: &str, reps: &[&StoredRepetition]) -> MovementSummary {
    let weaker = |side: &str| reps.iter().filter(|r| r.weaker.as_deref() == Some(side)).count();
    MovementSummary {
        movement: id.to_string(),
        repetitions: reps.len(),
        median_ratio: median(reps.iter().filter_map(|r| r.ratio)),
        median_ratio_uncertainty: median(
            reps.iter().filter(|r| r.ratio.is_some()).filter_map(|r| r.ratio_uncertainty),
        ),
        weaker_left: weaker("left"),
        weaker_right: weaker("right"),
        median_time_to_peak_s: median(reps.iter().map(|r| r.time_to_peak_s)),
        median_hold_s: median(reps.iter().map(|r| r.hold_s)),
        unsure: reps.iter().filter(|r| r.is_unsure()).count(),
        median_synkinesis: median_sides(
            reps.iter()
                .map(|r| [r.synkinesis_left, r.synkinesis_right].map(|v| v.unwrap_or(f64::NAN))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: i64, started_unix: i64) -> SessionInfo {
        SessionInfo {
            id,
            started_unix,
            source: format!("session {id}"),
            repetitions: 0,
            closed_eyes: None,
        }
    }

    fn rep(session_id: i64, movement: &str, ratio: Option<f64>, weaker: &str) -> StoredRepetition {
        StoredRepetition {
            session_id,
            movement: movement.to_string(),
            number: 1,
            onset_s: 0.0,
            peak_s: 0.5,
            end_s: 1.5,
            peak_left: 0.1,
            peak_right: 0.05,
            ratio,
            ratio_uncertainty: ratio.map(|r| 0.1 * (1.0 + r) / 2.0),
            weaker: ratio.map(|_| weaker.to_string()),
            time_to_peak_s: 0.5,
            hold_s: 1.0,
            mirror_disputed: None,
            synkinesis_left: None,
            synkinesis_right: None,
        }
    }

    #[test]
    fn bands_match_the_thresholds() {
        assert_eq!(RatioBand::of(1.0), RatioBand::Good);
        assert_eq!(RatioBand::of(GOOD_RATIO), RatioBand::Good);
        assert_eq!(RatioBand::of(GOOD_RATIO - 1e-9), RatioBand::Fair);
        assert_eq!(RatioBand::of(FAIR_RATIO), RatioBand::Fair);
        assert_eq!(RatioBand::of(FAIR_RATIO - 1e-9), RatioBand::Poor);
        // A low reading within its uncertainty of the green band is not coloured; one below
        // it by more is, and a green one always is.
        assert_eq!(RatioBand::of_reading(0.64, Some(0.25)), None);
        assert_eq!(RatioBand::of_reading(0.64, Some(0.15)), Some(RatioBand::Fair));
        assert_eq!(RatioBand::of_reading(0.30, None), Some(RatioBand::Poor));
        // Noise near the stronger side's size: a blink read 0.00 ± 0.59 (q = 0.59) could be
        // even; one-sided 0.03 ± 0.16 could not.
        assert_eq!(RatioBand::of_reading(0.0, Some(0.59)), None);
        assert_eq!(RatioBand::of_reading(0.03, Some(0.16)), Some(RatioBand::Poor));
        assert_eq!(RatioBand::of_reading(0.90, Some(0.5)), Some(RatioBand::Good));
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([0.9, 0.1, 0.5]), Some(0.5));
        assert_eq!(median([0.8, 0.2, 0.4, 0.6]), Some(0.5));
        assert_eq!(median([0.7]), Some(0.7));
        assert_eq!(median([]), None);
        assert_eq!(median([f64::NAN, 0.3, f64::INFINITY]), Some(0.3));
    }

    #[test]
    fn a_movement_summarised_with_unscored_repetitions() {
        let mut reps = vec![
            rep(1, "smile", Some(0.4), "right"),
            rep(1, "smile", None, ""),
            rep(1, "smile", Some(0.8), "right"),
            rep(1, "smile", Some(0.6), "left"),
            rep(1, "smile", Some(0.5), "right"),
        ];
        for (i, r) in reps.iter_mut().enumerate() {
            r.time_to_peak_s = [0.3, 0.9, 0.5, 0.4, 0.7][i];
            r.hold_s = [1.0, 2.0, 3.0, 4.0, 5.0][i];
        }
        let summaries = summarize(&[session(1, 100)], &reps);
        let smile = &summaries[0].movements[0];
        assert_eq!(smile.repetitions, 5, "unscored repetitions are counted");
        // Ratios 0.4, 0.5, 0.6, 0.8: an even count, the mean of 0.5 and 0.6.
        assert!((smile.median_ratio.unwrap() - 0.55).abs() < 1e-12);
        // Uncertainties 0.07, 0.075, 0.08, 0.09: the median is 0.0775.
        assert!((smile.median_ratio_uncertainty.unwrap() - 0.0775).abs() < 1e-12);
        assert_eq!((smile.weaker_left, smile.weaker_right), (1, 3));
        assert_eq!(smile.median_time_to_peak_s, Some(0.5));
        assert_eq!(smile.median_hold_s, Some(3.0));
    }

    #[test]
    fn no_scored_repetition_has_no_median_ratio_and_no_trend_point() {
        let reps = [rep(1, "pucker", None, ""), rep(1, "pucker", None, "")];
        let summaries = summarize(&[session(1, 100)], &reps);
        let pucker = &summaries[0].movements[0];
        assert_eq!((pucker.repetitions, pucker.median_ratio), (2, None));
        assert_eq!(pucker.median_ratio_uncertainty, None);
        assert_eq!((pucker.weaker_left, pucker.weaker_right), (0, 0));
        assert!(trend(&summaries, "pucker").is_empty());
    }

    #[test]
    fn sessions_by_start_time_then_id_and_movements_in_catalogue_order() {
        let sessions = [session(3, 500), session(1, 900), session(2, 500)];
        let reps = [
            rep(1, "zygomatic_test", Some(0.9), "left"),
            rep(1, "cheek_puff", Some(0.9), "left"),
            rep(1, "jaw_slide", Some(0.9), "left"),
            rep(1, "brow_lift", Some(0.9), "left"),
            rep(1, "smile", Some(0.9), "left"),
            rep(9, "smile", Some(0.1), "left"),
        ];
        let summaries = summarize(&sessions, &reps);
        let ids: Vec<i64> = summaries.iter().map(|s| s.session.id).collect();
        assert_eq!(ids, [2, 3, 1]);
        assert!(summaries[0].movements.is_empty() && summaries[1].movements.is_empty());
        let order: Vec<&str> = summaries[2].movements.iter().map(|m| m.movement.as_str()).collect();
        assert_eq!(order, ["brow_lift", "smile", "cheek_puff", "jaw_slide", "zygomatic_test"]);
    }

    #[test]
    fn unknown_movement_ids_are_kept_and_trended() {
        let sessions = [session(1, 100), session(2, 200)];
        let reps =
            [rep(1, "jaw_slide", Some(0.3), "right"), rep(2, "jaw_slide", Some(0.7), "right")];
        let points = trend(&summarize(&sessions, &reps), "jaw_slide");
        let ratios: Vec<f64> = points.iter().map(|p| p.median_ratio).collect();
        assert_eq!(ratios, [0.3, 0.7]);
    }

    #[test]
    fn trend_has_one_point_per_session_with_the_movement_in_time_order() {
        let sessions = [session(1, 300), session(2, 100), session(3, 200), session(4, 400)];
        let reps = [
            rep(1, "smile", Some(0.6), "right"),
            rep(1, "smile", Some(0.7), "right"),
            rep(2, "smile", Some(0.4), "right"),
            rep(3, "brow_lift", Some(0.9), "right"),
            rep(4, "smile", None, ""),
        ];
        let points = trend(&summarize(&sessions, &reps), "smile");
        assert_eq!(points.len(), 2);
        let p = points[0];
        assert_eq!((p.session_id, p.started_unix, p.median_ratio, p.repetitions), (2, 100, 0.4, 1));
        assert!((p.ratio_uncertainty.unwrap() - 0.07).abs() < 1e-12);
        assert_eq!((points[1].session_id, points[1].repetitions), (1, 2));
        assert!((points[1].median_ratio - 0.65).abs() < 1e-12);
        assert!(trend(&summarize(&sessions, &reps), "no_such_movement").is_empty());
    }

    #[test]
    fn a_change_counts_only_beyond_both_uncertainties() {
        let point = |ratio: f64, u: Option<f64>| TrendPoint {
            session_id: 1,
            started_unix: 0,
            median_ratio: ratio,
            ratio_uncertainty: u,
            repetitions: 10,
        };
        let before = point(0.50, Some(0.05));
        assert_eq!(point(0.59, Some(0.05)).differs_from(&before), Some(false));
        assert_eq!(point(0.61, Some(0.05)).differs_from(&before), Some(true));
        assert_eq!(point(0.39, Some(0.05)).differs_from(&before), Some(true));
        assert_eq!(point(0.90, None).differs_from(&before), None);
        assert!((point(0.59, Some(0.05)).uncertainty_with(&before).unwrap() - 0.10).abs() < 1e-12);
        assert_eq!(before.differs_from(&point(0.90, None)), None);
    }
}
