//! Vietnamese text drawn on the host: the shipped Noto Sans fonts rasterised through
//! embedded-graphics into any `DrawTarget`, and a 1-bit [`Bitmap`] for thermal printers.
//!
//! Printers have no portable Vietnamese code page (NOTES.md), so every Vietnamese line is sent as
//! a picture. The same drawing code feeds the board's frames.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::{BinaryColor, Rgb888, RgbColor};
use embedded_graphics::prelude::*;

/// Noto Sans Regular, shipped (the server also serves it to browser screens).
pub static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold, shipped.
pub static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");

static REGULAR: LazyLock<FontRef<'static>> =
    LazyLock::new(|| FontRef::try_from_slice(REGULAR_TTF).expect("shipped Noto Sans Regular"));
static BOLD: LazyLock<FontRef<'static>> =
    LazyLock::new(|| FontRef::try_from_slice(BOLD_TTF).expect("shipped Noto Sans Bold"));

/// The two shipped faces (assets/fonts, SIL Open Font License 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Noto Sans Regular.
    Regular,
    /// Noto Sans Bold.
    Bold,
}

impl Face {
    fn font(self) -> &'static FontRef<'static> {
        match self {
            Face::Regular => &REGULAR,
            Face::Bold => &BOLD,
        }
    }

    /// Whether the face has a real glyph for `c` (not the missing-glyph box).
    pub fn covers(self, c: char) -> bool {
        self.font().glyph_id(c) != GlyphId(0)
    }
}

/// A colour that anti-aliased glyph coverage can be drawn in.
pub trait Ink: PixelColor {
    /// The colour of a pixel `coverage` (0..=1) covered by `fg` over `bg`; `None` leaves it alone.
    fn mix(fg: Self, bg: Self, coverage: f32) -> Option<Self>;
}

impl Ink for BinaryColor {
    fn mix(fg: Self, _bg: Self, coverage: f32) -> Option<Self> {
        // Thermal heads print a dot or nothing: threshold at half coverage.
        (coverage >= 0.5).then_some(fg)
    }
}

impl Ink for Rgb888 {
    fn mix(fg: Self, bg: Self, coverage: f32) -> Option<Self> {
        if coverage <= 0.0 {
            return None;
        }
        let c = coverage.min(1.0);
        let m = |f: u8, b: u8| (f32::from(b) + (f32::from(f) - f32::from(b)) * c).round() as u8;
        Some(Rgb888::new(
            m(fg.r(), bg.r()),
            m(fg.g(), bg.g()),
            m(fg.b(), bg.b()),
        ))
    }
}

/// One line of text in a face and pixel size, as an embedded-graphics drawable.
#[derive(Debug, Clone)]
pub struct TextLine<'a, C> {
    /// The text (NFC; precomposed Vietnamese letters are single glyphs in Noto Sans).
    pub text: &'a str,
    /// The face.
    pub face: Face,
    /// Font size: the line-box height (ascent + descent) in pixels, as ab_glyph scales.
    pub px: f32,
    /// Top-left corner of the line box (ascent above the baseline, descent below).
    pub top_left: Point,
    /// Text colour.
    pub fg: C,
    /// Background the text is drawn over (for anti-aliasing).
    pub bg: C,
}

/// Size of a laid-out line: advance width and line-box height, and the rows/columns that hold ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metrics {
    /// Sum of advances, in pixels.
    pub width: u32,
    /// Ascent + descent, in pixels.
    pub height: u32,
    /// Inked box relative to the line box's top-left: (min x, min y, max x, max y), exclusive max.
    pub ink: (i32, i32, i32, i32),
}

fn layout(
    text: &str,
    face: Face,
    px: f32,
    mut each: impl FnMut(ab_glyph::OutlinedGlyph),
) -> (f32, f32) {
    let font = face.font();
    let scaled = font.as_scaled(PxScale::from(px));
    let ascent = scaled.ascent();
    let mut x = 0.0;
    let mut prev: Option<GlyphId> = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = prev {
            x += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(px), point(x, ascent));
        x += scaled.h_advance(id);
        prev = Some(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            each(outlined);
        }
    }
    (x, ascent - scaled.descent())
}

