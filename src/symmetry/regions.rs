//! Where each region of the face is against the neutral, per side: the signals involuntary
//! movements (twitches, spasms) are found in. A region's reading is the mean displacement of
//! its points in the face plane (face coordinates, IOD), skin motion's where it followed them,
//! the mesh's (with the iris model's lids) elsewhere. Formulas: docs/metrics.md, "Twitches and
//! spasms".

use serde::Serialize;

use super::frame::Vec3;
use super::landmarks_map::{
    BESIDE_MOUTH_CORNER_RIGHT, BROW_UPPER_RIGHT, CHEEK_RIGHT, MOUTH_CORNER_RIGHT, Side, on_side,
};

/// A region of one side of the face where involuntary movements show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// The lower lid margin: where hemifacial spasm usually begins.
    LowerLid,
    /// The upper lid margin: the eye closing.
    Eye,
    /// The brow.
    Brow,
    /// The cheek below the cheekbone.
    Cheek,
    /// The mouth corner and the skin beside it.
    MouthCorner,
    /// The chin beside the midline (mentalis).
    Chin,
}

impl Region {
    /// Every region, in the order of [`RegionReading`]'s entries.
    pub const ALL: [Region; 6] = [
        Region::LowerLid,
        Region::Eye,
        Region::Brow,
        Region::Cheek,
        Region::MouthCorner,
        Region::Chin,
    ];

    /// The region's points read by skin motion, the subject's right side (mirrored for the
    /// left); none where skin motion does not follow it.
    pub fn skin_points(self) -> &'static [usize] {
        match self {
            // The skin of the lower lid below its margin (the margin itself changes its look
            // with the eye).
            Region::LowerLid => &[24, 23, 22],
            Region::Eye => &[],
            Region::Brow => &BROW_UPPER_RIGHT,
            Region::Cheek => &CHEEK_RIGHT,
            Region::MouthCorner => &BESIDE_MOUTH_CORNER_RIGHT,
            Region::Chin => &CHIN_RIGHT,
        }
    }

    /// The points read where skin motion followed none of [`Region::skin_points`] on a side:
    /// the mesh's, with the iris model's lid margins.
    pub fn mesh_points(self) -> &'static [usize] {
        match self {
            // The middle third of each lid margin, as eye closure reads them.
            Region::LowerLid => &[144, 145, 153],
            Region::Eye => &[160, 159, 158],
            Region::MouthCorner => &[MOUTH_CORNER_RIGHT],
            other => other.skin_points(),
        }
    }

    /// Its name as written in events ("lower_lid", "mouth_corner", …).
    pub fn name(self) -> &'static str {
        match self {
            Region::LowerLid => "lower_lid",
            Region::Eye => "eye",
            Region::Brow => "brow",
            Region::Cheek => "cheek",
            Region::MouthCorner => "mouth_corner",
            Region::Chin => "chin",
        }
    }

    /// Its name in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Region::LowerLid => "lower lid",
            Region::Eye => "eye",
            Region::Brow => "brow",
            Region::Cheek => "cheek",
            Region::MouthCorner => "mouth corner",
            Region::Chin => "chin",
        }
    }
}

/// The chin's skin beside the midline below the lower lip (mentalis), right.
const CHIN_RIGHT: [usize; 3] = [201, 208, 171];

/// Skin points the regions read that no core movement does, right side: skin motion follows
/// them too where twitches are looked for.
pub const REST_SKIN_POINTS: [usize; 6] = [24, 23, 22, 201, 208, 171];

/// One region's reading on one side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionSide {
    /// Displacement from the neutral, (lateral outward, down), IOD.
    pub displacement: [f64; 2],
    /// Which points it was read on: bit k for the k-th of [`Region::skin_points`] followed
    /// by skin motion, 0 for the mesh's points. Readings on different points differ by more
    /// than the movement sought, so a signal is compared only with readings of the same
    /// points.
    pub points: u8,
}

/// Each region's reading, `[left, right]`, in [`Region::ALL`] order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionReading(pub [[RegionSide; 2]; 6]);

