//! Synkinesis: a region moving with an exercise it should not take part in, read per side
//! during each repetition: the eye narrowing in a smile, a pucker or a cheek puff, the mouth
//! corner pulling in an eye closure or a brow lift. Formulas: docs/metrics.md, "Synkinesis".

use serde::Serialize;

use super::landmarks_map::Side;
use super::movements::MovementId;
use super::regions::Region;
use super::score::FrameScore;

/// What moves along with an exercise when it should not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoMovement {
    /// The eye narrows: its closure, a fraction of the open aperture (1 − aperture /
    /// aperture at rest), with the iris model's lids.
    EyeNarrowing,
    /// The mouth corner pulls up and out: its skin's displacement that way, IOD.
    MouthCornerPull,
}

impl CoMovement {
    /// The co-movement read during `movement`'s repetitions, if any.
    pub fn during(movement: MovementId) -> Option<CoMovement> {
        match movement {
            MovementId::Smile | MovementId::Pucker | MovementId::CheekPuff => {
                Some(CoMovement::EyeNarrowing)
            }
            MovementId::EyeClosure | MovementId::BrowLift => Some(CoMovement::MouthCornerPull),
            MovementId::NoseWrinkle => None,
        }
    }

    /// The movement whose score carries it (kept when only one movement is scored).
    pub fn source(self) -> Option<MovementId> {
        match self {
            CoMovement::EyeNarrowing => Some(MovementId::EyeClosure),
            CoMovement::MouthCornerPull => None,
        }
    }

    /// Each side's co-movement in `score`, `[left, right]` (NaN where not read). Eye closure
    /// is put back on the open aperture's scale when it was measured against the person's
    /// closed eyes (`closed`).
    pub fn read(self, score: &FrameScore, closed: Option<f64>) -> [f64; 2] {
        match self {
            CoMovement::EyeNarrowing => score
                .movements
                .iter()
                .find(|m| m.movement == MovementId::EyeClosure)
                .map_or([f64::NAN; 2], |m| {
                    let scale = closed.unwrap_or(1.0);
                    [m.left * scale, m.right * scale]
                }),
            CoMovement::MouthCornerPull => score.regions.as_ref().map_or([f64::NAN; 2], |r| {
                Side::BOTH.map(|side| {
                    let [out, down] = r.get(Region::MouthCorner, side).displacement;
                    (out - down) * std::f64::consts::FRAC_1_SQRT_2
                })
            }),
        }
    }

    /// In words, for a side: "eye narrows", "mouth corner pulls".
    pub fn label(self) -> &'static str {
        match self {
            CoMovement::EyeNarrowing => "eye narrows",
            CoMovement::MouthCornerPull => "mouth corner pulls",
        }
    }

    /// What moves and how, in the past: ("eye", "narrowed"), ("mouth corner", "pulled").
    pub fn what_and_how(self) -> (&'static str, &'static str) {
        match self {
            CoMovement::EyeNarrowing => ("eye", "narrowed"),
            CoMovement::MouthCornerPull => ("mouth corner", "pulled"),
        }
    }

    /// A reading in words: "35 %" of the open eye, "0.04 IOD" of the corner.
    pub fn amount(self, value: f64) -> String {
        match self {
            CoMovement::EyeNarrowing => format!("{:.0} %", 100.0 * value),
            CoMovement::MouthCornerPull => format!("{value:.3} IOD"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::movements::CORE_MOVEMENTS;
    use crate::symmetry::regions::{RegionReading, RegionSide};
    use crate::symmetry::score::MovementScore;

    /// The eye's closure is read back on the open eye's scale; the mouth corner's pull is its
    /// displacement up and out.
    #[test]
    fn reads_each_side() {
        let eye = CORE_MOVEMENTS.iter().find(|m| m.id == MovementId::EyeClosure).unwrap();
        let mut regions = RegionReading([[RegionSide { displacement: [0.0; 2], points: 1 }; 2]; 6]);
        let corner = Region::ALL.iter().position(|&r| r == Region::MouthCorner).unwrap();
        regions.0[corner][1].displacement = [0.03, -0.03];
        let score = FrameScore {
            pose: None,
            flags: Vec::new(),
            movements: vec![MovementScore::from_excursions(eye, 0.5, 0.25)],
            regions: Some(regions),
        };
        assert_eq!(CoMovement::EyeNarrowing.read(&score, Some(0.6)), [0.3, 0.15]);
        let [left, right] = CoMovement::MouthCornerPull.read(&score, None);
        assert!(
            left.abs() < 1e-12 && (right - 0.06 * std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12
        );
        assert_eq!(CoMovement::during(MovementId::Smile), Some(CoMovement::EyeNarrowing));
        assert_eq!(CoMovement::during(MovementId::NoseWrinkle), None);
    }
}