/// Measures `text` in `face` at `px` without drawing it.
pub fn measure(text: &str, face: Face, px: f32) -> Metrics {
    let mut ink = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    let (w, h) = layout(text, face, px, |g| {
        let b = g.px_bounds();
        g.draw(|gx, gy, c| {
            if c >= 0.5 {
                let (x, y) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                ink = (
                    ink.0.min(x),
                    ink.1.min(y),
                    ink.2.max(x + 1),
                    ink.3.max(y + 1),
                );
            }
        });
    });
    if ink.0 == i32::MAX {
        ink = (0, 0, 0, 0);
    }
    Metrics {
        width: w.ceil() as u32,
        height: h.ceil() as u32,
        ink,
    }
}

impl<C: Ink> Drawable for TextLine<'_, C> {
    type Color = C;
    type Output = ();

    fn draw<D: DrawTarget<Color = C>>(&self, target: &mut D) -> Result<(), D::Error> {
        let mut pixels = Vec::new();
        layout(self.text, self.face, self.px, |g| {
            let b = g.px_bounds();
            g.draw(|gx, gy, c| {
                if let Some(color) = C::mix(self.fg, self.bg, c) {
                    let p = self.top_left
                        + Point::new(b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                    pixels.push(Pixel(p, color));
                }
            });
        });
        target.draw_iter(pixels)
    }
}

/// A 1-bit picture, rows packed MSB first, each row a whole number of bytes: exactly the data of
/// ESC/POS `GS v 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl Bitmap {
    /// A blank (all white) bitmap; the width is rounded up to whole bytes.
    pub fn new(width: u32, height: u32) -> Bitmap {
        let width = width.div_ceil(8) * 8;
        Bitmap {
            width,
            height,
            bits: vec![0; (width / 8 * height) as usize],
        }
    }

    /// Width in dots (a multiple of 8).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> u32 {
        self.width / 8
    }

    /// The packed rows.
    pub fn bytes(&self) -> &[u8] {
        &self.bits
    }

    /// Whether the dot at (x, y) is black.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let i = (y * self.row_bytes() + x / 8) as usize;
        self.bits[i] & (0x80 >> (x % 8)) != 0
    }

    /// Blackens or clears the dot at (x, y); outside the bitmap does nothing.
    pub fn set(&mut self, x: u32, y: u32, on: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = (y * self.row_bytes() + x / 8) as usize;
        let m = 0x80 >> (x % 8);
        if on {
            self.bits[i] |= m;
        } else {
            self.bits[i] &= !m;
        }
    }

    /// Copies `other` with its top-left at (x, y).
    pub fn blit(&mut self, other: &Bitmap, x: u32, y: u32) {
        for oy in 0..other.height {
            for ox in 0..other.width {
                if other.get(ox, oy) {
                    self.set(x + ox, y + oy, true);
                }
            }
        }
    }

    /// As 8-bit grey pixels (0 black, 255 white), row by row, for PNG files.
    pub fn to_grey(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.width * self.height) as usize);
        for y in 0..self.height {
            for x in 0..self.width {
                out.push(if self.get(x, y) { 0 } else { 255 });
            }
        }
        out
    }

    /// An ASCII picture ('#' black, '.' white), one line per row: for readable test failures.
    pub fn to_ascii(&self) -> String {
        let mut s = String::new();
        for y in 0..self.height {
            for x in 0..self.width {
                s.push(if self.get(x, y) { '#' } else { '.' });
            }
            s.push('\n');
        }
        s
    }
}

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if p.x >= 0 && p.y >= 0 {
                self.set(p.x as u32, p.y as u32, c.is_on());
            }
        }
        Ok(())
    }
}

