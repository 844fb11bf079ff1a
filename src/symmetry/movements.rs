//! The movement catalogue: each movement is a definition (landmarks, measure, instruction),
//! not a branch of code. Formulas are written out in docs/metrics.md.

use super::frame::{Vec3, dot, sub};
use super::landmarks_map::{
    BESIDE_MOUTH_CORNER_RIGHT, BROW_UPPER_RIGHT, CHEEK_RIGHT, EYELID_PAIRS_RIGHT,
    INNER_EYE_CORNER_RIGHT, MOUTH_CORNER_RIGHT, NASAL_ALA_RIGHT, Side, on_side,
};

/// How one side's excursion is computed from its neutral and current landmarks (face
/// coordinates, IOD). Landmarks are named for the subject's right side; the left side uses
/// their mirror partners and mirrored directions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// Mean upward displacement of `points`: `mean(−Δy)`.
    Lift {
        /// Points that rise.
        points: &'static [usize],
    },
    /// Fraction of the neutral aperture closed, `1 − aperture / aperture_neutral` (aperture
    /// the mean distance between facing lid points), over `closed`: the closure that counts
    /// as fully closed. A reading beyond `closed` counts as 1.
    Closure {
        /// (upper, lower) lid points.
        lid_pairs: &'static [(usize, usize)],
        /// 1 (no aperture left), or the closure the person's own closed eyes read
        /// ([`Movement::with_closed_eyes`]).
        closed: f64,
    },
    /// Shortening of the mean distance from `points` to `anchor`: `d_neutral − d`.
    Approach {
        /// Points pulled towards the anchor.
        points: &'static [usize],
        /// The point they move towards.
        anchor: usize,
    },
    /// Mean displacement of `points` in the face plane along a direction given as (outward,
    /// up) components of a unit vector: `mean(Δlateral·outward + (−Δy)·up)`. Movement the
    /// other way reads negative. Where none of `points` can be used (skin motion could not
    /// follow them), the mean over `fallback` instead.
    Excursion {
        /// The points that move.
        points: &'static [usize],
        /// The points read when none of `points` can be.
        fallback: &'static [usize],
        /// (outward, up) components of the unit direction the point is expected to move in.
        along: (f64, f64),
    },
    /// Movement of `corner` towards the midline: `−Δlateral(corner)`. (The lips' forward
    /// movement is left out: the mesh's lip depth moved by up to ±0.026 IOD between tracked
    /// frames of one unchanged image, and under tracking stayed forward at rest after a
    /// pucker, so consecutive puckers ran into one; see docs/validation.md.)
    Pucker {
        /// The mouth corner.
        corner: usize,
    },
    /// Outward movement of `points`, away from the midline: `mean(Δlateral)`. (The forward
    /// part of a puff is left out: the mesh's depth moved by ±0.01 IOD on a cheek that did not
    /// move, as much as a quarter-strength puff, see docs/validation.md.)
    Outward {
        /// Points that bulge.
        points: &'static [usize],
    },
}

/// Which movement of the catalogue: the stable identifier used in JSON, CSV and the record
/// (`brow_lift`, `eye_closure`, …, [`MovementId::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementId {
    /// Both eyebrows raised.
    BrowLift,
    /// Both eyes closed gently.
    EyeClosure,
    /// The nose wrinkled, nostrils pulled up.
    NoseWrinkle,
    /// A closed-lip smile.
    Smile,
    /// The lips pushed forward.
    Pucker,
    /// The cheeks filled with air.
    CheekPuff,
}

impl MovementId {
    /// The identifier as written in JSON, CSV and the record.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementId::BrowLift => "brow_lift",
            MovementId::EyeClosure => "eye_closure",
            MovementId::NoseWrinkle => "nose_wrinkle",
            MovementId::Smile => "smile",
            MovementId::Pucker => "pucker",
            MovementId::CheekPuff => "cheek_puff",
        }
    }
}

impl std::fmt::Display for MovementId {
    /// The identifier ([`MovementId::as_str`]), padded and aligned as the format asks.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An identifier that names no movement of the catalogue (one read from outside: a file, the
/// record, the command line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown movement id {0:?}")]
pub struct UnknownMovement(pub String);

impl std::str::FromStr for MovementId {
    type Err = UnknownMovement;

    /// The movement whose identifier is `id` ([`MovementId::as_str`]).
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        CORE_MOVEMENTS
            .iter()
            .map(|m| m.id)
            .find(|m| m.as_str() == id)
            .ok_or_else(|| UnknownMovement(id.to_string()))
    }
}

