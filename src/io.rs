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
    /// The file is not an image we can decode, or it is damaged.
    #[error("cannot decode image {path}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: image::ImageError,
    },
}

/// Reads a PNG or JPEG (format taken from the contents, not the name) as 8-bit RGB.
pub fn read_rgb(path: &Path) -> Result<RgbImage, ReadError> {
    let open = |source| ReadError::Open { path: path.to_owned(), source };
    let reader =
        image::ImageReader::open(path).map_err(open)?.with_guessed_format().map_err(open)?;
    let image =
        reader.decode().map_err(|source| ReadError::Decode { path: path.to_owned(), source })?;
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
