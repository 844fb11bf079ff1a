//! Skin motion measured in the image: each measured landmark of the neutral face is followed
//! into the current frame by pyramidal Lucas–Kanade optical flow, after head motion is taken
//! out: a similarity of the face plane and the parallax of a small turn of the head, both
//! measured on the stable landmarks.
//!
//! Why: the face mesh is a strong shape prior that pulls faces toward symmetry and follows
//! only part of a real excursion (docs/validation.md). The skin itself carries the movement:
//! where it is textured enough to follow, its displacement is measured directly, side by side
//! and independently.

use std::ops::Range;

use image::RgbImage;
use rayon::prelude::*;

use super::frame::{FaceFrame, TEMPLATE, Vec3, sub};
use super::landmarks_map::{NASAL_BRIDGE, Side, on_side};
use super::movements::{CORE_MOVEMENTS, EYE_CLOSURE_MEASURE};

/// Pyramid levels: three halvings follow displacements up to about 8 window radii (0.5 IOD).
const PYRAMID_LEVELS: usize = 4;
/// Half-size of the Lucas–Kanade window, canonical pixels at each level: 4 px is 0.06 IOD,
/// small enough that the window moves with the landmark rather than with its surroundings.
const WINDOW_RADIUS: i64 = 6;
/// The farthest a followed point can go, canonical pixels (0.5 IOD): what the pyramid is
/// built to follow. Skin moved by a movement goes less far (a broad real smile moved the
/// mouth corner by 0.24 IOD, docs/validation.md); a track beyond it has latched onto
/// something else, as when a laughing face throws the tracks 1–2 IOD off, and is lost.
const MAX_TRACK_PX: f64 = 0.5 * CANONICAL_PX_PER_IOD;
/// Gauss–Newton iterations per level at most.
const MAX_ITERATIONS: usize = 20;
/// Stop iterating when the update is below this, pixels.
const MIN_UPDATE_PX: f64 = 0.01;
/// Minimum eigenvalue of the window's structure tensor per pixel (intensities 0–1): below
/// it the skin is too smooth to follow, and the mesh's position is used instead. 2e-4 left
/// the nasal bridge of two of three test faces unfollowed (and so head motion uncorrected);
/// 2e-5 follows them and still rejects flat, featureless patches.
const MIN_TEXTURE: f64 = 2e-5;

/// An eye closed by at least this fraction of its neutral aperture (the lids the landmarks
/// carry, as eye closure reads them) pulls the skin at its inner corner, and two of the six
/// stable points the head's motion is measured on are the inner eye corners. On real footage,
/// frames with both eyes read 0.43–0.75 closed (crying, laughing) moved every skin-motion
/// score by 0.09–0.26 between the frame and its mirror image, while smiles that narrowed the
/// eyes by up to 0.31 mostly did not (docs/validation.md, "Mirror").
pub const SQUEEZED_EYE_CLOSURE: f64 = 0.4;

/// A neutral face turned further than this from the camera (yaw, either way) is warned of:
/// skin motion reads the side turned away as weaker. Known movements on Grace Hopper and
/// Barack Obama as they are and turned by `turn_head` (docs/validation.md, "More faces"), by
/// the yaw the face frame reads: 1 of 50 ratios more than 0.10 off at 1–2°, 1 of 50 at 3°, 5
/// of 50 at 5–5.5°, 4 of 50 at 6°, 10 of 50 at 9–9.5° (before windows were placed where the
/// skin is seen, `seen_at`: 1, 5, 8, 10 and 21). Above the 4° a purely rolled face reads
/// (Hopper rolled 25°), so that roll alone does not set it off.
pub const MAX_NEUTRAL_YAW_DEG: f64 = 5.0;

/// Neutral images with less [`NeutralImage::detail`] than this are too soft for skin motion.
/// Grace Hopper and Barack Obama blurred until their known movements were clearly no longer
/// recovered read 1.36e-4 and 1.07e-4 there; the sharp faces read 5.7e-4 and 2.6e-4, and every
/// softened version that still recovered them 1.68e-4 or more, but for Obama blurred by 2 px
/// (1.35e-4, recovered only just). Chosen on those two faces, before windows were placed where
/// the skin is seen and before the refinement bent with the skin: since, both faces blurred
/// by up to 4 px (down to 5.9e-5) recover every known movement, and by 6 px (3.6e-5 and
/// below) their skin is not followed at all, so the line is now cautious on blurred faces.
/// It is kept because detail is not what fails elsewhere: the enlarged astronaut, above it,
/// still misreads (her brow tracks slide into her fringe; docs/validation.md, "Faces with
/// little detail").
pub const MIN_DETAIL: f64 = 1.5e-4;

/// What to tell a person whose neutral face is below [`MIN_DETAIL`].
pub const SOFT_NEUTRAL_WARNING: &str = "the neutral face has little fine detail (a soft, dim or \
    low-resolution picture), so the skin-motion scores may be wrong: more light, a sharper \
    focus or coming closer will help";

/// What to tell a person whose neutral face is too smooth between the eyes and down the nose
/// (fewer than [`MIN_STABLE_FOR_TURN`] of the stable points textured enough to follow, see
/// [`NeutralImage::follows_the_head`]).
pub const SMOOTH_BRIDGE_WARNING: &str = "the skin between the eyes and down the nose shows too \
    little detail to tell the head's own movement from the face's, so keep your head still \
    while you move: more light from the front or coming closer will help";

