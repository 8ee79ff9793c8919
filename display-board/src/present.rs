//! Showing frames: in a Slint window on desktops, or on the Linux framebuffer on a board box.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::frame::Frame;

slint::slint! {
    export component BoardWindow inherits Window {
        in property <image> frame;
        title: "motcua board – Bảng hiển thị";
        background: #0d1b2a;
        Image {
            source: root.frame;
            width: 100%;
            height: 100%;
            image-fit: contain;
        }
    }
}

/// The frame as a Slint image.
pub fn to_image(f: &Frame) -> slint::Image {
    slint::Image::from_rgb8(
        slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(
            f.rgb(),
            f.width(),
            f.height(),
        ),
    )
}

/// A Linux framebuffer device (`/dev/fb0`), 16 or 32 bits per pixel.
pub struct FbDev {
    file: std::fs::File,
    width: u32,
    height: u32,
    stride: u32,
    bpp: u32,
}

fn sys(name: &str, attr: &str) -> std::io::Result<String> {
    std::fs::read_to_string(format!("/sys/class/graphics/{name}/{attr}"))
        .map(|s| s.trim().to_string())
}

impl FbDev {
    /// Opens the device and reads its geometry from sysfs.
    pub fn open(path: &Path) -> std::io::Result<FbDev> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| std::io::Error::other("framebuffer path has no name"))?;
        let bad = |what: &str| std::io::Error::other(format!("{name}: cannot read {what}"));
        let size = sys(name, "virtual_size")?;
        let (w, h) = size.split_once(',').ok_or_else(|| bad("virtual_size"))?;
        let width: u32 = w.parse().map_err(|_| bad("virtual_size"))?;
        let height: u32 = h.parse().map_err(|_| bad("virtual_size"))?;
        let bpp: u32 = sys(name, "bits_per_pixel")?
            .parse()
            .map_err(|_| bad("bits_per_pixel"))?;
        let stride: u32 = sys(name, "stride")?.parse().map_err(|_| bad("stride"))?;
        if bpp != 16 && bpp != 32 {
            return Err(std::io::Error::other(format!(
                "{name}: {bpp} bits per pixel is not supported (16 or 32)"
            )));
        }
        let file = OpenOptions::new().write(true).open(path)?;
        Ok(FbDev {
            file,
            width,
            height,
            stride,
            bpp,
        })
    }

    /// The device's size: draw frames this size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Writes a frame (its top-left part if it is larger than the screen).
    pub fn show(&mut self, f: &Frame) -> std::io::Result<()> {
        let mut row = Vec::with_capacity(self.stride as usize);
        for y in 0..self.height.min(f.height()) {
            row.clear();
            for x in 0..self.width.min(f.width()) {
                let c = f.get(x, y);
                use embedded_graphics::pixelcolor::RgbColor;
                if self.bpp == 32 {
                    row.extend_from_slice(&[c.b(), c.g(), c.r(), 0xff]);
                } else {
                    let v = (u16::from(c.r() >> 3) << 11)
                        | (u16::from(c.g() >> 2) << 5)
                        | u16::from(c.b() >> 3);
                    row.extend_from_slice(&v.to_le_bytes());
                }
            }
            self.file
                .seek(SeekFrom::Start(u64::from(y * self.stride)))?;
            self.file.write_all(&row)?;
        }
        Ok(())
    }
}
