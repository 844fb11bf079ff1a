//! The head's own motion between the neutral and the current face, as the stable skin shows
//! it: a 2-D similarity of the face plane and the parallax of a small turn, fitted by least
//! squares.

use super::solve::solve;

/// A 2-D similarity `p ↦ s·R·p + t` as `[a, b, tx, ty]` with `s·R = [[a, −b], [b, a]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Similarity2([f64; 4]);

impl Similarity2 {
    pub(super) fn apply(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let [a, b, tx, ty] = self.0;
        [a * x - b * y + tx, b * x + a * y + ty]
    }
}

/// A point and where it went.
type Correspondence = ([f64; 2], [f64; 2]);

/// Least-squares 2-D similarity taking each pair's first point to its second.
fn similarity_2d(pairs: &[Correspondence]) -> Option<Similarity2> {
    let n = pairs.len() as f64;
    let mean = |f: &dyn Fn(&Correspondence) -> [f64; 2]| {
        let s = pairs.iter().map(f).fold([0.0; 2], |a, p| [a[0] + p[0], a[1] + p[1]]);
        [s[0] / n, s[1] / n]
    };
    let (cf, ct) = (mean(&|p| p.0), mean(&|p| p.1));
    let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
    for (f, t) in pairs {
        let (fx, fy) = (f[0] - cf[0], f[1] - cf[1]);
        let (tx, ty) = (t[0] - ct[0], t[1] - ct[1]);
        num_a += fx * tx + fy * ty;
        num_b += fx * ty - fy * tx;
        den += fx * fx + fy * fy;
    }
    if den <= 0.0 {
        return None;
    }
    let (a, b) = (num_a / den, num_b / den);
    Some(Similarity2([a, b, ct[0] - (a * cf[0] - b * cf[1]), ct[1] - (b * cf[0] + a * cf[1])]))
}

/// The similarity fitted to the stable points that could be followed (`None` where one could
/// not), when at least three could.
pub(super) fn stable_similarity(
    tracked: impl Iterator<Item = ([f64; 2], Option<[f64; 2]>)>,
) -> Option<Similarity2> {
    let pairs: Vec<Correspondence> =
        tracked.filter_map(|(at, d)| d.map(|d| (at, [at[0] + d[0], at[1] + d[1]]))).collect();
    (pairs.len() >= 3).then(|| similarity_2d(&pairs)).flatten()
}

/// What the head's own motion did to the canonical image, as the stable skin shows it: a
/// similarity of the face plane, and the parallax of a small turn (yaw) or tilt (pitch).
/// The canonical image is the face plane z = 0 (through the inner eye corners); skin behind
/// or in front of it shifts there in proportion to its depth when the head turns, by about
/// z·sin(turn): 0.03 IOD on the outer cheek (landmark 147, about 0.3 IOD behind the plane on
/// the test faces) for a 6° turn, as much as a quarter-strength movement. The stable points
/// span 0.5 IOD of depth (inner eye corners to the nasal bridge), enough to measure the turn
/// from their own motion. (The face mesh's pose is not used: it moves by up to 2° with
/// expressions alone, docs/validation.md.)
#[derive(Clone, Copy, Debug)]
pub(super) struct HeadMotion {
    similarity: Similarity2,
    /// Canonical pixels of shift (x, y) per canonical pixel of depth.
    per_depth: [f64; 2],
}

