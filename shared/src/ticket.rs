//! The printed ticket: its layout (pure), its ESC/POS bytes, and a picture of it for the virtual
//! printer and for people to look at.
//!
//! Vietnamese lines become raster pictures cropped to their ink and centred with `ESC a 1`; the
//! number and the time are native ASCII text and the QR code is the printer's own `GS ( k`, so the
//! bytes stay few (NOTES.md: at 9600 baud the serial line, not the print head, sets the speed).

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use qrcode::{EcLevel, QrCode};

use crate::api::status_url;
use crate::config::{Config, QrMode};
use crate::escpos::{Align, Encoder};
use crate::estimate::Estimate;
use crate::queue::Ticket;
use crate::raster::{self, Bitmap, Face};

/// Line-box heights (px at 203 dpi) of the ticket's raster lines.
pub mod sizes {
    /// Office name.
    pub const OFFICE: f32 = 28.0;
    /// Service name.
    pub const SERVICE: f32 = 36.0;
    /// Priority class.
    pub const PRIORITY: f32 = 30.0;
    /// "people waiting ahead" and the footer.
    pub const SMALL: f32 = 26.0;
    /// The estimated wait: a little smaller than the people ahead, to keep the slip ≤ 4 KB.
    pub const WAIT: f32 = 23.0;
}

/// QR module size in dots: native, and raster (smaller: raster costs bytes).
const QR_MODULE_NATIVE: u8 = 6;
const QR_MODULE_RASTER: u32 = 4;
/// Dots fed between blocks.
const GAP: u8 = 8;
/// Side margin a raster line may not enter, in dots.
const MARGIN: u32 = 16;

/// One piece of a ticket, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A line of (Vietnamese) text, printed as a raster picture.
    Line {
        /// NFC text.
        text: String,
        /// Face.
        face: Face,
        /// Line-box height in dots.
        px: f32,
    },
    /// The ticket number: native text, four times wide and high.
    Number(String),
    /// A line of native ASCII text.
    Native(String),
    /// A QR code of this data.
    Qr(String),
}

/// The ticket's blocks, from the ticket, the config and the estimated wait at issue (none on a
/// slip printed again after its citizen was called). `now`-free: the issue time is on the ticket.
pub fn layout(t: &Ticket, cfg: &Config, wait: Option<&Estimate>, width_dots: u32) -> Vec<Block> {
    let max = width_dots - 2 * MARGIN;
    let mut blocks = Vec::new();
    let lines = |text: &str, face: Face, px: f32, blocks: &mut Vec<Block>| {
        for line in raster::wrap(text, face, px, max) {
            // A single word wider than the paper is shrunk to fit rather than cut.
            let (x0, _, x1, _) = raster::measure(&line, face, px).ink;
            let w = (x1 - x0).max(1) as f32;
            let px = if w > max as f32 {
                px * max as f32 / w
            } else {
                px
            };
            blocks.push(Block::Line {
                text: line,
                face,
                px,
            });
        }
    };
    lines(
        &cfg.office.name.to_uppercase(),
        Face::Bold,
        sizes::OFFICE,
        &mut blocks,
    );
    let service = cfg
        .service(&t.service)
        .map(|s| s.name.clone())
        .unwrap_or_else(|_| t.service.clone());
    lines(&service, Face::Bold, sizes::SERVICE, &mut blocks);
    blocks.push(Block::Number(t.number.clone()));
    if let Some(p) = &t.priority {
        let name = cfg
            .priority(p)
            .map(|p| p.name.clone())
            .unwrap_or_else(|_| p.clone());
        lines(
            &format!("Ưu tiên: {name}"),
            Face::Bold,
            sizes::PRIORITY,
            &mut blocks,
        );
    }
    lines(
        &format!("Số người chờ trước: {}", t.waiting_ahead),
        Face::Regular,
        sizes::SMALL,
        &mut blocks,
    );
    if let Some(wait) = wait {
        lines(&wait_line(wait), Face::Regular, sizes::WAIT, &mut blocks);
    }
    blocks.push(Block::Native(local_time(t.issued_at, cfg)));
    if let Some(url) = status_url(t, cfg) {
        blocks.push(Block::Qr(url));
    }
    if let Some(footer) = cfg.printer.as_ref().and_then(|p| p.footer.as_ref()) {
        lines(footer, Face::Regular, sizes::SMALL, &mut blocks);
    }
    blocks
}

