//! Golden files: bytes or PNG pictures a test's output must match. `UPDATE_GOLDEN=1` rewrites
//! them, and that run still fails, so nothing stale passes silently: review, then run again.

use std::path::Path;

/// Whether this run rewrites golden files.
pub fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

/// Compares `actual` with the file at `path`; with `UPDATE_GOLDEN` rewrites it and fails.
pub fn bytes(path: &Path, actual: &[u8]) -> Result<(), String> {
    if updating() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, actual).map_err(|e| e.to_string())?;
        return Err(format!(
            "{} rewritten (UPDATE_GOLDEN set): review it, then run again without UPDATE_GOLDEN",
            path.display()
        ));
    }
    let expected = std::fs::read(path)
        .map_err(|e| format!("{}: {e}; create it with UPDATE_GOLDEN=1", path.display()))?;
    if expected != actual {
        let ext = path
            .extension()
            .map_or(String::new(), |e| e.to_string_lossy().into_owned());
        let bad = path.with_extension(format!("actual.{ext}"));
        std::fs::write(&bad, actual).map_err(|e| e.to_string())?;
        return Err(format!(
            "{} differs from the golden file ({} vs {} bytes); actual written to {}",
            path.display(),
            actual.len(),
            expected.len(),
            bad.display()
        ));
    }
    Ok(())
}

/// Compares the PNG `actual` with the PNG at `path` by its pixels (size, colour type and every
/// pixel exactly), not by its compressed bytes: the same picture may compress differently as
/// the deflate backend changes. `UPDATE_GOLDEN` rewrites it and fails.
pub fn png_exact(path: &Path, actual: &[u8]) -> Result<(), String> {
    if updating() {
        return bytes(path, actual);
    }
    let expected = std::fs::read(path)
        .map_err(|e| format!("{}: {e}; create it with UPDATE_GOLDEN=1", path.display()))?;
    let decode = |b: &[u8]| -> Result<(u32, u32, png::ColorType, Vec<u8>), String> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(b));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut r = dec.read_info().map_err(|e| e.to_string())?;
        let mut buf = vec![0; r.output_buffer_size().unwrap_or(0)];
        let info = r.next_frame(&mut buf).map_err(|e| e.to_string())?;
        buf.truncate(info.buffer_size());
        Ok((info.width, info.height, info.color_type, buf))
    };
    let want = decode(&expected).map_err(|e| format!("{}: {e}", path.display()))?;
    let got = decode(actual).map_err(|e| format!("the picture for {}: {e}", path.display()))?;
    if want != got {
        let bad = path.with_extension("actual.png");
        std::fs::write(&bad, actual).map_err(|e| e.to_string())?;
        return Err(format!(
            "{} differs from the golden picture ({}x{} vs {}x{}, or its pixels); actual written to {}",
            path.display(),
            got.0,
            got.1,
            want.0,
            want.1,
            bad.display()
        ));
    }
    Ok(())
}

/// An RGB picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, rows top to bottom.
    pub pixels: Vec<u8>,
}

impl Rgb {
    /// PNG bytes.
    pub fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().expect("PNG header");
            w.write_image_data(&self.pixels).expect("PNG data");
        }
        out
    }

    /// Reads a PNG file (RGB or RGBA, 8 bits; alpha dropped).
    pub fn load(path: &Path) -> Result<Rgb, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("{}: {e}; create it with UPDATE_GOLDEN=1", path.display()))?;
        Rgb::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Decodes PNG bytes (RGB or RGBA, 8 bits; alpha dropped), e.g. a browser's screenshot.
    pub fn decode(png_bytes: &[u8]) -> Result<Rgb, String> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0; dec.output_buffer_size().unwrap_or(0)];
        let info = dec.next_frame(&mut buf).map_err(|e| e.to_string())?;
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => return Err(format!("unsupported PNG colour {other:?}")),
        };
        let pixels = buf[..info.buffer_size()]
            .chunks(channels)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok(Rgb {
            width: info.width,
            height: info.height,
            pixels,
        })
    }
}

/// How far a picture may stray from its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// A pixel differs when a channel is further off than this (anti-aliasing noise is less).
    pub channel: u8,
    /// The share of pixels that may differ (0.002 = 0.2 %).
    pub share: f64,
}

/// Compares `actual` with the PNG at `path`: equal size, and at most `tol.share` of pixels
/// differing. A mismatch writes `NAME.actual.png` beside it. With `UPDATE_GOLDEN` rewrites the
/// file and fails.
pub fn picture(path: &Path, actual: &Rgb, tol: Tolerance) -> Result<(), String> {
    if updating() {
        return bytes(path, &actual.png());
    }
    let expected = Rgb::load(path)?;
    let differing = if (expected.width, expected.height) == (actual.width, actual.height) {
        expected
            .pixels
            .chunks(3)
            .zip(actual.pixels.chunks(3))
            .filter(|(a, b)| {
                a.iter()
                    .zip(b.iter())
                    .any(|(x, y)| x.abs_diff(*y) > tol.channel)
            })
            .count()
    } else {
        usize::MAX
    };
    let total = (u64::from(actual.width) * u64::from(actual.height)).max(1) as f64;
    if differing as f64 / total > tol.share {
        let bad = path.with_extension("actual.png");
        std::fs::write(&bad, actual.png()).map_err(|e| e.to_string())?;
        return Err(format!(
            "{}: differs from its reference ({} pixels of {}x{} vs {}x{}, allowed {:.2} %); actual in {}",
            path.display(),
            if differing == usize::MAX {
                "size".to_string()
            } else {
                differing.to_string()
            },
            actual.width,
            actual.height,
            expected.width,
            expected.height,
            tol.share * 100.0,
            bad.display()
        ));
    }
    Ok(())
}

/// Checks every golden comparison and fails once, listing them all (so one run rewrites every
/// file under `UPDATE_GOLDEN`).
pub fn assert_all(results: impl IntoIterator<Item = Result<(), String>>) {
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(
        failures.is_empty(),
        "golden files:\n{}",
        failures.join("\n")
    );
}