impl RegionReading {
    /// Every region of `current` against `neutral` (face coordinates): on each side the mean
    /// displacement of the region's skin points skin motion followed (`followed`, per
    /// landmark), else of its mesh points. The lateral component points away from the midline
    /// on each side, so that the two sides' readings of an even movement are alike.
    pub fn of(neutral: &[Vec3], current: &[Vec3], followed: Option<&[bool]>) -> Self {
        Self(Region::ALL.map(|region| {
            Side::BOTH.map(|side| {
                let is_followed = |i: usize| followed.is_some_and(|f| f.get(i) == Some(&true));
                let mut mask = 0u8;
                for (k, &right) in region.skin_points().iter().enumerate() {
                    if is_followed(on_side(right, side)) {
                        mask |= 1 << k;
                    }
                }
                let points: Vec<usize> = if mask == 0 {
                    region.mesh_points().to_vec()
                } else {
                    let skin = region.skin_points().iter().enumerate();
                    skin.filter(|(k, _)| mask & (1 << k) != 0).map(|(_, &i)| i).collect()
                };
                let outward = if side == Side::Left { 1.0 } else { -1.0 };
                let mut sum = [0.0; 2];
                for &right in &points {
                    let i = on_side(right, side);
                    sum[0] += outward * (current[i][0] - neutral[i][0]);
                    sum[1] += current[i][1] - neutral[i][1];
                }
                let displacement = sum.map(|s| s / points.len() as f64);
                RegionSide { displacement, points: mask }
            })
        }))
    }

    /// One region's reading on one side.
    pub fn get(&self, region: Region, side: Side) -> RegionSide {
        let r = Region::ALL.iter().position(|&r| r == region).unwrap_or(0);
        self.0[r][if side == Side::Left { 0 } else { 1 }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::NUM_LANDMARKS;
    use crate::symmetry::landmarks_map::side_of;

    /// Every region's points are on the right side, and the left's are their mirror images.
    #[test]
    fn regions_have_a_side() {
        for region in Region::ALL {
            for &i in region.skin_points().iter().chain(region.mesh_points()) {
                assert_eq!(side_of(i), Some(Side::Right), "{region:?} {i}");
                assert_eq!(side_of(on_side(i, Side::Left)), Some(Side::Left));
            }
        }
    }

    /// A point moved on one side moves its region there alone, outward read positive on
    /// both sides.
    #[test]
    fn one_side_moves_alone() {
        let neutral = vec![[0.0; 3]; NUM_LANDMARKS];
        let mut current = neutral.clone();
        for &i in Region::LowerLid.mesh_points() {
            current[on_side(i, Side::Left)][1] = -0.03;
        }
        for &i in Region::MouthCorner.skin_points() {
            current[i][0] = -0.02;
            current[on_side(i, Side::Left)][0] = 0.02;
        }
        // Skin motion followed the mouth corner's skin on both sides, the lids on neither.
        let mut followed = vec![false; NUM_LANDMARKS];
        for &i in Region::MouthCorner.skin_points() {
            followed[i] = true;
            followed[on_side(i, Side::Left)] = true;
        }
        let reading = RegionReading::of(&neutral, &current, Some(&followed));
        let lid = reading.get(Region::LowerLid, Side::Left);
        assert_eq!((lid.displacement, lid.points), ([0.0, -0.03], 0));
        assert_eq!(reading.get(Region::LowerLid, Side::Right).displacement, [0.0, 0.0]);
        for side in Side::BOTH {
            let corner = reading.get(Region::MouthCorner, side);
            assert!((corner.displacement[0] - 0.02).abs() < 1e-12 && corner.points == 0b11);
        }
        // Read on the mesh's corner instead, which did not move.
        let unfollowed = RegionReading::of(&neutral, &current, None);
        assert_eq!(unfollowed.get(Region::MouthCorner, Side::Left).displacement, [0.0, 0.0]);
        assert_eq!(reading.get(Region::Chin, Side::Right).displacement, [0.0, 0.0]);
    }
}
