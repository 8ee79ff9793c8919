//! ESC/POS: the few commands a ticket needs, written into any `io::Write`, and the real-time status
//! replies (`DLE EOT`) parsed into plain values. Pure: no port is opened here.
//!
//! Why not the `escpos` crate: its Windows-1258 page cannot encode precomposed Vietnamese, and its
//! image path scales pictures, sends a stray CAN before each one and pulls in the `image` crate
//! (NOTES.md). The handful of commands below are fixed byte strings from the Epson reference.

use std::io::{self, Write};

use crate::raster::Bitmap;

/// `ESC @`: initialise.
pub const INIT: [u8; 2] = [0x1b, 0x40];
/// `GS V 66 0`: feed to the cutter and cut (partial cut).
pub const CUT: [u8; 4] = [0x1d, 0x56, 0x42, 0x00];
/// `DLE EOT`: real-time status request; the third byte is n.
pub const STATUS_REQUEST: [u8; 2] = [0x10, 0x04];

/// Horizontal alignment (`ESC a n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left.
    Left = 0,
    /// Centre.
    Centre = 1,
}

/// Writes ESC/POS commands into `W`.
pub struct Encoder<W: Write> {
    out: W,
}

impl<W: Write> Encoder<W> {
    /// An encoder writing into `out`.
    pub fn new(out: W) -> Self {
        Encoder { out }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// `ESC @`.
    pub fn init(&mut self) -> io::Result<()> {
        self.out.write_all(&INIT)
    }

    /// `ESC a n`.
    pub fn align(&mut self, a: Align) -> io::Result<()> {
        self.out.write_all(&[0x1b, 0x61, a as u8])
    }

    /// `GS ! n`: character size, `w` and `h` 1..=8 times.
    pub fn size(&mut self, w: u8, h: u8) -> io::Result<()> {
        let (w, h) = (w.clamp(1, 8) - 1, h.clamp(1, 8) - 1);
        self.out.write_all(&[0x1d, 0x21, (w << 4) | h])
    }

    /// `ESC E n`: emphasis on or off.
    pub fn bold(&mut self, on: bool) -> io::Result<()> {
        self.out.write_all(&[0x1b, 0x45, u8::from(on)])
    }

    /// Native text followed by LF. Only printable ASCII is sent: anything else would depend on the
    /// printer's code page, so it is refused.
    pub fn text_line(&mut self, text: &str) -> io::Result<()> {
        if let Some(c) = text.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("native text must be printable ASCII, got {c:?}: draw it as a raster line"),
            ));
        }
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// `ESC d n`: print and feed n lines.
    pub fn feed(&mut self, lines: u8) -> io::Result<()> {
        self.out.write_all(&[0x1b, 0x64, lines])
    }

    /// `ESC J n`: print and feed n dots.
    pub fn feed_dots(&mut self, dots: u8) -> io::Result<()> {
        self.out.write_all(&[0x1b, 0x4a, dots])
    }

    /// `GS v 0`: a raster picture, normal density.
    pub fn raster(&mut self, bmp: &Bitmap) -> io::Result<()> {
        let x = bmp.row_bytes();
        let y = bmp.height();
        if x > 0xffff || y > 0xffff {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "raster image too large",
            ));
        }
        self.out.write_all(&[
            0x1d,
            0x76,
            0x30,
            0,
            x as u8,
            (x >> 8) as u8,
            y as u8,
            (y >> 8) as u8,
        ])?;
        self.out.write_all(bmp.bytes())
    }

    /// `GS ( k`: a model 2 QR code of `data`, module size `module` dots, error correction M.
    pub fn qr(&mut self, data: &str, module: u8) -> io::Result<()> {
        let len = data.len() + 3;
        if len > 7089 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "QR data too long",
            ));
        }
        let w = &mut self.out;
        w.write_all(&[0x1d, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0])?; // model 2
        w.write_all(&[0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x43, module.clamp(1, 16)])?; // module size
        w.write_all(&[0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x31])?; // error correction M
        w.write_all(&[
            0x1d,
            0x28,
            0x6b,
            len as u8,
            (len >> 8) as u8,
            0x31,
            0x50,
            0x30,
        ])?; // store
        w.write_all(data.as_bytes())?;
        w.write_all(&[0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30]) // print
    }

    /// `GS V 66 0`.
    pub fn cut(&mut self) -> io::Result<()> {
        self.out.write_all(&CUT)
    }
}

/// What the printer's real-time status bytes say (`DLE EOT` 1, 2 and 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// n=1 bit 3: the printer is offline.
    pub offline: bool,
    /// n=2 bit 2: the cover is open.
    pub cover_open: bool,
    /// n=2 bit 5 or n=4 bits 5-6: out of paper.
    pub paper_out: bool,
    /// n=4 bits 2-3: the roll is nearly used up.
    pub paper_near_end: bool,
}