/// One movement of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Movement {
    /// Stable identifier, used in JSON and files.
    pub id: MovementId,
    /// Name shown to people.
    pub name: &'static str,
    /// What to do, in plain words.
    pub instruction: &'static str,
    /// How each side is measured.
    pub measure: Measure,
    /// Below this excursion on the stronger side (IOD, or fraction for eye closure) the
    /// movement is "not enough movement", not a score.
    pub min_excursion: f64,
    /// How much one side's excursion may differ between two readings of the same movement
    /// (the face seen at another size, roll or place; same units as `min_excursion`): what
    /// [`MovementScore::ratio_uncertainty`](super::MovementScore::ratio_uncertainty) is
    /// worked out from.
    pub excursion_noise: f64,
    /// How far its score has been shown to be right (docs/validation.md).
    pub validation: Validation,
}

/// How far a movement's score has been shown to be right, for saying so beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// The ratio of a known one-sided movement on real faces is recovered within ±0.10
    /// (`tests/symmetry/known_movement.rs`).
    KnownMovement,
    /// Not yet shown to be right; why, in a sentence for the person exercising.
    Provisional(&'static str),
}

impl Movement {
    /// This movement measured against a person's own closed eyes: eye closure as a fraction
    /// of `closed` (the closure their closed eyes read at calibration, 0–1), its thresholds
    /// scaled alike so that they stand for the same lid movement; any other movement as it is.
    pub fn with_closed_eyes(&self, closed: f64) -> Movement {
        match self.measure {
            Measure::Closure { lid_pairs, .. } => Movement {
                measure: Measure::Closure { lid_pairs, closed },
                min_excursion: self.min_excursion / closed,
                excursion_noise: self.excursion_noise / closed,
                ..*self
            },
            _ => *self,
        }
    }

    /// Why the score is only provisional, when it is.
    pub fn caveat(&self) -> Option<&'static str> {
        match self.validation {
            Validation::KnownMovement => None,
            Validation::Provisional(why) => Some(why),
        }
    }
}

/// Excursions below 0.03 IOD (3 px at a typical 100-px IOD) are within the mesh's jitter
/// between a face's tracked and freshly detected landmarks (mean 0.019 IOD, see
/// docs/landmarks.md): a ratio of two such numbers means nothing.
const MIN_DISTANCE_EXCURSION_IOD: f64 = 0.03;

/// Skin-motion excursions moved by up to 0.007 IOD when the same warped face was seen at
/// 0.75–2×, rolled ±20° or moved, against one calibration (`tests/symmetry/invariance.rs`;
/// 0.0063 when calibrated again in the view).
const DISTANCE_EXCURSION_NOISE_IOD: f64 = 0.007;

/// The iris model's lids moved by up to 0.12 of a 9-px aperture (0.04 of a 17-px one) when the
/// eye's crop moved by a pixel (docs/validation.md, cross-talk).
const CLOSURE_NOISE_FRACTION: f64 = 0.10;

/// The smile's direction, (outward, up): the mouth corner rises and draws outwards along the
/// zygomaticus major's line of pull, here 45° up from the horizontal of the face frame. A
/// smile whose corner moves anywhere within 45° of it still reads at least 71 % of its size
/// on both sides alike, so the ratio keeps its meaning; a corner drawn in (a pucker) or down
/// reads negative instead of as a smile.
const SMILE_DIRECTION: (f64, f64) =
    (std::f64::consts::FRAC_1_SQRT_2, std::f64::consts::FRAC_1_SQRT_2);

/// Eye closure is a fraction of the neutral aperture. The iris model's lids move by about a
/// pixel with nothing but the crop around them changing: on the test faces' 9-px apertures
/// other movements read as closures of up to 0.13 (docs/validation.md, cross-talk), while real
/// eyes closed by a third or more (measured by hand) read 0.22 or more, but for one under
/// heavy make-up. A sixth of the aperture is above that noise.
const MIN_CLOSURE_FRACTION: f64 = 0.15;

/// Eye closure checked on real blinks and closed eyes against lids measured by hand
/// (docs/validation.md): better than the face mesh's lids, but not yet right enough to trust;
/// calibrated to the person's closed eyes, closed eyes of two of three people still read
/// 0.6–0.8 closed.
const EYE_CLOSURE_CAVEAT: &str = "provisional: a fully closed eye reads about 0.5–0.7 closed \
     (0.6–1 when calibrated to your closed eyes), and heavy eye make-up or looking up can make \
     a closed eye read open";

