//! Reading images from disk.

use std::path::{Path, PathBuf};

use image::RgbImage;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened.
    #[error("cannot open image {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The image is larger than facesym reads (said before anything is allocated for it).
    #[error("{path} is {width}x{height}, larger than facesym reads (at most {max_side} pixels a side and {max_mp:.1} million pixels)", max_side = crate::capture::MAX_FRAME_SIDE, max_mp = crate::capture::MAX_FRAME_PIXELS as f64 / 1e6)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its declared size.
        width: u32,
        /// Its declared size.
        height: u32,
    },
    /// The file is not an image we can decode, or it is damaged.
    #[error("cannot decode image {path}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: image::ImageError,
    },
}

/// Reads a PNG or JPEG (format taken from the contents, not the name) as 8-bit RGB; one
/// declaring more than [`MAX_FRAME_SIDE`](crate::capture::MAX_FRAME_SIDE) pixels a side or
/// [`MAX_FRAME_PIXELS`](crate::capture::MAX_FRAME_PIXELS) in all is refused unread.
pub fn read_rgb(path: &Path) -> Result<RgbImage, ReadError> {
    let open = |source| ReadError::Open { path: path.to_owned(), source };
    let decode_error = |source| ReadError::Decode { path: path.to_owned(), source };
    let reader = || -> Result<_, ReadError> {
        image::ImageReader::open(path).map_err(open)?.with_guessed_format().map_err(open)
    };
    // The size the file declares, checked before its pixels are allocated.
    let (width, height) = reader()?.into_dimensions().map_err(decode_error)?;
    if crate::capture::check_frame_size(width, height).is_err() {
        return Err(ReadError::TooLarge { path: path.to_owned(), width, height });
    }
    let image = reader()?.decode().map_err(decode_error)?;
    Ok(rgb_from_dynamic(image))
}

/// The PNG and JPEG files in `dir`, sorted by name.
pub fn image_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// Any decoded image as 8-bit RGB: grey is repeated into the three channels, alpha dropped,
/// 16-bit and float images rescaled.
pub fn rgb_from_dynamic(image: image::DynamicImage) -> RgbImage {
    match image {
        image::DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    }
}
