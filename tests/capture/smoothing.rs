use facesym::analysis::smoothing::LandmarkSmoother;
use facesym::capture::{FrameSource, VideoFileSource};
use facesym::io::read_rgb;
use facesym::landmarks::{Landmarks, Tracker, TrackerOptions};
use image::RgbImage;

use crate::common::{self, face_image, make_video, scratch};

/// Mean over landmarks of the standard deviation of x and y over the frames, pixels.
fn jitter(frames: &[Landmarks]) -> f64 {
    let n = frames.len() as f64;
    let mut total = 0.0;
    for i in 0..frames[0].points().len() {
        for axis in 0..2 {
            let values: Vec<f64> = frames.iter().map(|l| f64::from(l[i][axis])).collect();
            let mean = values.iter().sum::<f64>() / n;
            total += (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        }
    }
    total / (frames[0].points().len() * 2) as f64
}

/// A still face filmed with sensor noise (±8 grey levels per pixel, new every frame), as a
/// 30-fps video: the One Euro filter at least halves the landmarks' shimmer.
#[test]
fn smoothing_halves_jitter_on_a_still_video() {
    let still = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let still = image::imageops::resize(&still, 320, 376, image::imageops::FilterType::Triangle);
    let mut seed = 99u32;
    let frames: Vec<RgbImage> = (0..60)
        .map(|_| {
            let mut f = still.clone();
            for p in f.pixels_mut() {
                for c in &mut p.0 {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let noise = ((seed >> 24) as i32 % 17) - 8;
                    *c = (i32::from(*c) + noise).clamp(0, 255) as u8;
                }
            }
            f
        })
        .collect();
    let path = scratch("still_video").join("still.mkv");
    make_video(&frames, 30, &path);
    let mut video = VideoFileSource::open(&path).unwrap();
    let mut tracker = Tracker::with_landmarker(common::landmarker(), TrackerOptions::default());
    let mut smoother = LandmarkSmoother::default();
    let (mut raw, mut smooth) = (Vec::new(), Vec::new());
    while let Some(frame) = video.next_frame().unwrap() {
        let face = tracker.track(&frame.image).unwrap().remove(0);
        let filtered = smoother.smooth(&face.landmarks, 1.0 / 30.0);
        // Skip the first second, while the filter settles.
        if frame.seq >= 30 {
            raw.push(face.landmarks);
            smooth.push(filtered);
        }
    }
    let (raw_jitter, smooth_jitter) = (jitter(&raw), jitter(&smooth));
    eprintln!("jitter: raw {raw_jitter:.3} px, smoothed {smooth_jitter:.3} px");
    assert!(raw_jitter > 0.0, "the noise must move the landmarks for this test to mean anything");
    assert!(
        smooth_jitter < 0.5 * raw_jitter,
        "raw {raw_jitter:.3} px, smoothed {smooth_jitter:.3} px"
    );
}
