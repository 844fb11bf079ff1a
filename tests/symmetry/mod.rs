mod detail;
mod frame;
mod head_turn;
mod invariance;
mod known_movement;
mod mirror;
mod one_movement;
mod squeezed_eye;
mod unfollowed;

use facesym::landmarks::Landmarks;
use facesym::symmetry::FaceFrame;
use image::imageops::blur;
use image::{Rgb, RgbImage};

/// `image` with the skin within `radius_iod` IOD of the landmarks `points` smoothed: a copy
/// blurred by `blur_iod` IOD, blended in over the last 0.06 IOD.
pub fn smoothed_around(
    image: &RgbImage,
    landmarks: &Landmarks,
    points: &[usize],
    radius_iod: f32,
    blur_iod: f32,
) -> RgbImage {
    let frame = FaceFrame::fit(landmarks).expect("frame");
    let px_per_iod = frame.px_per_iod as f32;
    let blurred = blur(image, blur_iod * px_per_iod);
    let all = landmarks.points();
    let centres: Vec<[f32; 2]> = points.iter().map(|&i| [all[i][0], all[i][1]]).collect();
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let d = centres
            .iter()
            .map(|c| (x as f32 - c[0]).hypot(y as f32 - c[1]) / px_per_iod)
            .fold(f32::INFINITY, f32::min);
        let t = ((radius_iod + 0.06 - d) / 0.06).clamp(0.0, 1.0);
        let (a, b) = (blurred.get_pixel(x, y).0, image.get_pixel(x, y).0);
        Rgb(std::array::from_fn(|k| (f32::from(a[k]) * t + f32::from(b[k]) * (1.0 - t)) as u8))
    })
}
