//! The face frame: head pose removed, landmarks in face coordinates with the inter-ocular
//! distance (IOD) as the unit.
//!
//! A similarity transform (rotation, scale, translation) is fitted in 3-D from a template of
//! landmarks that expression barely moves, the nasion and nasal bridge (over the nasal bones
//! and upper cartilage) and the inner eye corners (held by the medial canthal tendons to the
//! bone). Forehead points are left out: the frontalis lifts the forehead skin with the brows.
//! Outer eye corners are left out: they move with eye closure and smiling.
//!
//! Face coordinates: origin between the inner eye corners, x towards the subject's left, y
//! down, z away from the camera (MediaPipe's convention, smaller is nearer), unit 1 IOD
//! (distance between the eye centres, each the midpoint of its eye corners). The facial
//! midline is the plane x = 0.

use crate::landmarks::{Landmarks, NUM_LANDMARKS};

use super::landmarks_map::{INNER_EYE_CORNER_RIGHT, MIRROR, NASAL_BRIDGE, NASION};

/// Frames whose head is turned further than this, left or right, are flagged, not scored.
/// Beyond about 15° the far cheek and mouth corner are foreshortened and partly hidden, and the
/// mesh's estimate of their depth drives the comparison; clinical grading photographs
/// (Sunnybrook, eFACE) are frontal for the same reason.
pub const MAX_YAW_DEG: f64 = 15.0;
/// Frames whose head is tilted up or down further than this are flagged. Pitch shortens both
/// sides alike, so it is allowed a little more than yaw; beyond 20° the brows and upper lids
/// (chin down) or the lips (chin up) are seen too obliquely.
pub const MAX_PITCH_DEG: f64 = 20.0;
/// Skin-motion frames whose head has turned (yaw) or tilted (pitch) further than this from
/// where it was when the neutral face was taken are flagged, not scored. Skin motion takes a
/// small turn out (`flow::head_motion`): on turned copies of the test faces, 6° left every
/// still face below 0.03 IOD (the face mesh reads those turns as 3–7°), but on real footage
/// a turn of 12° left 0.18 IOD of phantom cheek movement (docs/validation.md, "Head turns").
/// The mesh's own pose moves by up to 2° with expressions, so this is well above its noise.
pub const MAX_TURN_FROM_NEUTRAL_DEG: f64 = 8.0;
/// Faces whose inter-ocular distance is below this many image pixels are flagged "too
/// small": the movements measured are a few pixels there. The test portraits shrunk to 50
/// and 52 px between the eyes still recover their known one-sided movements within ±0.08;
/// on the 43-px astronaut fixture a 0.15-IOD brow lift (6 px) was not recovered
/// (docs/validation.md, "Faces with little detail"). A webcam face at arm's length is 45–90
/// px between the eyes at 640×480.
pub const MIN_IOD_PX: f64 = 45.0;
/// A template fit whose root-mean-square residual exceeds this (IOD) means the landmarks are
/// not a plausible face: measured residuals on real faces are 0.02–0.04.
pub const MAX_FIT_RESIDUAL_IOD: f64 = 0.12;

/// Template landmarks (index, face coordinates in IOD): the mean of three frontal portraits'
/// MediaPipe landmarks (tests/data/faces), made exactly symmetric. `tests/symmetry/frame.rs`
/// re-derives it from the fixtures.
pub const TEMPLATE: [(usize, [f64; 3]); 6] = [
    (NASION, [0.0, -0.0765, -0.2823]),
    (NASAL_BRIDGE[0], [0.0, 0.0365, -0.3545]),
    (NASAL_BRIDGE[1], [0.0, 0.1511, -0.4344]),
    (NASAL_BRIDGE[2], [0.0, 0.2587, -0.5233]),
    (INNER_EYE_CORNER_RIGHT, [-0.278, 0.0, 0.0]),
    (MIRROR[INNER_EYE_CORNER_RIGHT], [0.278, 0.0, 0.0]),
];

/// A 3-vector.
pub type Vec3 = [f64; 3];

/// Head pose relative to a frontal, level face, degrees.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct HeadPose {
    /// Turn about the vertical axis; positive when the face turns towards the image's right.
    pub yaw_deg: f64,
    /// Tilt about the horizontal axis; positive chin up.
    pub pitch_deg: f64,
    /// Rotation in the image plane; positive clockwise on screen.
    pub roll_deg: f64,
}