/// Renders one line into a bitmap cropped to its ink (nothing blank is sent to the printer).
pub fn render_line(text: &str, face: Face, px: f32) -> Bitmap {
    let m = measure(text, face, px);
    let (x0, y0, x1, y1) = m.ink;
    let mut bmp = Bitmap::new((x1 - x0).max(0) as u32, (y1 - y0).max(0) as u32);
    let line = TextLine {
        text,
        face,
        px,
        top_left: Point::new(-x0, -y0),
        fg: BinaryColor::On,
        bg: BinaryColor::Off,
    };
    let Ok(()) = line.draw(&mut bmp);
    bmp
}

/// Splits `text` into lines no wider than `max_width` at `px`, breaking between words.
/// A single word wider than the limit stays whole on its own line (the caller may shrink it).
pub fn wrap(text: &str, face: Face, px: f32, max_width: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        let (x0, _, x1, _) = measure(&candidate, face, px).ink;
        if (x1 - x0) as u32 <= max_width || cur.is_empty() {
            cur = candidate;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every letter Vietnamese writes, lower and upper case, precomposed (NFC).
    pub const VIETNAMESE: &str =
        "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ";

    #[test]
    fn shipped_fonts_cover_all_vietnamese_letters() {
        for face in [Face::Regular, Face::Bold] {
            for c in VIETNAMESE.chars().chain(VIETNAMESE.to_uppercase().chars()) {
                assert!(face.covers(c), "{face:?} lacks {c} (U+{:04X})", c as u32);
            }
        }
    }

    #[test]
    fn stacked_marks_on_capitals_are_not_clipped() {
        // The circumflex + acute of "Ấ" stands above the plain "A": the cropped bitmap of "Ấ" must
        // be taller than that of "A" by the height of the marks, and nothing is cut at the top row.
        let a = render_line("A", Face::Bold, 40.0);
        for s in ["Ấ", "Ề", "Ỗ"] {
            let b = render_line(s, Face::Bold, 40.0);
            assert!(
                b.height() >= a.height() + 5,
                "{s}: {} vs {}",
                b.height(),
                a.height()
            );
            assert!(
                (0..b.width()).any(|x| b.get(x, 0)),
                "{s}: top row blank means a bad crop"
            );
        }
        // "Ự": the dot below goes under the baseline.
        let u = render_line("U", Face::Bold, 40.0);
        let u_dot = render_line("Ự", Face::Bold, 40.0);
        assert!(u_dot.height() > u.height() + 4);
    }

    #[test]
    fn bitmap_rows_are_whole_bytes_and_cropped() {
        let b = render_line("Tư pháp", Face::Regular, 24.0);
        assert_eq!(b.width() % 8, 0);
        assert_eq!(b.bytes().len() as u32, b.row_bytes() * b.height());
        // Cropped: first and last rows and the first column hold ink.
        assert!((0..b.width()).any(|x| b.get(x, 0)));
        assert!((0..b.width()).any(|x| b.get(x, b.height() - 1)));
        assert!((0..b.height()).any(|y| b.get(0, y)));
    }

    #[test]
    fn wrap_breaks_between_words() {
        let lines = wrap("Lao động - Thương binh và Xã hội", Face::Bold, 32.0, 300);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.join(" "), "Lao động - Thương binh và Xã hội");
        for l in &lines {
            let (x0, _, x1, _) = measure(l, Face::Bold, 32.0).ink;
            assert!((x1 - x0) <= 300, "{l}");
        }
    }

    #[test]
    fn rgb_drawing_blends_over_background() {
        let fg = Rgb888::WHITE;
        let bg = Rgb888::BLACK;
        assert_eq!(Rgb888::mix(fg, bg, 1.0), Some(fg));
        assert_eq!(Rgb888::mix(fg, bg, 0.0), None);
        assert_eq!(Rgb888::mix(fg, bg, 0.5), Some(Rgb888::new(128, 128, 128)));
    }
}