/// `x.floor()` as an integer without a libm call (x86-64 has no rounding instruction before
/// SSE4.1); positions here are far inside the i64 range.
#[inline]
fn fast_floor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// A grey image, intensities 0–1, row-major.
#[derive(Clone, Debug)]
struct Gray {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

/// The margin around the canonical rectangle that [`face_luma`] converts too, IOD: room for
/// the head motion [`canonical`] takes out and for its footprint samples.
const LUMA_MARGIN_IOD: f64 = 0.5;

impl Gray {
    /// The luma (Rec. 601 weights) of the pixels of `image` in columns `x` and rows `y`.
    fn luma(image: &RgbImage, x: Range<usize>, y: Range<usize>) -> Self {
        let (width, height) = (x.len(), y.len());
        let mut data = Vec::with_capacity(width * height);
        for row in y {
            data.extend(x.clone().map(|col| {
                let [r, g, b] = image.get_pixel(col as u32, row as u32).0;
                (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
            }));
        }
        Gray { width, height, data }
    }

    fn at(&self, x: i64, y: i64) -> f32 {
        let x = x.clamp(0, self.width as i64 - 1) as usize;
        let y = y.clamp(0, self.height as i64 - 1) as usize;
        self.data[y * self.width + x]
    }

    #[inline]
    fn sample(&self, x: f64, y: f64) -> f64 {
        let (x0, y0) = (fast_floor(x), fast_floor(y));
        let (ax, ay) = (x - x0 as f64, y - y0 as f64);
        let (w, h) = (self.width as i64, self.height as i64);
        let (p00, p10, p01, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
            // Inside: read the four neighbours directly.
            let i = (y0 * w + x0) as usize;
            let row = self.width;
            (self.data[i], self.data[i + 1], self.data[i + row], self.data[i + row + 1])
        } else {
            (self.at(x0, y0), self.at(x0 + 1, y0), self.at(x0, y0 + 1), self.at(x0 + 1, y0 + 1))
        };
        let top = f64::from(p00) * (1.0 - ax) + f64::from(p10) * ax;
        let bottom = f64::from(p01) * (1.0 - ax) + f64::from(p11) * ax;
        top * (1.0 - ay) + bottom * ay
    }

    /// Bilinear samples of the (2·radius+1)² window centred on (cx, cy), row by row, into
    /// `out`. Every sample shares the centre's sub-pixel offset, so the weights are computed
    /// once and, inside the image, the four neighbours are read directly.
    fn window(&self, cx: f64, cy: f64, radius: i64, out: &mut Vec<f64>) {
        out.clear();
        let (x0, y0) = (fast_floor(cx), fast_floor(cy));
        let (ax, ay) = (cx - x0 as f64, cy - y0 as f64);
        let (w, h) = (self.width as i64, self.height as i64);
        if x0 - radius >= 0 && y0 - radius >= 0 && x0 + radius + 1 < w && y0 + radius + 1 < h {
            let row = self.width;
            let (w00, w10, w01, w11) =
                ((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
            for y in y0 - radius..=y0 + radius {
                let base = (y * w) as usize;
                for x in x0 - radius..=x0 + radius {
                    let i = base + x as usize;
                    let (p00, p10) = (f64::from(self.data[i]), f64::from(self.data[i + 1]));
                    let (p01, p11) =
                        (f64::from(self.data[i + row]), f64::from(self.data[i + row + 1]));
                    out.push(w00 * p00 + w10 * p10 + w01 * p01 + w11 * p11);
                }
            }
        } else {
            for dy in -radius..=radius {
                for dx in -radius..=radius {
                    out.push(self.sample(cx + dx as f64, cy + dy as f64));
                }
            }
        }
    }

    fn half(&self) -> Gray {
        let (w, h) = ((self.width / 2).max(1), (self.height / 2).max(1));
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| {
                let (x2, y2) = (2 * x as i64, 2 * y as i64);
                (self.at(x2, y2)
                    + self.at(x2 + 1, y2)
                    + self.at(x2, y2 + 1)
                    + self.at(x2 + 1, y2 + 1))
                    / 4.0
            })
            .collect();
        Gray { width: w, height: h, data }
    }
}

/// A grey image and its successive halvings.
#[derive(Clone, Debug)]
struct Pyramid {
    levels: Vec<Gray>,
    /// Level 0's value and central-difference gradients, interleaved per pixel.
    gradients: Vec<[f32; 3]>,
}

impl Pyramid {
    fn new(base: Gray) -> Self {
        let gradients = (0..base.height as i64)
            .flat_map(|y| (0..base.width as i64).map(move |x| (x, y)))
            .map(|(x, y)| {
                let gx = (base.at(x + 1, y) - base.at(x - 1, y)) / 2.0;
                let gy = (base.at(x, y + 1) - base.at(x, y - 1)) / 2.0;
                [base.at(x, y), gx, gy]
            })
            .collect();
        let mut levels = vec![base];
        while levels.len() < PYRAMID_LEVELS {
            let next = levels[levels.len() - 1].half();
            levels.push(next);
        }
        Pyramid { levels, gradients }
    }

    /// Bilinear value and gradients of level 0 at (x, y). Interpolating the central
    /// differences equals differencing the interpolated image one pixel either side.
    fn value_and_gradient(&self, x: f64, y: f64) -> [f64; 3] {
        let base = &self.levels[0];
        let (x0, y0) = (fast_floor(x), fast_floor(y));
        let (ax, ay) = (x - x0 as f64, y - y0 as f64);
        let (w, h) = (base.width as i64, base.height as i64);
        let at = |xi: i64, yi: i64| {
            self.gradients[(yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)) as usize]
        };
        let (p00, p10, p01, p11) = (at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1));
        std::array::from_fn(|k| {
            let top = f64::from(p00[k]) * (1.0 - ax) + f64::from(p10[k]) * ax;
            let bottom = f64::from(p01[k]) * (1.0 - ax) + f64::from(p11[k]) * ax;
            top * (1.0 - ay) + bottom * ay
        })
    }
}

/// Pixels per IOD of the canonical face image flow runs on: every face is resampled to this
/// scale, so windows and thresholds mean the same on small and large faces.
const CANONICAL_PX_PER_IOD: f64 = 64.0;
/// The canonical image covers these face coordinates (IOD): brows to chin, cheek to cheek.
const CANONICAL_X_IOD: [f64; 2] = [-1.4, 1.4];
const CANONICAL_Y_IOD: [f64; 2] = [-0.8, 1.9];

/// The neutral face kept for flow: its canonical grey image, its landmarks (face
/// coordinates), and everything about the neutral side of each followed point that does not
/// depend on the current frame (windows, gradients, structure tensors), computed once.
#[derive(Clone, Debug)]
pub struct NeutralImage {
    landmarks: Vec<Vec3>,
    /// The stable template points, for the head-motion correction.
    stable: Vec<GridTemplate>,
    /// The points skin motion measures, with their landmark index.
    followed: Vec<(usize, GridTemplate)>,
    /// See [`NeutralImage::detail`].
    detail: f64,
    /// The neutral face's turn from the camera (degrees, as [`HeadPose`](super::HeadPose)).
    yaw_deg: f64,
}

impl NeutralImage {
    /// Resamples the face of `image` (with face frame `frame`) into the canonical image.
    pub fn new(image: &RgbImage, frame: &FaceFrame) -> Self {
        let pyramid = canonical(&face_luma(image, frame), frame, None);
        let landmarks = frame.landmarks.clone();
        let seen = |i: usize| seen_at(frame, landmarks[i]);
        let stable =
            TEMPLATE.par_iter().map(|(i, _)| GridTemplate::new(&pyramid, seen(*i))).collect();
        let followed = flow_points()
            .into_par_iter()
            .map(|i| (i, GridTemplate::new(&pyramid, seen(i))))
            .collect();
        let mut textures: Vec<f64> = flow_points()
            .into_iter()
            .map(|i| {
                let [x, y] = seen(i);
                let (samples, [gxx, gxy, gyy]) = window_gradients(&pyramid.levels[0], x, y);
                texture(gxx, gxy, gyy, samples.len())
            })
            .collect();
        let detail = median(&mut textures);
        NeutralImage { landmarks, stable, followed, detail, yaw_deg: frame.pose.yaw_deg }
    }

    /// How much fine detail the neutral skin has where skin motion follows it: the median,
    /// over the measured landmarks, of the Lucas–Kanade window's smaller structure-tensor
    /// eigenvalue per pixel (intensities 0–1, canonical pixels). Below [`MIN_DETAIL`] the
    /// tracks slide and the scores can be wrong.
    pub fn detail(&self) -> f64 {
        self.detail
    }

    /// Whether the neutral image has [`MIN_DETAIL`] or more.
    pub fn has_enough_detail(&self) -> bool {
        self.detail >= MIN_DETAIL
    }