/// Why a frame is not scored.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "flag")]
pub enum FrameFlag {
    /// The head is turned too far (see [`MAX_YAW_DEG`]).
    TooMuchYaw {
        /// Measured yaw.
        yaw_deg: f64,
    },
    /// The head is tilted too far (see [`MAX_PITCH_DEG`]).
    TooMuchPitch {
        /// Measured pitch.
        pitch_deg: f64,
    },
    /// No face was found in the frame.
    NoFace,
    /// Some landmark is NaN or infinite.
    InvalidLandmarks,
    /// The face is too small in the image (see [`MIN_IOD_PX`]).
    FaceTooSmall {
        /// Measured inter-ocular distance, pixels.
        iod_px: f64,
    },
    /// The stable landmarks do not fit the template (see [`MAX_FIT_RESIDUAL_IOD`]).
    ImplausibleShape {
        /// Root-mean-square fit residual, IOD.
        residual_iod: f64,
    },
    /// The head has turned or tilted away from where it was when the neutral face was taken,
    /// further than skin motion can take out (see [`MAX_TURN_FROM_NEUTRAL_DEG`]).
    TurnedFromNeutral {
        /// Yaw now minus yaw at the neutral.
        yaw_deg: f64,
        /// Pitch now minus pitch at the neutral.
        pitch_deg: f64,
    },
}

impl FrameFlag {
    /// What kind of reason this is, in a few words, for counting frames by it.
    pub fn kind(&self) -> &'static str {
        match self {
            FrameFlag::TooMuchYaw { .. } => "head turned too far",
            FrameFlag::TooMuchPitch { .. } => "head tilted too far",
            FrameFlag::NoFace => "no face",
            FrameFlag::InvalidLandmarks => "landmarks not valid numbers",
            FrameFlag::FaceTooSmall { .. } => "face too small",
            FrameFlag::ImplausibleShape { .. } => "landmarks not like a face",
            FrameFlag::TurnedFromNeutral { .. } => "head turned away from the neutral's pose",
        }
    }
}

/// Every flag's sentence, joined by "; ": how a list of reasons is said everywhere.
pub fn describe_flags(flags: &[FrameFlag]) -> String {
    flags.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl std::fmt::Display for FrameFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameFlag::TooMuchYaw { yaw_deg } => {
                write!(f, "head turned {yaw_deg:.0}° (more than {MAX_YAW_DEG}°): face the camera")
            }
            FrameFlag::TooMuchPitch { pitch_deg } => write!(
                f,
                "head tilted {pitch_deg:.0}° (more than {MAX_PITCH_DEG}°): level your head"
            ),
            FrameFlag::FaceTooSmall { iod_px } => write!(
                f,
                "face too small ({iod_px:.0} px between the eyes, at least {MIN_IOD_PX}): come closer"
            ),
            FrameFlag::NoFace => write!(f, "no face found"),
            FrameFlag::InvalidLandmarks => write!(f, "landmarks are not valid numbers"),
            FrameFlag::ImplausibleShape { residual_iod } => {
                write!(f, "landmarks do not look like a face (fit residual {residual_iod:.2} IOD)")
            }
            FrameFlag::TurnedFromNeutral { yaw_deg, pitch_deg } => {
                let (how, by) = if yaw_deg.abs() >= pitch_deg.abs() {
                    ("turned", yaw_deg)
                } else {
                    ("tilted", pitch_deg)
                };
                write!(
                    f,
                    "head {how} {:.0}° away from where it was for the neutral face (more than \
                     {MAX_TURN_FROM_NEUTRAL_DEG}°): face the camera as you did then",
                    by.abs()
                )
            }
        }
    }
}

/// The face frame of one set of landmarks.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceFrame {
    /// Columns are the face's x, y, z axes in image coordinates (pixels, z on x's scale).
    pub rotation: [[f64; 3]; 3],
    /// Image pixels per IOD.
    pub px_per_iod: f64,
    /// Image position of the face origin.
    pub origin: Vec3,
    /// Head pose.
    pub pose: HeadPose,
    /// Root-mean-square distance between the fitted template and the landmarks, IOD.
    pub residual_iod: f64,
    /// Every landmark in face coordinates (IOD).
    pub landmarks: Vec<Vec3>,
}

impl FaceFrame {
    /// Fits the face frame to `landmarks`; `Err` with the reason when the landmarks cannot be
    /// put in a face frame at all (pose flags are checked separately, [`FaceFrame::flags`]).
    pub fn fit(landmarks: &Landmarks) -> Result<FaceFrame, FrameFlag> {
        let points: Vec<Vec3> = landmarks.points().iter().map(|p| p.map(f64::from)).collect();
        Self::fit_points(&points)
    }