/// The slip's line for the estimated wait, short: every raster line costs bytes, and bytes
/// cost seconds on a 9600-baud printer.
pub fn wait_line(wait: &Estimate) -> String {
    match *wait {
        Estimate::Minutes { high: 0, .. } => "Sắp được gọi".to_string(),
        Estimate::Minutes { .. } => format!("Chờ {}", wait.vi()),
        Estimate::NoData => "Thời gian chờ: chưa đủ dữ liệu".to_string(),
        Estimate::NoCounter => "Thời gian chờ: chưa có quầy mở".to_string(),
    }
}

/// "24/11/2026 09:15" in the office time zone.
pub fn local_time(t: DateTime<Utc>, cfg: &Config) -> String {
    t.with_timezone(&cfg.office.timezone)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn qr_bitmap(data: &str, module: u32) -> io::Result<Bitmap> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("QR code: {e}")))?;
    let n = code.width() as u32;
    let colors = code.to_colors();
    let mut b = Bitmap::new(n * module, n * module);
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % n, i as u32 / n);
            for dy in 0..module {
                for dx in 0..module {
                    b.set(mx * module + dx, my * module + dy, true);
                }
            }
        }
    }
    Ok(b)
}

/// Writes the ticket's ESC/POS bytes: initialise, blocks, feed, cut.
pub fn encode<W: Write>(blocks: &[Block], qr: QrMode, out: W) -> io::Result<W> {
    let mut e = Encoder::new(out);
    e.init()?;
    e.align(Align::Centre)?;
    for b in blocks {
        match b {
            Block::Line { text, face, px } => {
                e.raster(&raster::render_line(text, *face, *px))?;
                e.feed_dots(GAP)?;
            }
            Block::Number(n) => {
                e.size(4, 4)?;
                e.bold(true)?;
                e.text_line(n)?;
                e.bold(false)?;
                e.size(1, 1)?;
            }
            Block::Native(s) => e.text_line(s)?,
            Block::Qr(data) => {
                e.feed_dots(GAP)?;
                match qr {
                    QrMode::Native => {
                        e.qr(data, QR_MODULE_NATIVE)?;
                        // GS ( k prints without advancing past the symbol on some firmware.
                        e.text_line("")?;
                    }
                    QrMode::Raster => e.raster(&qr_bitmap(data, QR_MODULE_RASTER)?)?,
                }
                e.feed_dots(GAP)?;
            }
        }
    }
    e.feed(3)?;
    e.cut()?;
    Ok(e.into_inner())
}

/// The ticket's bytes in a `Vec`; an error only for a QR code that cannot hold its address
/// (config validation keeps `status.base_url` short enough, so this is never a panic after the
/// ticket was committed).
pub fn encode_to_vec(blocks: &[Block], qr: QrMode) -> io::Result<Vec<u8>> {
    encode(blocks, qr, Vec::new())
}

/// A picture of the printed ticket, `width_dots` wide: what the paper shows (native text drawn in
/// the shipped font at the printer's Font A cell sizes).
pub fn preview(blocks: &[Block], width_dots: u32) -> Bitmap {
    let mut parts: Vec<Bitmap> = Vec::new();
    for b in blocks {
        let bmp = match b {
            Block::Line { text, face, px } => raster::render_line(text, *face, *px),
            // Font A is 12x24; at 4x4 the number is 96 dots high.
            Block::Number(n) => raster::render_line(n, Face::Bold, 96.0),
            Block::Native(s) => raster::render_line(s, Face::Regular, 26.0),
            Block::Qr(data) => qr_bitmap(data, u32::from(QR_MODULE_NATIVE))
                .unwrap_or_else(|_| raster::render_line("[QR]", Face::Regular, 26.0)),
        };
        parts.push(bmp);
    }
    let gap = u32::from(GAP) * 2;
    let height = parts.iter().map(|p| p.height() + gap).sum::<u32>() + 2 * gap;
    let mut page = Bitmap::new(width_dots, height);
    let mut y = gap;
    for p in &parts {
        let x = width_dots.saturating_sub(p.width()) / 2;
        page.blit(p, x, y);
        y += p.height() + gap;
    }
    // A dashed cut line at the bottom edge.
    for x in (0..width_dots).filter(|x| (x / 8) % 2 == 0) {
        page.set(x, height - 1, true);
    }
    page
}

/// Encodes a 1-bit picture as a greyscale PNG.
pub fn png(bmp: &Bitmap) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, bmp.width(), bmp.height());
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(io::Error::other)?;
        w.write_image_data(&bmp.to_grey())
            .map_err(io::Error::other)?;
    }
    Ok(out)
}