/// The smile recovers known one-sided warps of still portraits, reads real one-sided smiles
/// (one half of a real smile beside the other half at rest) as one-sided, and reads the one
/// person whose real even smiles it was tuned on as 0.86–0.90; but of two people held out, a
/// small smile of one read 0.63 and a low-resolution clip of the other 0.61 (docs/validation.md,
/// "Real footage"). No closed-lip real smile has been checked.
const SMILE_CAVEAT: &str = "provisional: of three people filmed smiling evenly, two read about \
     0.6 (a small smile, a low-resolution clip), so a low ratio can be the measure's error";

/// Eye closure's measure, as the catalogue reads it; skin motion reads it too, to tell when an
/// eye is squeezed (symmetry/flow, `SQUEEZED_EYE_CLOSURE`).
pub const EYE_CLOSURE_MEASURE: Measure =
    Measure::Closure { lid_pairs: &EYELID_PAIRS_RIGHT, closed: 1.0 };

/// The six core movements, in exercise order.
pub const CORE_MOVEMENTS: [Movement; 6] = [
    Movement {
        id: MovementId::BrowLift,
        name: "Brow lift",
        instruction: "Raise both eyebrows as if surprised, evenly on both sides.",
        measure: Measure::Lift { points: &BROW_UPPER_RIGHT },
        min_excursion: MIN_DISTANCE_EXCURSION_IOD,
        excursion_noise: DISTANCE_EXCURSION_NOISE_IOD,
        validation: Validation::KnownMovement,
    },
    Movement {
        id: MovementId::EyeClosure,
        name: "Eye closure",
        instruction: "Close both eyes gently, as in sleep, without squeezing.",
        measure: EYE_CLOSURE_MEASURE,
        min_excursion: MIN_CLOSURE_FRACTION,
        excursion_noise: CLOSURE_NOISE_FRACTION,
        validation: Validation::Provisional(EYE_CLOSURE_CAVEAT),
    },
    Movement {
        id: MovementId::NoseWrinkle,
        name: "Nose wrinkle",
        instruction: "Wrinkle your nose as if at a bad smell, pulling both nostrils up.",
        measure: Measure::Approach { points: &NASAL_ALA_RIGHT, anchor: INNER_EYE_CORNER_RIGHT },
        min_excursion: MIN_DISTANCE_EXCURSION_IOD,
        excursion_noise: DISTANCE_EXCURSION_NOISE_IOD,
        validation: Validation::KnownMovement,
    },
    Movement {
        id: MovementId::Smile,
        name: "Smile",
        instruction: "Smile broadly with closed lips, moving both mouth corners evenly.",
        measure: Measure::Excursion {
            points: &BESIDE_MOUTH_CORNER_RIGHT,
            fallback: &[MOUTH_CORNER_RIGHT],
            along: SMILE_DIRECTION,
        },
        min_excursion: MIN_DISTANCE_EXCURSION_IOD,
        excursion_noise: DISTANCE_EXCURSION_NOISE_IOD,
        validation: Validation::Provisional(SMILE_CAVEAT),
    },
    Movement {
        id: MovementId::Pucker,
        name: "Pucker",
        instruction: "Push your lips forward as if saying 'oo', keeping both sides even.",
        measure: Measure::Pucker { corner: MOUTH_CORNER_RIGHT },
        min_excursion: MIN_DISTANCE_EXCURSION_IOD,
        excursion_noise: DISTANCE_EXCURSION_NOISE_IOD,
        validation: Validation::KnownMovement,
    },
    Movement {
        id: MovementId::CheekPuff,
        name: "Cheek puff",
        instruction: "Fill your cheeks with air and hold, keeping your lips sealed.",
        measure: Measure::Outward { points: &CHEEK_RIGHT },
        min_excursion: MIN_DISTANCE_EXCURSION_IOD,
        excursion_noise: DISTANCE_EXCURSION_NOISE_IOD,
        validation: Validation::KnownMovement,
    },
];

// Each movement sits at its id's place in the catalogue, which `movement` relies on.
const _: () = {
    let mut i = 0;
    while i < CORE_MOVEMENTS.len() {
        assert!(CORE_MOVEMENTS[i].id as usize == i, "CORE_MOVEMENTS out of MovementId order");
        i += 1;
    }
};

/// The movement of [`CORE_MOVEMENTS`] with this id. An id read as a string (the record, a
/// file) is looked up with [`str::parse`] first ([`MovementId`]'s `FromStr`).
pub fn movement(id: MovementId) -> &'static Movement {
    &CORE_MOVEMENTS[id as usize]
}

