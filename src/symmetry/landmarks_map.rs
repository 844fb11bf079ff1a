//! Named face-mesh landmarks and the mesh's left/right mirror map.
//!
//! Sides are the subject's own. MediaPipe's mesh is built symmetric: its 28 midline points map
//! to themselves, and its other points come in pairs where the subject's right-side points,
//! taken in increasing index order, pair with indices 248–467 in order. This was found by
//! matching each landmark of a face with the landmarks of its flipped image (optimal
//! assignment over four faces); it is an involution, and it maps 1316 of the 1322 edges of
//! MediaPipe's tesselation onto edges. `tests/symmetry/mirror.rs` checks it through the model.

use crate::landmarks::NUM_LANDMARKS;

/// Landmarks on the facial midline (their own mirror images).
pub const MIDLINE: [usize; 28] = [
    0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 94, 151, 152, 164, 168, 175,
    195, 197, 199, 200,
];

/// First index of the subject's left-side points.
const FIRST_LEFT: usize = 248;

/// The subject's two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The subject's left (the right of an unmirrored image of them).
    Left,
    /// The subject's right.
    Right,
}

impl Side {
    /// Both sides, left first.
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// "left" or "right", as written in files and shown to people (and as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    /// +1 for left, −1 for right: the sign of x on this side in face coordinates.
    pub fn sign(self) -> f64 {
        match self {
            Side::Left => 1.0,
            Side::Right => -1.0,
        }
    }
}

/// `MIRROR[i]` is the landmark at the mirror position of landmark `i`.
pub static MIRROR: [usize; NUM_LANDMARKS] = mirror_map();

const fn mirror_map() -> [usize; NUM_LANDMARKS] {
    let mut map = [0usize; NUM_LANDMARKS];
    let mut next_left = FIRST_LEFT;
    let mut i = 0;
    while i < FIRST_LEFT {
        if is_midline(i) {
            map[i] = i;
        } else {
            map[i] = next_left;
            map[next_left] = i;
            next_left += 1;
        }
        i += 1;
    }
    assert!(next_left == NUM_LANDMARKS, "every right-side point has a left partner");
    map
}

const fn is_midline(i: usize) -> bool {
    let mut k = 0;
    while k < MIDLINE.len() {
        if MIDLINE[k] == i {
            return true;
        }
        k += 1;
    }
    false
}

/// Which side a landmark is on; `None` on the midline.
pub fn side_of(index: usize) -> Option<Side> {
    if MIRROR[index] == index {
        None
    } else if index < FIRST_LEFT {
        Some(Side::Right)
    } else {
        Some(Side::Left)
    }
}

/// A landmark given for the subject's right side, on `side`.
pub fn on_side(right_index: usize, side: Side) -> usize {
    match side {
        Side::Right => right_index,
        Side::Left => MIRROR[right_index],
    }
}

// Named landmarks, the subject's right side (the left side is their `MIRROR`).

/// Nasion, the bridge of the nose between the eyes.
pub const NASION: usize = 168;
/// Nasal bridge, from the nasion down.
pub const NASAL_BRIDGE: [usize; 3] = [6, 197, 195];
/// Inner eye corner (medial canthus), right.
pub const INNER_EYE_CORNER_RIGHT: usize = 133;
/// Outer eye corner (lateral canthus), right.
pub const OUTER_EYE_CORNER_RIGHT: usize = 33;
/// Upper brow contour, right, from lateral to medial.
pub const BROW_UPPER_RIGHT: [usize; 5] = [70, 63, 105, 66, 107];
/// Upper and lower eyelid points facing each other, right (lateral to medial).
pub const EYELID_PAIRS_RIGHT: [(usize, usize); 3] = [(160, 144), (159, 145), (158, 153)];
/// Mouth corner (oral commissure), right.
pub const MOUTH_CORNER_RIGHT: usize = 61;
/// The skin beside the mouth corner, right: 57 just outside the corner and 186 above and
/// outside it (0.07 IOD from it), which the corner draws up and out in a smile but which do
/// not change their look when the lips part, as the corner itself does.
pub const BESIDE_MOUTH_CORNER_RIGHT: [usize; 2] = [57, 186];
/// Upper lip midline, vermilion border.
pub const UPPER_LIP_MIDDLE: usize = 0;
/// Lower lip midline, vermilion border.
pub const LOWER_LIP_MIDDLE: usize = 17;
/// Nasal ala (side of the nostril), right.
pub const NASAL_ALA_RIGHT: [usize; 2] = [129, 98];
/// Cheek surface points (mid-cheek, below the cheekbone), right.
pub const CHEEK_RIGHT: [usize; 4] = [50, 205, 187, 147];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_is_an_involution_with_known_pairs() {
        for i in 0..NUM_LANDMARKS {
            assert_eq!(MIRROR[MIRROR[i]], i);
        }
        assert_eq!(MIRROR.iter().enumerate().filter(|(i, m)| *i == **m).count(), MIDLINE.len());
        for (right, left) in [(33, 263), (133, 362), (61, 291), (105, 334), (159, 386), (50, 280)] {
            assert_eq!(MIRROR[right], left);
            assert_eq!(side_of(right), Some(Side::Right));
            assert_eq!(side_of(left), Some(Side::Left));
        }
        assert_eq!(side_of(NASION), None);
    }

    #[test]
    fn named_right_points_are_on_the_right() {
        let named = BROW_UPPER_RIGHT
            .iter()
            .chain(&NASAL_ALA_RIGHT)
            .chain(&CHEEK_RIGHT)
            .chain(&BESIDE_MOUTH_CORNER_RIGHT)
            .chain(&[INNER_EYE_CORNER_RIGHT, OUTER_EYE_CORNER_RIGHT, MOUTH_CORNER_RIGHT]);
        for &i in named {
            assert_eq!(side_of(i), Some(Side::Right), "{i}");
        }
        for (upper, lower) in EYELID_PAIRS_RIGHT {
            assert_eq!((side_of(upper), side_of(lower)), (Some(Side::Right), Some(Side::Right)));
        }
    }
}