    /// Whether the head's own motion can be measured and taken out: at least
    /// [`MIN_STABLE_FOR_TURN`] of the stable points (nasion, nasal bridge, inner eye corners)
    /// are textured enough in the neutral to be followed. Where they are not, a turn of the
    /// head is not taken out, and with fewer than three nothing of the head's motion is: one
    /// of three people filmed had a bridge this smooth (docs/validation.md).
    pub fn follows_the_head(&self) -> bool {
        let followable = self.stable.iter().filter(|grid| grid.followable()).count();
        followable >= MIN_STABLE_FOR_TURN
    }

    /// The names of the skin-motion movements none of whose points can be followed on both
    /// sides of this neutral face (the skin too smooth there): they will read
    /// [`ScoreStatus::NotFollowed`](super::ScoreStatus::NotFollowed) on every frame.
    pub fn unfollowable_movements(&self) -> Vec<&'static str> {
        let followable =
            |i: usize| self.followed.iter().any(|(index, grid)| *index == i && grid.followable());
        CORE_MOVEMENTS
            .iter()
            .filter(|m| m.measure.follows_skin_motion())
            .filter(|m| {
                !m.measure
                    .moving_points()
                    .iter()
                    .any(|&i| Side::BOTH.iter().all(|&side| followable(on_side(i, side))))
            })
            .map(|m| m.name)
            .collect()
    }

    /// What to tell the person about this neutral face: [`SOFT_NEUTRAL_WARNING`] below
    /// [`MIN_DETAIL`], [`SMOOTH_BRIDGE_WARNING`] when it does not
    /// [follow the head](Self::follows_the_head), that it is turned from the camera by more
    /// than [`MAX_NEUTRAL_YAW_DEG`], and which movements cannot be measured on it
    /// ([`NeutralImage::unfollowable_movements`]).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.yaw_deg.abs() > MAX_NEUTRAL_YAW_DEG {
            warnings.push(format!(
                "the face is turned {:.0}° from the camera, and the side turned away reads weaker \
                 than it is: face the camera squarely when you set the neutral face and while \
                 you exercise",
                self.yaw_deg.abs()
            ));
        }
        if !self.has_enough_detail() {
            warnings.push(SOFT_NEUTRAL_WARNING.to_string());
        }
        if !self.follows_the_head() {
            warnings.push(SMOOTH_BRIDGE_WARNING.to_string());
        }
        let unfollowable = self.unfollowable_movements();
        if !unfollowable.is_empty() {
            warnings.push(format!(
                "{} cannot be measured: the skin there shows too little detail to follow on both \
                 sides (more light from the front or coming closer will help)",
                unfollowable.join(", ")
            ));
        }
        warnings
    }

    /// Current landmarks in face coordinates, where the points that skin-motion measures read
    /// are moved from their neutral positions by the optical flow between the canonical
    /// neutral and current images, instead of by the mesh. Points flow cannot follow keep the
    /// mesh's position, and [`Followed::followed`] says which did; z always comes from the
    /// mesh.
    pub fn follow(&self, image: &RgbImage, current: &FaceFrame) -> Followed {
        let mut out = current.landmarks.clone();
        let mut moved = vec![false; out.len()];
        // The face frames come from the mesh's stable landmarks, which a movement can nudge
        // and which differ a little with the face's size, roll and place in the image: what
        // the stable skin itself did (ideally nothing) is measured, the current face resampled
        // again with it taken out, and what is left of it taken out of every displacement.
        let gray = face_luma(image, current);
        let first = canonical(&gray, current, None);
        let stable = self.stable_points(current);
        let now = match stable_motion(&first, &stable) {
            Some(head) => canonical(&gray, current, Some(head)),
            None => first,
        };
        // Each point is followed independently; the cores share them, the stable ones with
        // the measured ones. Each carries its depth (the neutral mesh's z) for the parallax.
        let stable = stable.into_par_iter().map(|(i, grid)| (None, i, grid));
        let followed = self.followed.par_iter().map(|(i, grid)| (Some(*i), *i, grid));
        let tracked: Vec<_> = stable
            .chain(followed)
            .map(|(index, landmark, grid)| {
                let depth = self.landmarks[landmark][2] * CANONICAL_PX_PER_IOD;
                (index, (grid.at, depth), grid.track(&now))
            })
            .collect();
        let stable = tracked.iter().filter(|(index, _, _)| index.is_none());
        let residual = HeadMotion::fit(stable.map(|&(_, at, d)| (at, d)));
        for &(index, (at, depth), d) in &tracked {
            let (Some(index), Some(d)) = (index, d) else { continue };
            let q = self.landmarks[index];
            let head = residual.map_or([0.0, 0.0], |h| h.displacement(at, depth));
            out[index][0] = q[0] + (d[0] - head[0]) / CANONICAL_PX_PER_IOD;
            out[index][1] = q[1] + (d[1] - head[1]) / CANONICAL_PX_PER_IOD;
            moved[index] = true;
        }
        Followed { landmarks: out, followed: moved }
    }

    /// The stable template points (landmark, template) that measure the head's motion in
    /// `current`: all six, or, when either eye is closed by
    /// [`SQUEEZED_EYE_CLOSURE`] or more, the three nasal-bridge points alone. Both inner eye
    /// corners go, not only the squeezed one: with one corner and the midline points the fit
    /// reads any movement of that corner as a roll (a warped brow lift then lost its weaker
    /// side). The nasion goes too: it lies between the brows and moves with them, and without
    /// the eye corners to outweigh it, it alone would set the scale (a warped half-strength
    /// brow lift read 0.30 instead of 0.48).
    fn stable_points(&self, current: &FaceFrame) -> Vec<(usize, &GridTemplate)> {
        let squeezed = Side::BOTH.iter().any(|&side| {
            EYE_CLOSURE_MEASURE.excursion(side, &self.landmarks, &current.landmarks)
                >= SQUEEZED_EYE_CLOSURE
        });
        TEMPLATE
            .iter()
            .map(|(i, _)| *i)
            .zip(&self.stable)
            .filter(|(i, _)| !squeezed || NASAL_BRIDGE.contains(i))
            .collect()
    }
}

/// What [`NeutralImage::follow`] found in one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Followed {
    /// All landmarks in face coordinates: those skin motion followed moved by it, the others
    /// where the mesh put them.
    pub landmarks: Vec<Vec3>,
    /// Per landmark, whether skin motion followed it. A measured point is not followed where
    /// the neutral skin is too smooth (fewer than 5 of its 9 grid points textured enough) or
    /// where this frame's tracks were lost; its mesh position then under-reads the movement
    /// (the mesh follows a tenth to a half of it, docs/validation.md), so scores leave such
    /// points out (`MovementScore::of_followed`).
    pub followed: Vec<bool>,
}

/// The similarity the `stable` skin moved by from the neutral to `now` (canonical pixels),
/// when at least three of its points could be followed.
fn stable_motion(now: &Pyramid, stable: &[(usize, &GridTemplate)]) -> Option<Similarity2> {
    let tracked: Vec<_> = stable.par_iter().map(|(_, grid)| (grid.at, grid.track(now))).collect();
    stable_similarity(tracked.into_iter())
}