impl Measure {
    /// The landmarks this measure reads (named for the subject's right side): its
    /// [moving points](Measure::moving_points), the nose wrinkle's anchor and the eye
    /// closure's lids.
    pub fn points(&self) -> Vec<usize> {
        match *self {
            Measure::Closure { lid_pairs, .. } => {
                lid_pairs.iter().flat_map(|&(u, l)| [u, l]).collect()
            }
            Measure::Approach { anchor, .. } => {
                self.moving_points().into_iter().chain([anchor]).collect()
            }
            _ => self.moving_points(),
        }
    }

    /// The points whose movement the measure averages (named for the subject's right side):
    /// what [`Measure::excursion_over`] may leave out. Not the nose wrinkle's anchor, nor the
    /// eye closure's lids.
    pub fn moving_points(&self) -> Vec<usize> {
        match *self {
            Measure::Lift { points }
            | Measure::Outward { points }
            | Measure::Approach { points, .. } => points.to_vec(),
            Measure::Excursion { points, fallback, .. } => [points, fallback].concat(),
            Measure::Pucker { corner: point } => vec![point],
            Measure::Closure { .. } => Vec::new(),
        }
    }

    /// Whether the skin's own motion (image flow) can stand in for the mesh here: not for
    /// eye closure, where the lid covers the eye instead of moving over it.
    pub fn follows_skin_motion(&self) -> bool {
        !matches!(self, Measure::Closure { .. })
    }

    /// This side's excursion from `neutral` to `current` (face coordinates, all 468 points).
    pub fn excursion(&self, side: Side, neutral: &[Vec3], current: &[Vec3]) -> f64 {
        self.excursion_over(side, neutral, current, &|_| true).unwrap_or(f64::NAN)
    }

    /// [`Measure::excursion`] over the moving points `usable` keeps (named for the subject's
    /// right side, so that both sides are measured on the same pairs of points): the mean
    /// over those left, or `None` when none is. The eye closure's lids and the nose
    /// wrinkle's anchor (the inner eye corner, which does not move) are always used.
    pub fn excursion_over(
        &self,
        side: Side,
        neutral: &[Vec3],
        current: &[Vec3],
        usable: &dyn Fn(usize) -> bool,
    ) -> Option<f64> {
        let at = |i: usize| on_side(i, side);
        let mean = |points: &[usize], f: &dyn Fn(usize) -> f64| {
            let (sum, n) = points
                .iter()
                .filter(|&&i| usable(i))
                .fold((0.0, 0usize), |(sum, n), &i| (sum + f(at(i)), n + 1));
            (n > 0).then(|| sum / n as f64)
        };
        let one = |point: usize, f: &dyn Fn(usize) -> f64| usable(point).then(|| f(at(point)));
        // Distance from the midline grows outwards on either side.
        let lateral = |p: Vec3| p[0] * side.sign();
        match *self {
            Measure::Lift { points } => mean(points, &|i| neutral[i][1] - current[i][1]),
            Measure::Closure { lid_pairs, closed } => {
                let aperture = |pts: &[Vec3]| {
                    lid_pairs.iter().map(|&(u, l)| distance(pts[at(u)], pts[at(l)])).sum::<f64>()
                        / lid_pairs.len() as f64
                };
                let open = aperture(neutral);
                let closure = if open > 0.0 { 1.0 - aperture(current) / open } else { 0.0 };
                // Written so that NaN stays NaN.
                Some(if closure > closed { 1.0 } else { closure / closed })
            }
            Measure::Approach { points, anchor } => mean(points, &|i| {
                distance(neutral[i], neutral[at(anchor)])
                    - distance(current[i], current[at(anchor)])
            }),
            Measure::Excursion { points, fallback, along: (outward, up) } => {
                let along = |i: usize| {
                    let (n, c) = (neutral[i], current[i]);
                    (lateral(c) - lateral(n)) * outward + (n[1] - c[1]) * up
                };
                mean(points, &along).or_else(|| mean(fallback, &along))
            }
            Measure::Pucker { corner } => {
                one(corner, &|i| lateral(neutral[i]) - lateral(current[i]))
            }
            Measure::Outward { points } => {
                mean(points, &|i| lateral(current[i]) - lateral(neutral[i]))
            }
        }
    }
}

