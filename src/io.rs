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

/// A file being written in full beside its target and put in place only when done
/// ([`PrivateFile::commit`]): readable by its owner only (0600), whether new or replacing; the
/// old file stays whole if the writing fails or is interrupted; a symbolic link is never
/// written through. Dropped without commit, the partial file is removed; one left by a killed
/// run is removed when the same file is next written.
pub struct PrivateFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<std::fs::File>,
}

/// Why an output file cannot be written where it was asked for.
fn refuse(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::other(format!("{}: {why}", path.display()))
}

impl PrivateFile {
    /// Starts writing `target`: a temporary file in the same folder, created private. Fails
    /// when `target` is a symbolic link or a folder.
    pub fn create(target: &Path) -> std::io::Result<Self> {
        match std::fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(
                    target,
                    "is a symbolic link; facesym does not write through links",
                ));
            }
            Ok(meta) if meta.is_dir() => return Err(refuse(target, "is a folder")),
            _ => {}
        }
        let name = target.file_name().ok_or_else(|| refuse(target, "names no file"))?;
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        remove_stale_partials(&folder, name);
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}-{n}.partial", std::process::id()));
        let temp = folder.join(temp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp)?;
        Ok(Self { target: target.to_path_buf(), temp, file: Some(file) })
    }

    /// The file being written (its final name).
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Puts the finished file in place of the target (flushed to disk first).
    pub fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("a file until committed");
        file.sync_all()?;
        drop(file);
        // A link put there since `create` is replaced, not followed.
        std::fs::rename(&self.temp, &self.target)
    }
}

impl std::io::Write for PrivateFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("a file until committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("a file until committed").flush()
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Removes what an interrupted run left of a file named `name` in `folder`: its partial files
/// whose process is gone (on Linux, where that can be told from /proc).
fn remove_stale_partials(folder: &Path, name: &std::ffi::OsStr) {
    let proc = Path::new("/proc/self");
    let (Some(name), true) = (name.to_str(), proc.exists()) else { return };
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        let Some((pid, _)) = rest.strip_suffix(".partial").and_then(|r| r.split_once('-')) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path` as a [`PrivateFile`]: private, in place only once whole.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = PrivateFile::create(path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.commit()
}

/// Writes `image` to `path` as a PNG [`PrivateFile`]: faces are health data.
pub fn write_png_private(path: &Path, image: &RgbImage) -> std::io::Result<()> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    write_private(path, bytes.get_ref())
}

/// Creates `dir` (and its parents) readable by its owner only (0700), if it is not there.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("facesym-io-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    }

    /// Replacing a file readable by everyone leaves one readable by its owner only; until the
    /// commit the old file is whole, and a write dropped unfinished leaves it so, with no
    /// partial file behind.
    #[cfg(unix)]
    #[test]
    fn outputs_are_private_and_whole() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("whole");
        let target = dir.join("out.csv");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = PrivateFile::create(&target).unwrap();
        file.write_all(b"new, half").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        drop(file);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert!(leftovers(&dir).is_empty());
        write_private(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(leftovers(&dir).is_empty());
        create_private_dir(&dir.join("a/b")).unwrap();
        let mode = std::fs::metadata(dir.join("a/b")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    /// A symbolic link, even to a file that may be written, is refused, and neither the link
    /// nor the file it points to changes; so is a folder.
    #[cfg(unix)]
    #[test]
    fn links_are_not_written_through() {
        let dir = scratch("links");
        let real = dir.join("real.txt");
        std::fs::write(&real, b"keep").unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = write_private(&link, b"x").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&real).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(write_private(&dir, b"x").unwrap_err().to_string().contains("is a folder"));
        assert!(leftovers(&dir).is_empty());
    }
}
