//! An RGB frame in memory: the `DrawTarget` the scene draws into, then shown in a window, written
//! to the Linux framebuffer, or saved as PNG.

use embedded_graphics::Pixel;
use embedded_graphics::pixelcolor::{Rgb888, RgbColor};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// A `width`×`height` RGB frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Frame {
    /// A black frame.
    pub fn new(width: u32, height: u32) -> Frame {
        Frame {
            width,
            height,
            rgb: vec![0; (width * height * 3) as usize],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// RGB bytes, row by row.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The colour at (x, y).
    pub fn get(&self, x: u32, y: u32) -> Rgb888 {
        let i = ((y * self.width + x) * 3) as usize;
        Rgb888::new(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// The frame as a PNG file.
    pub fn png(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(std::io::Error::other)?;
            w.write_image_data(&self.rgb)
                .map_err(std::io::Error::other)?;
        }
        Ok(out)
    }

    /// Reads a PNG written by [`Frame::png`].
    pub fn from_png(bytes: &[u8]) -> std::io::Result<Frame> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .map_err(std::io::Error::other)?;
        let mut buf = vec![0; dec.output_buffer_size().unwrap_or(0)];
        let info = dec.next_frame(&mut buf).map_err(std::io::Error::other)?;
        if info.color_type != png::ColorType::Rgb || info.bit_depth != png::BitDepth::Eight {
            return Err(std::io::Error::other("not an 8-bit RGB PNG"));
        }
        buf.truncate(info.buffer_size());
        Ok(Frame {
            width: info.width,
            height: info.height,
            rgb: buf,
        })
    }
}

impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Frame {
    type Color = Rgb888;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height {
                let i = ((p.y as u32 * self.width + p.x as u32) * 3) as usize;
                self.rgb[i..i + 3].copy_from_slice(&[c.r(), c.g(), c.b()]);
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Rgb888) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(br) = area.bottom_right() else {
            return Ok(());
        };
        let px = [color.r(), color.g(), color.b()];
        for y in area.top_left.y..=br.y {
            let start = ((y as u32 * self.width + area.top_left.x as u32) * 3) as usize;
            let end = start + area.size.width as usize * 3;
            for chunk in self.rgb[start..end].chunks_exact_mut(3) {
                chunk.copy_from_slice(&px);
            }
        }
        Ok(())
    }

    fn clear(&mut self, color: Rgb888) -> Result<(), Self::Error> {
        let px = [color.r(), color.g(), color.b()];
        for chunk in self.rgb.chunks_exact_mut(3) {
            chunk.copy_from_slice(&px);
        }
        Ok(())
    }
}