fn distance(a: Vec3, b: Vec3) -> f64 {
    let d = sub(a, b);
    dot(d, d).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smile_and_pucker(side: Side, displacement: [f64; 2]) -> (f64, f64) {
        let neutral = vec![[0.0; 3]; 468];
        let mut current = neutral.clone();
        // The corner and the skin beside it move together.
        for i in BESIDE_MOUTH_CORNER_RIGHT.into_iter().chain([MOUTH_CORNER_RIGHT]) {
            current[on_side(i, side)] = [displacement[0], displacement[1], 0.0];
        }
        let measure = |id: MovementId| movement(id).measure;
        (
            measure(MovementId::Smile).excursion(side, &neutral, &current),
            measure(MovementId::Pucker).excursion(side, &neutral, &current),
        )
    }

    /// A corner (and the skin beside it) drawn up and out at 45° reads its whole displacement
    /// as a smile on either side; drawn straight out or straight up, 71 % of it; drawn in (a
    /// pucker), a negative smile and a positive pucker; pulled down, a negative smile.
    #[test]
    fn smile_has_a_direction() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        // The subject's right is −x in face coordinates, up is −y.
        for (side, out) in [(Side::Right, -1.0), (Side::Left, 1.0)] {
            let (smile, pucker) = smile_and_pucker(side, [0.1 * out, -0.1]);
            assert!(close(smile, 0.1 * 2f64.sqrt()) && close(pucker, -0.1), "{side:?}");
            assert!(close(smile_and_pucker(side, [0.1 * out, 0.0]).0, 0.1 * h), "{side:?}");
            assert!(close(smile_and_pucker(side, [0.0, -0.1]).0, 0.1 * h), "{side:?}");
            let (smile, pucker) = smile_and_pucker(side, [-0.1 * out, 0.0]);
            assert!(close(smile, -0.1 * h) && close(pucker, 0.1), "{side:?}");
            assert!(smile_and_pucker(side, [0.0, 0.1]).0 < 0.0, "{side:?}");
        }
    }

    /// Against the person's own closed eyes (closure 0.6 there), an eye closed by 0.3 of its
    /// aperture reads 0.5, one closed further than at calibration reads 1, NaN stays NaN, and
    /// the thresholds scale alike; every other movement is unchanged.
    #[test]
    fn eye_closure_is_a_fraction_of_the_person_s_closed_eyes() {
        use super::super::landmarks_map::EYELID_PAIRS_RIGHT;
        let eyes = movement(MovementId::EyeClosure).with_closed_eyes(0.6);
        // Each lid pair 0.2 apart at rest, then `gap` apart.
        let lids = |gap: f64| {
            let mut points = vec![[0.0; 3]; 468];
            for &(upper, lower) in &EYELID_PAIRS_RIGHT {
                points[lower][1] = gap;
                points[on_side(upper, Side::Left)][1] = 0.0;
                points[on_side(lower, Side::Left)][1] = gap;
            }
            points
        };
        let at = |gap: f64| eyes.measure.excursion(Side::Right, &lids(0.2), &lids(gap));
        assert!((at(0.14) - 0.5).abs() < 1e-12, "{}", at(0.14));
        assert_eq!(at(0.02), 1.0);
        assert!((at(0.2)).abs() < 1e-12);
        assert!(at(f64::NAN).is_nan());
        let catalogue = movement(MovementId::EyeClosure);
        assert!((eyes.min_excursion - catalogue.min_excursion / 0.6).abs() < 1e-12);
        assert!((eyes.excursion_noise - catalogue.excursion_noise / 0.6).abs() < 1e-12);
        for m in &CORE_MOVEMENTS {
            if m.id != MovementId::EyeClosure {
                assert_eq!(&m.with_closed_eyes(0.6), m);
            }
        }
    }

    /// Every id is written as before (serde's snake_case is `as_str`), reads back through
    /// `FromStr`, and is its catalogue entry's; an unknown id is an error naming it.
    #[test]
    fn ids_write_and_read_as_strings() {
        for m in &CORE_MOVEMENTS {
            let json = serde_json::to_string(&m.id).unwrap();
            assert_eq!(json, format!("\"{}\"", m.id.as_str()));
            assert_eq!(serde_json::from_str::<MovementId>(&json).unwrap(), m.id);
            assert_eq!(m.id.as_str().parse::<MovementId>(), Ok(m.id));
            assert_eq!(format!("{:<14}|", m.id), format!("{:<14}|", m.id.as_str()));
            assert_eq!(movement(m.id), m);
        }
        let ids: Vec<&str> = CORE_MOVEMENTS.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["brow_lift", "eye_closure", "nose_wrinkle", "smile", "pucker", "cheek_puff"]
        );
        let err = "frown".parse::<MovementId>().unwrap_err();
        assert_eq!(err, UnknownMovement("frown".into()));
        assert!(err.to_string().contains("frown"), "{err}");
    }
}
