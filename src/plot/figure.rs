//! The [`Figure`] type: SVG text with saving, PNG rasterisation and evcxr display.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The font embedded for PNG output (DejaVu Sans, Bitstream Vera licence, see
/// `assets/fonts/LICENSE-DejaVu.txt`).
#[cfg(feature = "png")]
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Smallest width or height of a figure, in pixels.
const MIN_SIZE: u32 = 64;

/// The drawing area of a figure being drawn.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for Error {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Error::Other(format!("drawing a figure: {e}"))
    }
}

/// A finished figure: standalone SVG text of `width × height` pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    svg: String,
    width: u32,
    height: u32,
}

/// Things drawn on top of plotters' output: raw SVG elements (embedded images).
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    elements: Vec<String>,
}

impl Overlay {
    /// Adds a raw SVG element.
    pub fn push(&mut self, element: String) {
        self.elements.push(element);
    }
}

impl Figure {
    /// Draws a `width × height` figure: `draw` gets the (white) root area and an overlay for
    /// raw elements, which end up on top of what plotters drew.
    pub(crate) fn render(
        width: u32,
        height: u32,
        draw: impl FnOnce(&Area, &mut Overlay) -> Result<()>,
    ) -> Result<Figure> {
        if width < MIN_SIZE || height < MIN_SIZE {
            return Err(Error::config(
                "figure size",
                format!("need at least {MIN_SIZE} × {MIN_SIZE} pixels, got {width} × {height}"),
            ));
        }
        let mut svg = String::new();
        let mut overlay = Overlay::default();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE)?;
            draw(&root, &mut overlay)?;
            root.present()?;
        }
        let end = svg
            .rfind("</svg>")
            .ok_or_else(|| Error::Other("plotters produced no closing </svg>".into()))?;
        svg.insert_str(end, &overlay.elements.concat());
        Ok(Figure { svg, width, height })
    }

    /// Reads an SVG file written by [`save`](Self::save) (e.g. the figures of `pdd eval`), to
    /// display it inline. Errors: unreadable file, no `<svg … width="W" height="H"` header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let svg = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let start = svg
            .find("<svg")
            .ok_or_else(|| Error::Other(format!("{}: not an SVG file", path.display())))?;
        let header = &svg[start..start + svg[start..].find('>').unwrap_or(svg.len() - start)];
        let attr = |name: &str| -> Option<u32> {
            let i = header.find(&format!(" {name}=\""))? + name.len() + 3;
            header[i..].split('"').next()?.trim_end_matches("px").parse().ok()
        };
        match (attr("width"), attr("height")) {
            (Some(width), Some(height)) => Ok(Figure { svg, width, height }),
            _ => Err(Error::Other(format!("{}: SVG without width/height", path.display()))),
        }
    }

    /// The SVG text.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The SVG text, by value.
    pub fn into_svg(self) -> String {
        self.svg
    }

    /// Size in pixels `(width, height)`.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Rasterises the figure to PNG bytes at `scale` × its pixel size (text in the embedded
    /// DejaVu Sans; no system font is used).
    #[cfg(feature = "png")]
    pub fn to_png(&self, scale: f32) -> Result<Vec<u8>> {
        use resvg::{tiny_skia, usvg};
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::config("png scale", format!("must be positive, got {scale}")));
        }
        let mut options = usvg::Options { font_family: "DejaVu Sans".into(), ..Default::default() };
        let db = options.fontdb_mut();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        let tree = usvg::Tree::from_str(&self.svg, &options)
            .map_err(|e| Error::Other(format!("parsing our own SVG: {e}")))?;
        let w = (self.width as f32 * scale).round() as u32;
        let h = (self.height as f32 * scale).round() as u32;
        let mut pixmap = tiny_skia::Pixmap::new(w, h)
            .ok_or_else(|| Error::Other(format!("cannot allocate a {w} × {h} image")))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
        pixmap.encode_png().map_err(|e| Error::Other(format!("encoding PNG: {e}")))
    }

    /// Writes the figure to `path`: PNG (2× resolution) if the extension is `png`, SVG
    /// otherwise. Refuses to overwrite an existing file ([`Error::Exists`]); see
    /// [`save_overwrite`](Self::save_overwrite). The file is written under a temporary name in
    /// the same directory and renamed when complete.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path.as_ref(), false)
    }

    /// Like [`save`](Self::save), replacing an existing file.
    pub fn save_overwrite(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path.as_ref(), true)
    }

    #[cfg(feature = "png")]
    fn png_for_file(&self) -> Result<Vec<u8>> {
        self.to_png(2.0)
    }

    #[cfg(not(feature = "png"))]
    fn png_for_file(&self) -> Result<Vec<u8>> {
        Err(Error::Other("PNG output needs pdd's `png` feature; save as .svg instead".into()))
    }

    fn save_with(&self, path: &Path, overwrite: bool) -> Result<()> {
        let is_png = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
        let bytes = if is_png { self.png_for_file()? } else { self.svg.as_bytes().to_vec() };
        crate::io::write_atomic(path, &bytes, overwrite)
    }

    /// Prints the figure in evcxr's rich-output protocol so it shows inline in a notebook:
    /// `EVCXR_BEGIN_CONTENT text/html`, the SVG, `EVCXR_END_CONTENT`.
    pub fn evcxr_display(&self) {
        println!("{}", self.evcxr_content());
    }

    /// The text [`evcxr_display`](Self::evcxr_display) prints.
    pub fn evcxr_content(&self) -> String {
        format!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.svg.trim_end())
    }
}

/// A compact tick label: `30` not `30.0`, `0.25`, `1e-4` for small or large magnitudes.
pub(crate) fn format_number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    }
}
