//! Bad and odd input: never a panic, a clear result or a clear error.

use facesym::io::read_rgb;
use facesym::landmarks::LandmarkError;
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

use crate::common::{self, face_image, scratch};

/// Blank, dark, bright and noise frames have no faces, and that is not an error.
#[test]
fn frames_without_faces_give_no_faces() {
    let mut landmarker = common::landmarker();
    let mut seed = 12345u32;
    let noise = RgbImage::from_fn(320, 240, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let v = (seed >> 16) as u8;
        Rgb([v, v.wrapping_mul(3), v.wrapping_mul(7)])
    });
    for (name, image) in [
        ("black", RgbImage::new(640, 480)),
        ("dark", RgbImage::from_pixel(640, 480, Rgb([6, 5, 8]))),
        ("white", RgbImage::from_pixel(480, 640, Rgb([255, 255, 255]))),
        ("noise", noise),
        ("one pixel", RgbImage::new(1, 1)),
    ] {
        assert!(landmarker.faces(&image).unwrap().is_empty(), "{name}");
    }
}

/// A 0×0 image is a clear error, not a panic.
#[test]
fn empty_image_is_an_error() {
    let err = common::landmarker().faces(&RgbImage::new(0, 0)).unwrap_err();
    assert!(matches!(err, LandmarkError::EmptyImage { .. }), "{err}");
}

/// Two faces in one frame give two results, each on its own face.
#[test]
fn two_faces_give_two_results() {
    let image = read_rgb(&face_image("two_faces.png")).unwrap();
    let faces = common::landmarker().faces(&image).unwrap();
    assert_eq!(faces.len(), 2);
    let mut centres: Vec<f32> =
        faces.iter().map(|f| (f.bounding_box()[0] + f.bounding_box()[2]) / 2.0).collect();
    centres.sort_by(f32::total_cmp);
    assert!(centres[0] < 400.0 && centres[1] > 400.0, "one face on each half: {centres:?}");
}

/// Grayscale input: decoded as one channel, repeated into RGB, and matching MediaPipe's
/// landmarks for the same grey image.
#[test]
fn grayscale_input() {
    let path = face_image("astronaut_gray.png");
    let decoded = image::open(&path).unwrap();
    assert!(matches!(decoded, DynamicImage::ImageLuma8(_)), "fixture is single-channel");
    common::assert_single_face_matches(&path, "astronaut_gray.png");
}

/// RGBA input (half-transparent): alpha is ignored, the result is MediaPipe's for the RGB
/// image.
#[test]
fn rgba_input() {
    let rgb = read_rgb(&face_image("astronaut.png")).unwrap();
    let rgba = RgbaImage::from_fn(rgb.width(), rgb.height(), |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0;
        Rgba([r, g, b, 128])
    });
    let path = scratch("rgba_input").join("astronaut_rgba.png");
    rgba.save(&path).unwrap();
    common::assert_single_face_matches(&path, "astronaut.png");
}

/// Corrupt, truncated, mislabelled and missing image files: errors that name the file.
#[test]
fn unreadable_image_files_name_the_file() {
    let dir = scratch("unreadable_image_files");
    let garbage = dir.join("garbage.png");
    std::fs::write(&garbage, b"this is not a png at all").unwrap();
    let truncated = dir.join("truncated.png");
    let bytes = std::fs::read(face_image("astronaut.png")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.png");
    for path in [&garbage, &truncated, &empty, &missing] {
        let err = read_rgb(path).unwrap_err().to_string();
        assert!(err.contains(&*path.to_string_lossy()), "{err}");
    }
    // Contents decide the format, not the name: a PNG called .jpg still reads.
    let renamed = dir.join("really_a_png.jpg");
    std::fs::write(&renamed, &bytes).unwrap();
    assert_eq!(read_rgb(&renamed).unwrap().dimensions(), (512, 512));
}