    /// [`FaceFrame::fit`] on raw image-space points (468 of them).
    pub fn fit_points(points: &[Vec3]) -> Result<FaceFrame, FrameFlag> {
        if points.len() != NUM_LANDMARKS || points.iter().flatten().any(|v| !v.is_finite()) {
            return Err(FrameFlag::InvalidLandmarks);
        }
        let template: Vec<Vec3> = TEMPLATE.iter().map(|(_, p)| *p).collect();
        let observed: Vec<Vec3> = TEMPLATE.iter().map(|(i, _)| points[*i]).collect();
        let fit = similarity_fit(&template, &observed).ok_or(FrameFlag::InvalidLandmarks)?;
        let residual_iod = fit.rms_residual / fit.scale;
        if !residual_iod.is_finite() || residual_iod > MAX_FIT_RESIDUAL_IOD {
            return Err(FrameFlag::ImplausibleShape { residual_iod });
        }
        let r = fit.rotation;
        let face = points
            .iter()
            .map(|p| {
                let d = sub(*p, fit.translation);
                // Rᵀ·d / scale.
                [0, 1, 2].map(|axis| (0..3).map(|k| r[k][axis] * d[k]).sum::<f64>() / fit.scale)
            })
            .collect();
        Ok(FaceFrame {
            rotation: r,
            px_per_iod: fit.scale,
            origin: fit.translation,
            pose: pose_from_rotation(&r),
            residual_iod,
            landmarks: face,
        })
    }

    /// Pose flags: empty when the frame can be scored.
    pub fn flags(&self) -> Vec<FrameFlag> {
        let mut flags = Vec::new();
        if self.pose.yaw_deg.abs() > MAX_YAW_DEG {
            flags.push(FrameFlag::TooMuchYaw { yaw_deg: self.pose.yaw_deg });
        }
        if self.pose.pitch_deg.abs() > MAX_PITCH_DEG {
            flags.push(FrameFlag::TooMuchPitch { pitch_deg: self.pose.pitch_deg });
        }
        if self.px_per_iod < MIN_IOD_PX {
            flags.push(FrameFlag::FaceTooSmall { iod_px: self.px_per_iod });
        }
        flags
    }

    /// Face coordinates of an image position (x, y in pixels, z on x's scale).
    pub fn face_from_image(&self, p: Vec3) -> Vec3 {
        let d = sub(p, self.origin);
        let r = self.rotation;
        [0, 1, 2].map(|axis| (0..3).map(|k| r[k][axis] * d[k]).sum::<f64>() / self.px_per_iod)
    }

    /// Image position of a point given in face coordinates.
    pub fn image_from_face(&self, q: Vec3) -> Vec3 {
        let r = self.rotation;
        [0, 1, 2].map(|row| {
            self.origin[row] + self.px_per_iod * (0..3).map(|k| r[row][k] * q[k]).sum::<f64>()
        })
    }
}

/// Yaw, pitch and roll of a face whose axes (columns of `r`) are given in image coordinates.
fn pose_from_rotation(r: &[[f64; 3]; 3]) -> HeadPose {
    // Face z axis (into the head) and x axis, in image coordinates.
    let z = [r[0][2], r[1][2], r[2][2]];
    let x = [r[0][0], r[1][0], r[2][0]];
    HeadPose {
        yaw_deg: z[0].atan2(z[2]).to_degrees(),
        pitch_deg: z[1].atan2(z[0].hypot(z[2])).to_degrees(),
        roll_deg: x[1].atan2(x[0]).to_degrees(),
    }
}

/// A fitted similarity transform: `observed ≈ scale · rotation · template + translation`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimilarityFit {
    /// Rotation matrix (row-major).
    pub rotation: [[f64; 3]; 3],
    /// Scale factor.
    pub scale: f64,
    /// Translation.
    pub translation: Vec3,
    /// Root-mean-square residual, in observed units.
    pub rms_residual: f64,
}