/// Why a status byte could not be read as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "unexpected printer status byte 0x{byte:02x} for DLE EOT {n}: not an ESC/POS printer, or the line speed is wrong"
)]
pub struct BadStatusByte {
    /// The request's n.
    pub n: u8,
    /// The byte received.
    pub byte: u8,
}

/// Checks the fixed bits every `DLE EOT` reply has (bit 1 and 4 set, bits 0 and 7 clear).
pub fn check_status_byte(n: u8, byte: u8) -> Result<u8, BadStatusByte> {
    if byte & 0x93 == 0x12 {
        Ok(byte)
    } else {
        Err(BadStatusByte { n, byte })
    }
}

impl Status {
    /// Reads the replies to `DLE EOT 1`, `2` and `4`.
    pub fn parse(printer: u8, offline_cause: u8, paper: u8) -> Result<Status, BadStatusByte> {
        let printer = check_status_byte(1, printer)?;
        let cause = check_status_byte(2, offline_cause)?;
        let paper = check_status_byte(4, paper)?;
        Ok(Status {
            offline: printer & 0x08 != 0,
            cover_open: cause & 0x04 != 0,
            paper_out: cause & 0x20 != 0 || paper & 0x60 != 0,
            paper_near_end: paper & 0x0c != 0,
        })
    }

    /// Whether a ticket may be printed now.
    pub fn ready(&self) -> bool {
        !(self.offline || self.cover_open || self.paper_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: impl FnOnce(&mut Encoder<Vec<u8>>) -> io::Result<()>, expected: &[u8]) {
        let mut e = Encoder::new(Vec::new());
        f(&mut e).unwrap();
        assert_eq!(e.into_inner(), expected);
    }

    #[test]
    fn commands_are_the_reference_bytes() {
        check(|e| e.init(), &[0x1b, 0x40]);
        check(|e| e.align(Align::Centre), &[0x1b, 0x61, 1]);
        check(|e| e.size(4, 4), &[0x1d, 0x21, 0x33]);
        check(|e| e.size(1, 2), &[0x1d, 0x21, 0x01]);
        check(|e| e.bold(true), &[0x1b, 0x45, 1]);
        check(|e| e.feed(3), &[0x1b, 0x64, 3]);
        check(|e| e.feed_dots(8), &[0x1b, 0x4a, 8]);
        check(|e| e.cut(), &[0x1d, 0x56, 0x42, 0]);
        check(|e| e.text_line("1001"), b"1001\n");
    }

    #[test]
    fn native_text_refuses_vietnamese() {
        let mut e = Encoder::new(Vec::new());
        assert!(e.text_line("Số").is_err());
        assert!(e.text_line("a\x1bb").is_err());
        assert!(e.into_inner().is_empty());
    }

    #[test]
    fn raster_header_and_data() {
        let mut b = Bitmap::new(10, 2);
        b.set(0, 0, true);
        b.set(9, 1, true);
        check(
            |e| e.raster(&b),
            &[0x1d, 0x76, 0x30, 0, 2, 0, 2, 0, 0x80, 0x00, 0x00, 0x40],
        );
    }

    #[test]
    fn qr_sequence() {
        let mut e = Encoder::new(Vec::new());
        e.qr("http://x/t/1", 6).unwrap();
        let b = e.into_inner();
        let store = [0x1d, 0x28, 0x6b, 15, 0, 0x31, 0x50, 0x30];
        let at = b
            .windows(8)
            .position(|w| w == store)
            .expect("store command");
        assert_eq!(&b[at + 8..at + 20], b"http://x/t/1");
        assert_eq!(
            &b[b.len() - 8..],
            &[0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30]
        );
    }

    #[test]
    fn status_bytes_measured_on_epson() {
        // NOTES.md: normal 0x12 x3; paper near end n=4 0x1E; paper out 0x1A/0x32/0x7E;
        // cover open 0x1A/0x16; offline n=1 0x1A.
        let normal = Status::parse(0x12, 0x12, 0x12).unwrap();
        assert!(normal.ready() && !normal.paper_near_end);
        let near = Status::parse(0x12, 0x12, 0x1e).unwrap();
        assert!(near.ready() && near.paper_near_end);
        let out = Status::parse(0x1a, 0x32, 0x7e).unwrap();
        assert!(!out.ready() && out.paper_out && out.offline && !out.cover_open);
        let cover = Status::parse(0x1a, 0x16, 0x12).unwrap();
        assert!(!cover.ready() && cover.cover_open && !cover.paper_out);
        let offline = Status::parse(0x1a, 0x12, 0x12).unwrap();
        assert!(!offline.ready() && offline.offline);
    }

    #[test]
    fn status_garbage_is_an_error() {
        assert_eq!(
            Status::parse(0xff, 0x12, 0x12),
            Err(BadStatusByte { n: 1, byte: 0xff })
        );
        assert!(Status::parse(0x12, 0x00, 0x12).is_err());
        assert!(Status::parse(0x12, 0x12, 0x13).is_err());
    }
}
