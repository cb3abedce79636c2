//! Heat-map cells as a PNG image embedded in the SVG (one pixel per cell, no smoothing).

use super::colormap::ColorScale;
use crate::error::{Error, Result};
use std::ops::Range;

/// An SVG `<image>` element that shows `values` (`rows × cols`, row-major, **row 0 at the
/// bottom**) coloured by `scale`, stretched over the pixel rectangle `x × y`.
pub(crate) fn image_element(
    values: &[f64],
    rows: usize,
    cols: usize,
    scale: &ColorScale,
    x: Range<i32>,
    y: Range<i32>,
) -> Result<String> {
    if values.len() != rows * cols || rows == 0 || cols == 0 {
        return Err(Error::shape("heat map cells", format!("{rows} × {cols} > 0"), values.len()));
    }
    let size = tiny_skia::IntSize::from_wh(cols as u32, rows as u32)
        .ok_or_else(|| Error::Other("heat map too large".into()))?;
    let mut rgba = Vec::with_capacity(rows * cols * 4);
    for r in (0..rows).rev() {
        for &v in &values[r * cols..(r + 1) * cols] {
            let [red, green, blue] = if v.is_finite() { scale.rgb(v) } else { [128, 128, 128] };
            rgba.extend_from_slice(&[red, green, blue, 255]);
        }
    }
    let png = tiny_skia::Pixmap::from_vec(rgba, size)
        .ok_or_else(|| Error::Other("heat map pixmap".into()))?
        .encode_png()
        .map_err(|e| Error::Other(format!("encoding heat map PNG: {e}")))?;
    Ok(format!(
        "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" \
         image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" \
         href=\"data:image/png;base64,{}\"/>\n",
        x.start,
        y.start,
        x.end - x.start,
        y.end - y.start,
        base64(&png)
    ))
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }
}