impl HeadMotion {
    /// Least squares over the stable points that could be followed: ((position, depth),
    /// displacement), canonical pixels. With fewer than [`MIN_STABLE_FOR_TURN`] of them the
    /// turn is left out; with fewer than three, `None`.
    pub(super) fn fit(
        tracked: impl Iterator<Item = (([f64; 2], f64), Option<[f64; 2]>)>,
    ) -> Option<Self> {
        let points: Vec<_> = tracked.filter_map(|(at, d)| d.map(|d| (at, d))).collect();
        if points.len() < MIN_STABLE_FOR_TURN {
            let similarity = stable_similarity(points.iter().map(|&((at, _), d)| (at, Some(d))))?;
            return Some(HeadMotion { similarity, per_depth: [0.0, 0.0] });
        }
        // Unknowns (a, b, tx, ty, gx, gy): a point p at depth z moves by
        // (a·x − b·y + tx + gx·z, b·x + a·y + ty + gy·z), (x, y) = p − centroid.
        let n = points.len() as f64;
        let centre =
            points.iter().fold([0.0; 2], |c, ((p, _), _)| [c[0] + p[0] / n, c[1] + p[1] / n]);
        let mut normal = [[0.0f64; 6]; 6];
        let mut rhs = [0.0f64; 6];
        for &((p, z), d) in &points {
            let (x, y) = (p[0] - centre[0], p[1] - centre[1]);
            for (row, value) in
                [([x, -y, 1.0, 0.0, z, 0.0], d[0]), ([y, x, 0.0, 1.0, 0.0, z], d[1])]
            {
                for r in 0..6 {
                    rhs[r] += row[r] * value;
                    for c in 0..6 {
                        normal[r][c] += row[r] * row[c];
                    }
                }
            }
        }
        let [a, b, tx, ty, gx, gy] = solve(normal, rhs)?;
        if ![a, b, tx, ty, gx, gy].iter().all(|v| v.is_finite()) {
            return None;
        }
        // The same similarity on absolute positions: p ↦ p + displacement.
        let (sa, sb) = (1.0 + a, b);
        let similarity = Similarity2([
            sa,
            sb,
            tx - (a * centre[0] - b * centre[1]),
            ty - (b * centre[0] + a * centre[1]),
        ]);
        Some(HeadMotion { similarity, per_depth: [gx, gy] })
    }

    /// How far the head's motion moved the skin at `at` (canonical pixels) with depth `depth`.
    pub(super) fn displacement(&self, at: [f64; 2], depth: f64) -> [f64; 2] {
        let moved = self.similarity.apply(at);
        [moved[0] - at[0] + self.per_depth[0] * depth, moved[1] - at[1] + self.per_depth[1] * depth]
    }
}

/// Stable points needed to measure the head's turn as well as its similarity: five, so that
/// both depths (eye corners, nasal bridge) are among them.
pub(super) const MIN_STABLE_FOR_TURN: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    /// The head's motion is recovered exactly from stable points that moved by a known
    /// similarity plus a known shift per unit of depth (a small turn); the depth-free fallback
    /// with four points, and nothing with two.
    #[test]
    fn head_motion_separates_turn_from_similarity() {
        let (angle, scale, shift, per_depth) = (0.03f64, 1.01, [1.5, -0.7], [0.06, -0.04]);
        let (c, s) = (scale * angle.cos(), scale * angle.sin());
        let truth = |p: [f64; 2], z: f64| {
            [
                c * p[0] - s * p[1] + shift[0] - p[0] + per_depth[0] * z,
                s * p[0] + c * p[1] + shift[1] - p[1] + per_depth[1] * z,
            ]
        };
        // Where the template's stable points sit: two eye corners, four down the nose.
        let points = [
            ([72.0, 51.0], 0.0),
            ([108.0, 51.0], 0.0),
            ([90.0, 46.0], -18.0),
            ([90.0, 54.0], -23.0),
            ([90.0, 61.0], -28.0),
            ([89.0, 68.0], -34.0),
        ];
        let tracked = points.iter().map(|&(p, z)| ((p, z), Some(truth(p, z))));
        let head = HeadMotion::fit(tracked).expect("fits");
        for (p, z) in [([30.0, 120.0], 25.0), ([150.0, 20.0], 10.0), ([90.0, 100.0], -45.0)] {
            let (got, want) = (head.displacement(p, z), truth(p, z));
            assert!((got[0] - want[0]).abs() < 1e-9 && (got[1] - want[1]).abs() < 1e-9);
        }
        let flat = points[..4].iter().map(|&(p, _)| ((p, 0.0), Some(truth(p, 0.0))));
        assert_eq!(HeadMotion::fit(flat).expect("similarity only").per_depth, [0.0, 0.0]);
        let two = points[..2].iter().map(|&(p, z)| ((p, z), Some(truth(p, z))));
        assert!(HeadMotion::fit(two).is_none());
    }
}
