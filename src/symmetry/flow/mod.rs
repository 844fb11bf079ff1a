//! Skin motion measured in the image: each measured landmark of the neutral face is followed
//! into the current frame by pyramidal Lucas–Kanade optical flow, after head motion is taken
//! out: a similarity of the face plane and the parallax of a small turn of the head, both
//! measured on the stable landmarks.
//!
//! Why: the face mesh is a strong shape prior that pulls faces toward symmetry and follows
//! only part of a real excursion (docs/validation.md). The skin itself carries the movement:
//! where it is textured enough to follow, its displacement is measured directly, side by side
//! and independently.

//!
//! One stage per file: `pyramid` (grey images and their halvings), `canonical` (the face
//! plane resampled at a fixed scale, and where each landmark's skin is seen in it), `track`
//! (grids of points followed by pyramidal Lucas–Kanade), `refine` (the quadratic refinement of
//! each track), `head_motion` (the head's own motion fitted on the stable skin) and `solve`.
//! This file keeps the neutral face with its calibration-time checks and warnings, and
//! follows a frame's skin from it.

/// `fn $name(args) -> R`, compiled for the widest vectors the processor has (AVX-512 F and DQ,
/// else AVX2, else the x86-64 baseline), each copy the body of `$portable`. The loops in them
/// are written so that the operations, and their order for each output, are the same at every
/// width: every processor gets the same numbers.
macro_rules! widest_vectors {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
        = $portable:path;) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq")]
                fn avx512($($arg: $ty),*) -> $ret {
                    $portable($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                {
                    // SAFETY: the processor was just asked whether it has AVX-512 F and DQ.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor was just asked whether it has AVX2.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $portable($($arg),*)
        }
    };
}

mod canonical;
mod head_motion;
mod pyramid;
mod refine;
mod solve;
#[cfg(test)]
mod test_images;
mod track;

use image::RgbImage;
use rayon::prelude::*;

use self::canonical::{CANONICAL_PX_PER_IOD, canonical, face_luma, seen_at};
use self::head_motion::{HeadMotion, MIN_STABLE_FOR_TURN, Similarity2, stable_similarity};
use self::pyramid::Pyramid;
use self::track::{GridTemplate, texture, window_gradients};
use super::frame::{FaceFrame, TEMPLATE, Vec3};
use super::landmarks_map::{NASAL_BRIDGE, Side, on_side};
use super::movements::{CORE_MOVEMENTS, EYE_CLOSURE_MEASURE, Measure, MovementId, movement};
use super::regions::REST_SKIN_POINTS;
use crate::stats::median_in_place;

/// An eye closed by at least this fraction of its neutral aperture (the lids the landmarks
/// carry, as eye closure reads them) pulls the skin at its inner corner, and two of the six
/// stable points the head's motion is measured on are the inner eye corners. 0.4 lies between
/// how far real smiles narrowed the eyes and how far crying or laughing closed them when they
/// moved the stable skin (docs/validation.md, "Mirror").
pub const SQUEEZED_EYE_CLOSURE: f64 = 0.4;

/// A neutral face turned further than this from the camera (yaw, either way) is warned of:
/// skin motion reads the side turned away as weaker. On turned test portraits the ratios begin
/// to miss from about 5° (docs/validation.md, "More faces"), and a purely rolled face reads up
/// to 4° of yaw, which alone should not set it off.
pub const MAX_NEUTRAL_YAW_DEG: f64 = 5.0;

/// Neutral images with less [`NeutralImage::detail`] than this may be too soft for skin
/// motion: where blurred test faces stopped recovering their known movements when it was
/// chosen. Cautious on blurred faces now, and kept because what fails elsewhere is not caught
/// by detail (docs/validation.md, "Faces with little detail").
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