/// Least-squares similarity from `template` to `observed` (Horn's quaternion method: the
/// rotation is the top eigenvector of a 4×4 symmetric matrix). `None` when degenerate.
pub fn similarity_fit(template: &[Vec3], observed: &[Vec3]) -> Option<SimilarityFit> {
    let n = template.len();
    if n < 3 || observed.len() != n {
        return None;
    }
    let mean = |pts: &[Vec3]| {
        let s = pts.iter().fold([0.0; 3], |a, p| add(a, *p));
        s.map(|v| v / n as f64)
    };
    let (ca, cb) = (mean(template), mean(observed));
    let a: Vec<Vec3> = template.iter().map(|p| sub(*p, ca)).collect();
    let b: Vec<Vec3> = observed.iter().map(|p| sub(*p, cb)).collect();
    // Cross-covariance S[i][j] = Σ a_i b_j.
    let mut s = [[0.0; 3]; 3];
    for (p, q) in a.iter().zip(&b) {
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += p[i] * q[j];
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let nmat = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let q = top_eigenvector(nmat)?;
    let rotation = rotation_from_quaternion(q);
    let rotated: Vec<Vec3> = a.iter().map(|p| mat_vec(&rotation, *p)).collect();
    let norm_a: f64 = a.iter().map(|p| dot(*p, *p)).sum();
    if norm_a <= 0.0 {
        return None;
    }
    let scale = rotated.iter().zip(&b).map(|(p, q)| dot(*p, *q)).sum::<f64>() / norm_a;
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    let translation = sub(cb, mat_vec(&rotation, ca).map(|v| v * scale));
    let sq: f64 = rotated
        .iter()
        .zip(&b)
        .map(|(p, q)| {
            let d = sub(p.map(|v| v * scale), *q);
            dot(d, d)
        })
        .sum();
    Some(SimilarityFit { rotation, scale, translation, rms_residual: (sq / n as f64).sqrt() })
}

/// Eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi).
fn top_eigenvector(mut m: [[f64; 4]; 4]) -> Option<[f64; 4]> {
    let mut v =
        [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
    for _sweep in 0..50 {
        let off: f64 = (0..4)
            .flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i][j] * m[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if m[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in &mut m {
                    let (mkp, mkq) = (row[p], row[q]);
                    row[p] = c * mkp - s * mkq;
                    row[q] = s * mkp + c * mkq;
                }
                let (upper, lower) = m.split_at_mut(q);
                for (mpk, mqk) in upper[p].iter_mut().zip(lower[0].iter_mut()) {
                    let (a, b) = (*mpk, *mqk);
                    *mpk = c * a - s * b;
                    *mqk = s * a + c * b;
                }
                for row in &mut v {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let best = (0..4).max_by(|&a, &b| m[a][a].total_cmp(&m[b][b]))?;
    let e = [v[0][best], v[1][best], v[2][best], v[3][best]];
    let norm = e.iter().map(|x| x * x).sum::<f64>().sqrt();
    (norm > 0.0 && norm.is_finite()).then(|| e.map(|x| x / norm))
}

fn rotation_from_quaternion([w, x, y, z]: [f64; 4]) -> [[f64; 3]; 3] {
    [
        [w * w + x * x - y * y - z * z, 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), w * w - x * x + y * y - z * z, 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), w * w - x * x - y * y + z * z],
    ]
}

fn mat_vec(m: &[[f64; 3]; 3], v: Vec3) -> Vec3 {
    [0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2])
}

pub(crate) fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(crate) fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot_z(deg: f64) -> [[f64; 3]; 3] {
        let (s, c) = deg.to_radians().sin_cos();
        [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
    }

    fn rot_y(deg: f64) -> [[f64; 3]; 3] {
        let (s, c) = deg.to_radians().sin_cos();
        [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
    }

    fn mat_mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
    }

    /// A known similarity is recovered exactly from noiseless points.
    #[test]
    fn similarity_fit_recovers_a_known_transform() {
        let template: Vec<Vec3> = TEMPLATE.iter().map(|(_, p)| *p).collect();
        let r = mat_mul(&rot_z(20.0), &rot_y(-10.0));
        let observed: Vec<Vec3> = template
            .iter()
            .map(|p| add(mat_vec(&r, *p).map(|v| v * 85.0), [300.0, 200.0, 7.0]))
            .collect();
        let fit = similarity_fit(&template, &observed).unwrap();
        assert!((fit.scale - 85.0).abs() < 1e-9);
        assert!(fit.rms_residual < 1e-9);
        let fitted = fit.rotation.iter().flatten();
        assert!(fitted.zip(r.iter().flatten()).all(|(a, b)| (a - b).abs() < 1e-9));
        let pose = pose_from_rotation(&fit.rotation);
        assert!((pose.roll_deg - 20.0).abs() < 1e-6, "{pose:?}");
    }

    /// Pure yaw and pure roll read back as themselves, with the documented signs.
    #[test]
    fn pose_signs() {
        let yawed = pose_from_rotation(&rot_y(12.0));
        assert!((yawed.yaw_deg - 12.0).abs() < 1e-9 && yawed.roll_deg.abs() < 1e-9);
        let rolled = pose_from_rotation(&rot_z(-30.0));
        assert!((rolled.roll_deg + 30.0).abs() < 1e-9 && rolled.yaw_deg.abs() < 1e-9);
    }

    #[test]
    fn degenerate_input_is_rejected() {
        assert!(similarity_fit(&[[0.0; 3]; 3], &[[1.0; 3]; 3]).is_none());
        assert_eq!(
            FaceFrame::fit_points(&vec![[f64::NAN; 3]; NUM_LANDMARKS]),
            Err(FrameFlag::InvalidLandmarks)
        );
        assert!(FaceFrame::fit_points(&vec![[1.0; 3]; NUM_LANDMARKS]).is_err());
    }
}