/// The similarity fitted to the stable points that could be followed (`None` where one could
/// not), when at least three could.
fn stable_similarity(
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
/// the test faces) for a 6° turn, as much as a quarter-strength movement. The stable points span 0.5 IOD of depth (inner eye corners to
/// the nasal bridge), enough to measure the turn from their own motion. (The face mesh's pose
/// is not used: it moves by up to 2° with expressions alone, docs/validation.md.)
#[derive(Clone, Copy, Debug)]
struct HeadMotion {
    similarity: Similarity2,
    /// Canonical pixels of shift (x, y) per canonical pixel of depth.
    per_depth: [f64; 2],
}

impl HeadMotion {
    /// Least squares over the stable points that could be followed: ((position, depth),
    /// displacement), canonical pixels. With fewer than [`MIN_STABLE_FOR_TURN`] of them the
    /// turn is left out; with fewer than three, `None`.
    fn fit(tracked: impl Iterator<Item = (([f64; 2], f64), Option<[f64; 2]>)>) -> Option<Self> {
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
    fn displacement(&self, at: [f64; 2], depth: f64) -> [f64; 2] {
        let moved = self.similarity.apply(at);
        [moved[0] - at[0] + self.per_depth[0] * depth, moved[1] - at[1] + self.per_depth[1] * depth]
    }
}

/// Stable points needed to measure the head's turn as well as its similarity: five, so that
/// both depths (eye corners, nasal bridge) are among them.
const MIN_STABLE_FOR_TURN: usize = 5;

/// Where the face plane's point (x, y) of face coordinates `q` falls in the canonical
/// image, pixels.
fn canonical_at(q: Vec3) -> [f64; 2] {
    [
        (q[0] - CANONICAL_X_IOD[0]) * CANONICAL_PX_PER_IOD,
        (q[1] - CANONICAL_Y_IOD[0]) * CANONICAL_PX_PER_IOD,
    ]
}

/// Where the skin at face point `q` is seen in the canonical image of a face with frame
/// `frame`: the point of the face plane on the same line of sight (the image seen
/// orthographically, as the face frame models it). The canonical image samples the plane
/// z = 0; skin behind or in front of it is seen beside its own (x, y) by its depth times
/// the tangent of the head's turn: 0.05 IOD, 3.4 canonical pixels, for the outer cheek
/// (landmark 147, about 0.3 IOD behind the plane) with the head turned 10°. A window placed
/// at (x, y) would follow the skin beside the landmark, on the side turned away towards the
/// face's outline, where the skin moves less (docs/validation.md, "More faces").
fn seen_at(frame: &FaceFrame, q: Vec3) -> [f64; 2] {
    let r = frame.rotation;
    // The image shift of q's depth, undone within the plane: solve the plane axes' image
    // columns (2 × 2) for the shift.
    let det = r[0][0] * r[1][1] - r[0][1] * r[1][0];
    if !det.is_finite() || det.abs() < 1e-6 {
        return canonical_at(q);
    }
    let (ex, ey) = (q[2] * r[0][2], q[2] * r[1][2]);
    let dx = (r[1][1] * ex - r[0][1] * ey) / det;
    let dy = (r[0][0] * ey - r[1][0] * ex) / det;
    canonical_at([q[0] + dx, q[1] + dy, 0.0])
}

/// A 2-D similarity `p ↦ s·R·p + t` as `[a, b, tx, ty]` with `s·R = [[a, −b], [b, a]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Similarity2([f64; 4]);

impl Similarity2 {
    fn apply(&self, [x, y]: [f64; 2]) -> [f64; 2] {
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

/// Samples per side of a canonical pixel at most (a face 6× the canonical size).
const MAX_SUPERSAMPLES: usize = 6;

/// The luma of the part of an image around a face that [`canonical`] reads.
struct FaceLuma {
    gray: Gray,
    /// The image column and row of `gray`'s first pixel.
    x0: f64,
    y0: f64,
}

/// The luma of `image` over the canonical rectangle of `frame` and [`LUMA_MARGIN_IOD`]
/// around it (within the image), not the whole frame: a face fills a small part of a large
/// camera frame. A sample beyond it reads its edge, as one beyond the image reads the image's.
fn face_luma(image: &RgbImage, frame: &FaceFrame) -> FaceLuma {
    let [x_min, x_max] = CANONICAL_X_IOD.map(|x| x + LUMA_MARGIN_IOD * x.signum());
    let [y_min, y_max] = CANONICAL_Y_IOD.map(|y| y + LUMA_MARGIN_IOD * y.signum());
    let corners = [[x_min, y_min], [x_max, y_min], [x_min, y_max], [x_max, y_max]]
        .map(|[x, y]| frame.image_from_face([x, y, 0.0]));
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        // Nothing to read: one black pixel, which no point can be followed on.
        return FaceLuma { gray: Gray { width: 1, height: 1, data: vec![0.0] }, x0: 0.0, y0: 0.0 };
    }
    let span = |axis: usize, len: usize| {
        let lo = corners.iter().map(|c| c[axis]).fold(f64::INFINITY, f64::min);
        let hi = corners.iter().map(|c| c[axis]).fold(f64::NEG_INFINITY, f64::max);
        // Whole pixels around it, at least one inside the image (a NaN frame gives the
        // first): `canonical` then clamps to it as to the image.
        let lo = if lo.is_finite() { (lo.floor().max(0.0) as usize).min(len - 1) } else { 0 };
        let hi = if hi.is_finite() { (hi.ceil() as usize + 2).clamp(lo + 1, len) } else { len };
        lo..hi
    };
    let (x, y) = (span(0, w), span(1, h));
    let (x0, y0) = (x.start as f64, y.start as f64);
    FaceLuma { gray: Gray::luma(image, x, y), x0, y0 }
}

/// The face plane (z = 0 in face coordinates) of `image`, resampled at
/// [`CANONICAL_PX_PER_IOD`], as a grey pyramid; with `moved`, canonical pixel p shows what
/// the plain resampling shows at `moved(p)` (head motion measured in canonical pixels, taken
/// out).
fn canonical(source: &FaceLuma, frame: &FaceFrame, moved: Option<Similarity2>) -> Pyramid {
    let width = ((CANONICAL_X_IOD[1] - CANONICAL_X_IOD[0]) * CANONICAL_PX_PER_IOD) as usize;
    let height = ((CANONICAL_Y_IOD[1] - CANONICAL_Y_IOD[0]) * CANONICAL_PX_PER_IOD) as usize;
    let origin = frame.image_from_face([CANONICAL_X_IOD[0], CANONICAL_Y_IOD[0], 0.0]);
    let step_x = sub(
        frame.image_from_face([
            CANONICAL_X_IOD[0] + 1.0 / CANONICAL_PX_PER_IOD,
            CANONICAL_Y_IOD[0],
            0.0,
        ]),
        origin,
    );
    let step_y = sub(
        frame.image_from_face([
            CANONICAL_X_IOD[0],
            CANONICAL_Y_IOD[0] + 1.0 / CANONICAL_PX_PER_IOD,
            0.0,
        ]),
        origin,
    );
    // Each canonical pixel covers step × step image pixels: averaging n × n bilinear samples
    // spread over that footprint (n = the step rounded up) keeps finer image detail from
    // aliasing into it, so the canonical image looks the same whatever the face's size and
    // roll in the image.
    let step = step_x[0].hypot(step_x[1]).max(step_y[0].hypot(step_y[1]));
    // Image coordinates from here on are the luma part's.
    let (source, origin) = (&source.gray, sub(origin, [source.x0, source.y0, 0.0]));
    let n = (step.ceil() as usize).clamp(1, MAX_SUPERSAMPLES);
    let offsets: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64 - 0.5).collect();
    let weight = 1.0 / (n * n) as f64;
    let mut data = vec![0.0; width * height];
    data.par_chunks_mut(width).enumerate().for_each(|(v, row)| {
        for (u, out) in row.iter_mut().enumerate() {
            let mut sum = 0.0;
            for &dv in &offsets {
                for &du in &offsets {
                    let p = [u as f64 + du, v as f64 + dv];
                    let [u, v] = moved.map_or(p, |s| s.apply(p));
                    let x = origin[0] + u * step_x[0] + v * step_y[0];
                    let y = origin[1] + u * step_x[1] + v * step_y[1];
                    sum += source.sample(x, y);
                }
            }
            *out = (sum * weight) as f32;
        }
    });
    Pyramid::new(Gray { width, height, data })
}

/// Landmarks whose position skin motion measures (both sides).
fn flow_points() -> Vec<usize> {
    let mut points: Vec<usize> = CORE_MOVEMENTS
        .iter()
        .filter(|m| m.measure.follows_skin_motion())
        .flat_map(|m| m.measure.points())
        .flat_map(|i| Side::BOTH.map(|side| on_side(i, side)))
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Spacing of the grid of points followed around each landmark, canonical pixels.
const GRID_SPACING_PX: f64 = 3.0;
/// Of the 3×3 grid, how many must be followed for the median to be used.
const MIN_GRID_FOLLOWED: usize = 5;

/// A 3×3 grid of points around one landmark of the neutral face: its displacement is the
/// median of theirs, so that one point latching onto the wrong edge does not decide.
#[derive(Clone, Debug)]
struct GridTemplate {
    /// The landmark, canonical pixels.
    at: [f64; 2],
    /// The grid points textured enough to follow.
    points: Vec<PointTemplate>,
}

impl GridTemplate {
    fn new(neutral: &Pyramid, at: [f64; 2]) -> Self {
        let points = (-1..=1)
            .flat_map(|gy| (-1..=1).map(move |gx| (gx, gy)))
            .filter_map(|(gx, gy)| {
                let p = [
                    at[0] + f64::from(gx) * GRID_SPACING_PX,
                    at[1] + f64::from(gy) * GRID_SPACING_PX,
                ];
                PointTemplate::new(neutral, p)
            })
            .collect();
        GridTemplate { at, points }
    }

    /// Whether enough of the grid is textured for [`GridTemplate::track`] to ever succeed.
    fn followable(&self) -> bool {
        self.points.len() >= MIN_GRID_FOLLOWED
    }

    /// The landmark's displacement into `next`, or `None` when fewer than
    /// [`MIN_GRID_FOLLOWED`] grid points can be followed.
    fn track(&self, next: &Pyramid) -> Option<[f64; 2]> {
        if !self.followable() {
            return None;
        }
        let mut dx = Vec::with_capacity(self.points.len());
        let mut dy = Vec::with_capacity(self.points.len());
        let mut window = Vec::with_capacity(WINDOW_SIDE * WINDOW_SIDE);
        for point in &self.points {
            if let Some(d) = point.track(next, &mut window) {
                dx.push(d[0]);
                dy.push(d[1]);
            }
        }
        if dx.len() < MIN_GRID_FOLLOWED {
            return None;
        }
        Some([median(&mut dx), median(&mut dy)])
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Side of the Lucas–Kanade window, pixels.
const WINDOW_SIDE: usize = (2 * WINDOW_RADIUS + 1) as usize;

/// One pyramid level of a point's neutral window: values and gradients, and the structure
/// tensor (Bouguet's pyramidal Lucas–Kanade keeps the neutral side fixed, so all of it is
/// known before any frame arrives).
#[derive(Clone, Debug)]
struct LevelTemplate {
    /// (value, ∂x, ∂y) per window pixel, row by row.
    samples: Vec<[f64; 3]>,
    gxx: f64,
    gxy: f64,
    gyy: f64,
    det: f64,
}

/// The smaller eigenvalue of a window's structure tensor per pixel: how well the window's
/// texture pins down its position in its weakest direction (intensities 0–1).
fn texture(gxx: f64, gxy: f64, gyy: f64, pixels: usize) -> f64 {
    let (trace, det) = (gxx + gyy, gxx * gyy - gxy * gxy);
    (trace - (trace * trace - 4.0 * det).max(0.0).sqrt()) / 2.0 / pixels as f64
}

/// The Lucas–Kanade window of `image` centred on (x, y): (value, ∂x, ∂y) per pixel, row by
/// row, and the structure tensor's sums (gxx, gxy, gyy).
fn window_gradients(image: &Gray, x: f64, y: f64) -> (Vec<[f64; 3]>, [f64; 3]) {
    const PADDED: usize = WINDOW_SIDE + 2;
    let mut padded = Vec::with_capacity(PADDED * PADDED);
    // One pixel wider for central differences.
    image.window(x, y, WINDOW_RADIUS + 1, &mut padded);
    let at = |r: usize, c: usize| padded[r * PADDED + c];
    let mut samples = Vec::with_capacity(WINDOW_SIDE * WINDOW_SIDE);
    let (mut gxx, mut gxy, mut gyy) = (0.0, 0.0, 0.0);
    for row in 1..=WINDOW_SIDE {
        for col in 1..=WINDOW_SIDE {
            let ix = (at(row, col + 1) - at(row, col - 1)) / 2.0;
            let iy = (at(row + 1, col) - at(row - 1, col)) / 2.0;
            gxx += ix * ix;
            gxy += ix * iy;
            gyy += iy * iy;
            samples.push([at(row, col), ix, iy]);
        }
    }
    (samples, [gxx, gxy, gyy])
}

/// A neutral point followed by pyramidal Lucas–Kanade, then refined by a fit that lets the
/// skin stretch and bend inside the window ([`RefineTemplate`]).
#[derive(Clone, Debug)]
struct PointTemplate {
    /// Level-0 canonical pixels.
    point: [f64; 2],
    /// Index = pyramid level.
    levels: Vec<LevelTemplate>,
    refine: RefineTemplate,
}

impl PointTemplate {
    /// `None` where the neutral skin is too smooth to follow.
    fn new(neutral: &Pyramid, point: [f64; 2]) -> Option<Self> {
        let mut levels = Vec::with_capacity(neutral.levels.len());
        for (level, image) in neutral.levels.iter().enumerate() {
            let scale = (1u32 << level) as f64;
            let (samples, [gxx, gxy, gyy]) =
                window_gradients(image, point[0] / scale, point[1] / scale);
            let det = gxx * gyy - gxy * gxy;
            if level == 0 && texture(gxx, gxy, gyy, samples.len()) < MIN_TEXTURE {
                return None;
            }
            levels.push(LevelTemplate { samples, gxx, gxy, gyy, det });
        }
        Some(PointTemplate { point, levels, refine: RefineTemplate::new(neutral, point) })
    }

    /// Pyramidal Lucas–Kanade (Bouguet): the displacement of the point from the neutral image
    /// into `next` (level-0 canonical pixels). `window` is scratch space.
    fn track(&self, next: &Pyramid, window: &mut Vec<f64>) -> Option<[f64; 2]> {
        let mut guess = [0.0f64; 2];
        for (level, template) in self.levels.iter().enumerate().rev() {
            if template.det <= 0.0 {
                guess = guess.map(|g| g * 2.0);
                continue;
            }
            let scale = (1u32 << level) as f64;
            let (px, py) = (self.point[0] / scale, self.point[1] / scale);
            let j = &next.levels[level];
            let LevelTemplate { gxx, gxy, gyy, det, .. } = *template;
            let mut v = [0.0f64; 2];
            for _ in 0..MAX_ITERATIONS {
                j.window(px + guess[0] + v[0], py + guess[1] + v[1], WINDOW_RADIUS, window);
                let (mut bx, mut by) = (0.0, 0.0);
                for (&[value, ix, iy], now) in template.samples.iter().zip(window.iter()) {
                    let diff = value - now;
                    bx += diff * ix;
                    by += diff * iy;
                }
                let eta = [(gyy * bx - gxy * by) / det, (gxx * by - gxy * bx) / det];
                v = [v[0] + eta[0], v[1] + eta[1]];
                if eta[0].hypot(eta[1]) < MIN_UPDATE_PX {
                    break;
                }
            }
            guess = [guess[0] + v[0], guess[1] + v[1]];
            if level > 0 {
                guess = guess.map(|g| g * 2.0);
            }
        }
        let refined = self.refine.refine(next, self.point, guess).unwrap_or(guess);
        (refined.iter().all(|g| g.is_finite()) && refined[0].hypot(refined[1]) <= MAX_TRACK_PX)
            .then_some(refined)
    }
}

/// Half-size of the refinement window, canonical pixels (0.14 IOD).
const REFINE_RADIUS: i64 = 9;
/// The refinement weighs each pixel of its window by a Gaussian of its distance from the
/// centre with this σ (canonical pixels, 0.09 IOD), so that texture at the window's edge,
/// where the skin moves less or not at all (the face's outline, a spectacle frame), counts
/// less than texture at the landmark. Chosen with the affine refinement this one replaced:
/// of σ = 3, 4.5, 6 and 8 (and none) on the known movements of the two test faces, 3 and 4.5
/// read best there, but they let the mouth corner move by 0.016 IOD when Grace Hopper's face
/// is seen at 0.75× and rolled 15°, beyond the invariance tests' 0.01; 6 is the smallest that
/// kept it (docs/validation.md, "Known one-sided movements" and "More faces").
const REFINE_SIGMA_PX: f64 = 6.0;

/// Gauss–Newton iterations of the refinement at most, as many as the translational steps
/// ([`MAX_ITERATIONS`]): it starts from the translational estimate with no stretch or bend,
/// and at the mouth corner under a full smile its twelve parameters need more than the eight
/// an affine fit settled in (Grace Hopper's even smile read 0.83 after 8, 0.97 after 20 and
/// after 30; docs/validation.md).
const MAX_REFINE_ITERATIONS: usize = MAX_ITERATIONS;
/// Largest shear or stretch the refinement may find at the window's centre (50 % is not
/// skin).
const MAX_REFINE_DEFORMATION: f64 = 0.5;

/// Monomials x^i·y^j of degree up to 4 in the window's coordinates, as (i, j): the first six
/// are the motion model's basis 1, x, y, x², xy, y², and every product of two of those is one
/// of them.
const MONOMIALS: [(u8, u8); 15] = [
    (0, 0),
    (1, 0),
    (0, 1),
    (2, 0),
    (1, 1),
    (0, 2),
    (3, 0),
    (2, 1),
    (1, 2),
    (0, 3),
    (4, 0),
    (3, 1),
    (2, 2),
    (1, 3),
    (0, 4),
];
/// `PRODUCT[k][l]`: the index into [`MONOMIALS`] of the product of basis functions `k` and
/// `l`, found at compile time.
const PRODUCT: [[usize; 6]; 6] = {
    let mut table = [[0; 6]; 6];
    let mut k = 0;
    while k < 6 {
        let mut l = 0;
        while l < 6 {
            let (i, j) = (MONOMIALS[k].0 + MONOMIALS[l].0, MONOMIALS[k].1 + MONOMIALS[l].1);
            let mut m = 0;
            while MONOMIALS[m].0 != i || MONOMIALS[m].1 != j {
                m += 1;
            }
            table[k][l] = m;
            l += 1;
        }
        k += 1;
    }
    table
};

/// Per window pixel, row by row: its Gaussian weight times each of [`MONOMIALS`] (the first
/// six are the weighted basis), coordinates in units of [`REFINE_RADIUS`]; and the basis
/// unweighted.
struct RefineWindow {
    weighted: Vec<[f64; 15]>,
    basis: Vec<[f64; 6]>,
}

fn refine_window() -> &'static RefineWindow {
    static WINDOW: std::sync::LazyLock<RefineWindow> = std::sync::LazyLock::new(|| {
        let r = REFINE_RADIUS as f64;
        let (mut weighted, mut basis) = (Vec::new(), Vec::new());
        for dy in -REFINE_RADIUS..=REFINE_RADIUS {
            for dx in -REFINE_RADIUS..=REFINE_RADIUS {
                let (x, y) = (dx as f64, dy as f64);
                let weight = (-(x * x + y * y) / (2.0 * REFINE_SIGMA_PX * REFINE_SIGMA_PX)).exp();
                let (u, v) = (x / r, y / r);
                let m = MONOMIALS.map(|(i, j)| u.powi(i32::from(i)) * v.powi(i32::from(j)));
                weighted.push(m.map(|m| weight * m));
                basis.push(std::array::from_fn(|k| m[k]));
            }
        }
        RefineWindow { weighted, basis }
    });
    &WINDOW
}

/// The neutral side of the refinement of a point's track: the displacement of the window's
/// centre is measured with a motion model that may stretch, turn and bend inside the window,
/// so that it is not an average of the skin around the landmark. Under a movement the skin's
/// motion peaks at the skin that moves and falls off around it; a translation, or an affine
/// map, fitted to such a window reads the centre's displacement as a mean of its
/// surroundings weighted by where the texture lies (an eyebrow's hairs, a lip's edge), which
/// is different on each side of a face: on the known movements a tracker averaging the true
/// motion over this window would read two thirds of a brow lift. Each coordinate of the
/// displacement is a quadratic in the window's coordinates, u(x, y) = Σ pₖ·bₖ(x, y) over
/// b = (1, x, y, x², xy, y²) and likewise v, x and y in units of [`REFINE_RADIUS`]; the
/// window's centre moves by (p₀, p₆). Gauss–Newton, forward additive, each pixel weighted by
/// [`REFINE_SIGMA_PX`]; the neutral window's values are sampled once.
#[derive(Clone, Debug)]
struct RefineTemplate {
    /// Neutral values of the window, row by row.
    values: Vec<f64>,
}

impl RefineTemplate {
    fn new(neutral: &Pyramid, point: [f64; 2]) -> Self {
        let base = &neutral.levels[0];
        let values = (-REFINE_RADIUS..=REFINE_RADIUS)
            .flat_map(|dy| (-REFINE_RADIUS..=REFINE_RADIUS).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| base.sample(point[0] + dx as f64, point[1] + dy as f64))
            .collect();
        RefineTemplate { values }
    }

    /// Refines the translation `guess` of the window at `point` into `next`; `None` when the
    /// fit fails or wanders off.
    #[allow(clippy::needless_range_loop)] // Index loops read best for the 12×12 fill.
    fn refine(&self, next: &Pyramid, point: [f64; 2], guess: [f64; 2]) -> Option<[f64; 2]> {
        // p[0..6] for the x displacement, p[6..12] for y.
        let mut p = [0.0f64; 12];
        p[0] = guess[0];
        p[6] = guess[1];
        let window = refine_window();
        for _ in 0..MAX_REFINE_ITERATIONS {
            // The Gauss–Newton matrix's blocks (x–x, x–y, y–y) are sums of the image
            // gradients' products times monomials: 45 sums per pixel instead of 78.
            let (mut sxx, mut sxy, mut syy) = ([0.0f64; 15], [0.0f64; 15], [0.0f64; 15]);
            let mut b = [0.0f64; 12];
            let mut k = 0;
            for dy in -REFINE_RADIUS..=REFINE_RADIUS {
                for dx in -REFINE_RADIUS..=REFINE_RADIUS {
                    let (basis, weighted) = (&window.basis[k], &window.weighted[k]);
                    let (mut u, mut v) = (0.0, 0.0);
                    for j in 0..6 {
                        u += p[j] * basis[j];
                        v += p[6 + j] * basis[j];
                    }
                    let wx = point[0] + dx as f64 + u;
                    let wy = point[1] + dy as f64 + v;
                    let [now, jx, jy] = next.value_and_gradient(wx, wy);
                    let error = self.values[k] - now;
                    let (ex, ey) = (error * jx, error * jy);
                    for j in 0..6 {
                        b[j] += ex * weighted[j];
                        b[6 + j] += ey * weighted[j];
                    }
                    let (xx, xy, yy) = (jx * jx, jx * jy, jy * jy);
                    for m in 0..15 {
                        sxx[m] += xx * weighted[m];
                        sxy[m] += xy * weighted[m];
                        syy[m] += yy * weighted[m];
                    }
                    k += 1;
                }
            }
            let mut h = [[0.0f64; 12]; 12];
            for r in 0..6 {
                for c in 0..6 {
                    let m = PRODUCT[r][c];
                    h[r][c] = sxx[m];
                    h[r][6 + c] = sxy[m];
                    h[6 + r][c] = sxy[m];
                    h[6 + r][6 + c] = syy[m];
                }
            }
            let delta = solve(h, b)?;
            for k in 0..12 {
                p[k] += delta[k];
            }
            if delta[0].hypot(delta[6]) < MIN_UPDATE_PX {
                break;
            }
        }
        let r = REFINE_RADIUS as f64;
        if [p[1], p[2], p[7], p[8]].iter().any(|a| (a / r).abs() > MAX_REFINE_DEFORMATION)
            || (p[0] - guess[0]).hypot(p[6] - guess[1]) > 2.0 * r
            || !p.iter().all(|v| v.is_finite())
        {
            return None;
        }
        Some([p[0], p[6]])
    }
}

/// Solves an N×N linear system by Gaussian elimination with partial pivoting.
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..N {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let s: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth texture with structure in every direction, intensities in 0–1.
    fn texture(x: f64, y: f64) -> f64 {
        0.5 + 0.15 * (0.31 * x + 0.17 * y).sin()
            + 0.12 * (0.23 * y - 0.11 * x).cos()
            + 0.08 * (0.07 * x * 1.3 + 0.19 * y).sin()
    }

    fn pyramid(f: impl Fn(f64, f64) -> f64) -> Pyramid {
        let (width, height) = (160, 160);
        let data = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x as f64, y as f64) as f32)
            .collect();
        Pyramid::new(Gray { width, height, data })
    }

    #[test]
    fn follows_a_known_translation() {
        let neutral = pyramid(texture);
        // The skin moved by d: the current image at x shows the neutral skin from x − d.
        for d in [[0.0, 0.0], [0.4, -0.3], [3.7, 1.2], [-9.5, 6.25]] {
            let current = pyramid(|x, y| texture(x - d[0], y - d[1]));
            let grid = GridTemplate::new(&neutral, [80.0, 80.0]);
            let found = grid.track(&current).expect("textured");
            assert!(
                (found[0] - d[0]).abs() < 0.05 && (found[1] - d[1]).abs() < 0.05,
                "{d:?}: {found:?}"
            );
        }
    }

    /// A point is followed as far as the pyramid reaches; a track that ends farther than
    /// [`MAX_TRACK_PX`] has latched onto something else and is reported as lost (here,
    /// without the bound, a shift of 38 px read as (69, −123)).
    #[test]
    fn a_track_beyond_the_pyramids_reach_is_lost() {
        // Blobs at scattered places: unlike `texture`, nothing repeats within the reach.
        let blobs: Vec<[f64; 2]> = (0..80u32)
            .map(|k| {
                let h = |m: u32| f64::from(k.wrapping_mul(m).wrapping_add(12345) % 997) / 997.0;
                [h(7919) * 160.0, h(104729) * 160.0]
            })
            .collect();
        let spots = |x: f64, y: f64| {
            let sum: f64 = blobs
                .iter()
                .map(|b| (-((x - b[0]).powi(2) + (y - b[1]).powi(2)) / 50.0).exp())
                .sum();
            0.2 + 0.6 * sum.min(1.0)
        };
        let neutral = pyramid(spots);
        let grid = GridTemplate::new(&neutral, [60.0, 60.0]);
        let within = [MAX_TRACK_PX - 4.0, 0.0];
        let current = pyramid(|x, y| spots(x - within[0], y - within[1]));
        let found = grid.track(&current).expect("within reach");
        assert!((found[0] - within[0]).abs() < 0.05 && found[1].abs() < 0.05, "{found:?}");
        let beyond = [MAX_TRACK_PX + 6.0, 0.0];
        let current = pyramid(|x, y| spots(x - beyond[0], y - beyond[1]));
        assert_eq!(grid.track(&current), None);
    }

    #[test]
    fn follows_the_centre_of_a_stretched_window() {
        // Skin stretched by 10 % about (70, 90) and moved by (2, -1): the point (80, 80)
        // goes to (70, 90) + 1.1·(10, −10) + (2, −1) = (83, 78).
        let neutral = pyramid(texture);
        let warp_back = |x: f64, y: f64| {
            let (u, v) = ((x - 2.0 - 70.0) / 1.1 + 70.0, (y + 1.0 - 90.0) / 1.1 + 90.0);
            texture(u, v)
        };
        let current = pyramid(warp_back);
        let grid = GridTemplate::new(&neutral, [80.0, 80.0]);
        let found = grid.track(&current).expect("textured");
        assert!((found[0] - 3.0).abs() < 0.1 && (found[1] + 2.0).abs() < 0.1, "{found:?}");
    }

    /// Skin whose motion peaks at the point and falls off around it, as a movement moves it (a
    /// lift of 3 px at the point, a Gaussian of σ = 8 px around it): the refinement reads the
    /// point's own displacement, not the window's mean motion, which is what a translation (or,
    /// the field being even about the point, an affine map) fits: translational Lucas–Kanade
    /// reads 2.28 px here, the quadratic refinement 2.80.
    #[test]
    fn follows_the_peak_of_a_motion_that_falls_off() {
        let (at, lift, spread) = ([80.0, 80.0], 3.0, 8.0);
        let motion = |x: f64, y: f64| {
            lift * (-((x - at[0]).powi(2) + (y - at[1]).powi(2)) / (2.0 * spread * spread)).exp()
        };
        // The current image at (x, y) shows the neutral skin from where it moved from:
        // (x, y + m) with m = motion there, found by fixed-point iteration.
        let current = pyramid(|x, y| {
            let mut from = y;
            for _ in 0..20 {
                from = y + motion(x, from);
            }
            texture(x, from)
        });
        let neutral = pyramid(texture);
        let point = PointTemplate::new(&neutral, at).expect("textured");
        let found = point.track(&current, &mut Vec::new()).expect("followed");
        assert!(found[0].abs() < 0.1 && (found[1] + lift).abs() < 0.1 * lift, "{found:?}");
    }

    /// The canonical image read from the face's part of a frame is the one read from the whole
    /// frame, for a face inside a large frame and for one running off its corner.
    #[test]
    fn face_luma_reads_what_the_whole_frame_gives() {
        let (w, h) = (1600u32, 1000u32);
        let image = RgbImage::from_fn(w, h, |x, y| {
            let v = texture(f64::from(x), f64::from(y));
            image::Rgb([(v * 255.0) as u8, (v * 200.0) as u8, ((1.0 - v) * 255.0) as u8])
        });
        let whole = || FaceLuma {
            gray: Gray::luma(&image, 0..w as usize, 0..h as usize),
            x0: 0.0,
            y0: 0.0,
        };
        for (centre, roll) in [([700.0, 450.0], 0.2), ([40.0, 30.0], -0.3)] {
            // The template's points scaled to 110 px per IOD, rolled, placed at `centre`.
            let (sin, cos) = f64::sin_cos(roll);
            let place = |p: Vec3| {
                let (x, y) = (110.0 * p[0], 110.0 * p[1]);
                [centre[0] + cos * x - sin * y, centre[1] + sin * x + cos * y, 110.0 * p[2]]
            };
            let mut points = vec![place(TEMPLATE[0].1); crate::landmarks::NUM_LANDMARKS];
            for (i, p) in TEMPLATE {
                points[i] = place(p);
            }
            let frame = FaceFrame::fit_points(&points).expect("the template is a face");
            let part = face_luma(&image, &frame);
            assert!(part.gray.data.len() * 4 < (w * h) as usize, "{centre:?}: read too much");
            let (a, b) = (canonical(&part, &frame, None), canonical(&whole(), &frame, None));
            let worst = a.levels[0]
                .data
                .iter()
                .zip(&b.levels[0].data)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-6, "{centre:?}: canonical images differ by {worst}");
        }
    }

    /// Skin off the face plane is looked for where it is seen: on a face turned 10°, tilted
    /// and rolled, the canonical point `seen_at` gives lies on the same line of sight as the
    /// skin (same image position), and a point 0.5 IOD deep sits 0.5·tan 10° IOD beside its
    /// own (x, y); skin on the plane sits at its own.
    #[test]
    fn skin_is_looked_for_where_it_is_seen() {
        let (yaw, pitch, roll) = (10f64.to_radians(), (-5f64).to_radians(), 15f64.to_radians());
        let turn = |p: Vec3| {
            // Yaw about y, then pitch about x, then roll about the view axis.
            let (x, z) =
                (p[0] * yaw.cos() + p[2] * yaw.sin(), -p[0] * yaw.sin() + p[2] * yaw.cos());
            let (y, z) =
                (p[1] * pitch.cos() - z * pitch.sin(), p[1] * pitch.sin() + z * pitch.cos());
            let (x, y) = (x * roll.cos() - y * roll.sin(), x * roll.sin() + y * roll.cos());
            [320.0 + 90.0 * x, 240.0 + 90.0 * y, 90.0 * z]
        };
        let mut points = vec![turn(TEMPLATE[0].1); crate::landmarks::NUM_LANDMARKS];
        for (i, p) in TEMPLATE {
            points[i] = turn(p);
        }
        let frame = FaceFrame::fit_points(&points).expect("the template is a face");
        let on_plane = |[u, v]: [f64; 2]| {
            [
                CANONICAL_X_IOD[0] + u / CANONICAL_PX_PER_IOD,
                CANONICAL_Y_IOD[0] + v / CANONICAL_PX_PER_IOD,
                0.0,
            ]
        };
        for q in [[0.8, 0.6, 0.5], [-0.8, 0.6, 0.5], [0.2, 1.2, -0.3], [0.5, 0.1, 0.0]] {
            let seen = seen_at(&frame, q);
            let (a, b) = (frame.image_from_face(q), frame.image_from_face(on_plane(seen)));
            assert!((a[0] - b[0]).hypot(a[1] - b[1]) < 1e-9, "{q:?}: {a:?} vs {b:?}");
        }
        // In the face's own axes the turn is about 10° (the fitted frame need not be
        // exactly the constructed one), so the shift is about 0.5 · tan 10° = 0.088 IOD.
        let shift = seen_at(&frame, [0.8, 0.6, 0.5])[0] - canonical_at([0.8, 0.6, 0.5])[0];
        assert!((shift.abs() / CANONICAL_PX_PER_IOD - 0.088).abs() < 0.01, "{shift}");
        let flat = [0.5, 0.1, 0.0];
        let (seen, own) = (seen_at(&frame, flat), canonical_at(flat));
        assert!((seen[0] - own[0]).hypot(seen[1] - own[1]) < 1e-9);
    }

    /// An empty image (landmarks from elsewhere) is no error: nothing can be followed on it,
    /// so every point keeps the mesh's position.
    #[test]
    fn an_empty_image_follows_nothing() {
        let mut points = vec![TEMPLATE[0].1.map(|v| 100.0 * v); crate::landmarks::NUM_LANDMARKS];
        for (i, p) in TEMPLATE {
            points[i] = p.map(|v| 100.0 * v + 300.0);
        }
        let frame = FaceFrame::fit_points(&points).expect("the template is a face");
        let empty = RgbImage::new(0, 0);
        let neutral = NeutralImage::new(&empty, &frame);
        assert_eq!(neutral.detail(), 0.0);
        let followed = neutral.follow(&empty, &frame);
        assert_eq!(followed.landmarks, frame.landmarks);
        assert!(followed.followed.iter().all(|f| !f));
    }

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

    #[test]
    fn refuses_flat_skin() {
        let flat = pyramid(|_, _| 0.5);
        assert!(GridTemplate::new(&flat, [80.0, 80.0]).track(&flat).is_none());
    }
}