/// The neutral face kept for flow: its landmarks (face coordinates), and everything about the
/// neutral side of each followed point that does not depend on the current frame (windows,
/// gradients, structure tensors), computed once from its canonical grey image.
#[derive(Clone, Debug)]
pub struct NeutralImage {
    landmarks: Vec<Vec3>,
    /// The stable template points, for the head-motion correction.
    stable: Vec<GridTemplate>,
    /// The points skin motion measures, with their landmark index: the movements' first,
    /// then from `rest_from` on those only the regions twitches are looked for in read.
    followed: Vec<(usize, GridTemplate)>,
    rest_from: usize,
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
        let movement_points = flow_points();
        let rest_from = movement_points.len();
        let followed = movement_points
            .into_iter()
            .chain(rest_points())
            .collect::<Vec<_>>()
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
        // There is always a measured landmark, so a median (NaN would stand for none).
        let detail = median_in_place(&mut textures).unwrap_or(f64::NAN);
        NeutralImage { landmarks, stable, followed, rest_from, detail, yaw_deg: frame.pose.yaw_deg }
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
        self.follow_with(image, current, None)
    }

    /// [`NeutralImage::follow`] for the next frame of a video: each point is followed from
    /// where `track` last saw it (small steps, the skin's look changing little between frames,
    /// as when the lips part to show the teeth), then matched against the neutral skin from
    /// there, which is kept when it lands within [`ANCHOR_PX`] of the step (so the track does
    /// not drift while the skin still looks as at rest). A point not seen in the last frame is
    /// followed from the neutral, as `follow` does.
    pub fn follow_video(
        &self,
        image: &RgbImage,
        current: &FaceFrame,
        track: &mut SkinTrack,
    ) -> Followed {
        self.follow_with(image, current, Some(track))
    }

    fn follow_with(
        &self,
        image: &RgbImage,
        current: &FaceFrame,
        track: Option<&mut SkinTrack>,
    ) -> Followed {
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
        let last = track.as_deref().and_then(|t| t.last.as_ref());
        let frame_number = track.as_deref().map_or(0, |t| t.frames);
        // Only the shown movement's points, when the track is limited to one; the regions'
        // own points only when the track looks for twitches.
        let shown =
            track.as_deref().and_then(|t| t.only).map(|id| skin_points(&movement(id).measure));
        let rest = track.as_deref().is_some_and(|t| t.at_rest && t.only.is_none());
        let wanted = |k: usize, i: usize| {
            shown.as_ref().is_none_or(|points: &Vec<usize>| points.contains(&i))
                && (rest || k < self.rest_from)
        };
        // Each point is followed independently; the cores share them, the stable ones with
        // the measured ones. Each carries its depth (the neutral mesh's z) for the parallax.
        let stable = stable.into_par_iter().map(|(i, grid)| (None, i, grid, grid.track(&now)));
        let followed = self.followed.par_iter().enumerate().map(|(k, (i, grid))| {
            if !wanted(k, *i) {
                return (Some(*i), *i, grid, None);
            }
            let from_last = last.and_then(|last| {
                let d = last.displacements.get(k).copied().flatten()?;
                // Each point looks for the way back to rest every few frames, in turn.
                let look_back = (frame_number + k as u64).is_multiple_of(LOOK_BACK_EVERY);
                follow_step(grid, &last.canonical, d, look_back, &now)
            });
            (Some(*i), *i, grid, from_last.or_else(|| grid.track(&now)))
        });
        let tracked: Vec<_> = stable
            .chain(followed)
            .map(|(index, landmark, grid, d)| {
                let depth = self.landmarks[landmark][2] * CANONICAL_PX_PER_IOD;
                (index, (grid.at, depth), d)
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
        if let Some(track) = track {
            let displacements =
                tracked.iter().filter(|(index, _, _)| index.is_some()).map(|t| t.2).collect();
            track.last = Some(LastFrame { canonical: now, displacements });
            track.frames += 1;
        }
        Followed { landmarks: out, followed: moved }
    }

    /// The stable template points (landmark, template) that measure the head's motion in
    /// `current`: all six, or, when either eye is closed by [`SQUEEZED_EYE_CLOSURE`] or more,
    /// the three nasal-bridge points alone. Both inner eye corners go, not only the squeezed
    /// one: with one corner and the midline points the fit reads any movement of that corner
    /// as a roll. The nasion goes too: it lies between the brows and moves with them, and
    /// without the eye corners to outweigh it, it alone would set the scale (docs/validation.md,
    /// "Mirror").
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

/// A step from the last frame that lands this close to where the neutral skin is matched
/// from it (canonical pixels, 0.016 IOD) is taken as the neutral match: the track is
/// anchored to the neutral again and does not drift.
const ANCHOR_PX: f64 = 1.0;

/// A point whose step cannot be anchored is matched against the neutral from rest once in
/// this many frames (each point in its turn): once back at rest it stays there, and trying
/// every frame cost a fifth more on a talking face, whose look keeps changing.
const LOOK_BACK_EVERY: u64 = 4;

/// Where a video's skin was seen in its last frame, for [`NeutralImage::follow_video`], and
/// which movement's skin to follow.
#[derive(Clone, Debug, Default)]
pub struct SkinTrack {
    last: Option<LastFrame>,
    /// Follow only this movement's points (the one on screen); `None`: all of them.
    only: Option<MovementId>,
    /// Follow the skin twitches are looked for in as well ([`REST_SKIN_POINTS`]).
    at_rest: bool,
    /// Frames followed so far.
    frames: u64,
}

impl SkinTrack {
    /// Nothing seen yet: the next frame is followed from the neutral.
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows only the points `movement` reads from the next frame on (a guided session
    /// shows one movement, and the others' skin need not be followed), or all of them
    /// (`None`). A point followed again starts from the neutral; the points followed all
    /// along read exactly what following every point reads.
    pub fn follow_only(&mut self, movement: Option<MovementId>) {
        self.only = movement;
    }

    /// Follows the skin of the regions twitches are looked for in as well
    /// ([`RegionReading`](super::regions::RegionReading)), where no one movement is shown.
    pub fn follow_rest(&mut self, at_rest: bool) {
        self.at_rest = at_rest;
    }

    /// The movement [`SkinTrack::follow_only`] limits the track to, if any.
    pub fn only(&self) -> Option<MovementId> {
        self.only
    }

    /// Forgets the last frame (the face was lost, or the video jumped).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[derive(Clone, Debug)]
struct LastFrame {
    /// The last frame's canonical image, head motion taken out.
    canonical: Pyramid,
    /// Each followed point's displacement from the neutral in it (canonical pixels, before
    /// the head's residual motion is taken out); `None` where it was lost.
    displacements: Vec<Option<[f64; 2]>>,
}

/// `grid`'s displacement into `now`, followed from `last`, where it had moved by `d`: the
/// skin at it in `last` followed into `now` (one point: the grid's median guards the match
/// against the neutral, and a grid for the step cost a fifth more for the same readings),
/// then matched against the neutral from there ([`ANCHOR_PX`]); near rest, or where the step
/// cannot be anchored and `look_back`, matched against the neutral from rest. `None` when the
/// step is lost.
fn follow_step(
    grid: &GridTemplate,
    last: &Pyramid,
    d: [f64; 2],
    look_back: bool,
    now: &Pyramid,
) -> Option<[f64; 2]> {
    let at_rest = |d: [f64; 2]| d[0].hypot(d[1]) <= 2.0 * ANCHOR_PX;
    // Near rest, the skin is matched against the neutral from rest first: a step can settle
    // a pixel off, in a dip of the match beside the true one, and stay there.
    if at_rest(d)
        && let Some(rest) = grid.track_near(now, [0.0, 0.0], ANCHOR_PX)
    {
        return Some(rest);
    }
    let step = track::follow_point(last, [grid.at[0] + d[0], grid.at[1] + d[1]], now)?;
    let stepped = [d[0] + step[0], d[1] + step[1]];
    if stepped[0].hypot(stepped[1]) > track::MAX_TRACK_PX {
        return None;
    }
    let anchored = grid.track_near(now, stepped, ANCHOR_PX).or_else(|| {
        // Back at rest: a step that latched onto an edge nearby would not find its way back.
        (!at_rest(d) && look_back).then(|| grid.track_near(now, [0.0, 0.0], ANCHOR_PX)).flatten()
    });
    Some(anchored.unwrap_or(stepped))
}

/// Landmarks whose position skin motion measures (both sides).
fn flow_points() -> Vec<usize> {
    let mut points: Vec<usize> =
        CORE_MOVEMENTS.iter().flat_map(|m| skin_points(&m.measure)).collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// The skin points (both sides) only the regions twitches are looked for in read.
fn rest_points() -> Vec<usize> {
    let movements = flow_points();
    let both = REST_SKIN_POINTS.iter().flat_map(|&i| Side::BOTH.map(|side| on_side(i, side)));
    both.filter(|i| !movements.contains(i)).collect()
}

/// The landmarks (both sides) whose skin motion `measure` reads: none for a measure that
/// does not follow the skin.
fn skin_points(measure: &Measure) -> Vec<usize> {
    if !measure.follows_skin_motion() {
        return Vec::new();
    }
    measure.points().into_iter().flat_map(|i| Side::BOTH.map(|side| on_side(i, side))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
