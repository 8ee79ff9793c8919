//! The board's picture, drawn through an embedded-graphics `DrawTarget<Color = Rgb888>` so the same
//! code feeds a window, the Linux framebuffer or a PNG. Pure: the board state and the time in.

use chrono::NaiveDateTime;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use motcua::raster::{Face, TextLine, measure};

use crate::board::{Board, Call};

/// Colours: light text on a dark navy ground reads from across a room.
pub mod colors {
    use embedded_graphics::pixelcolor::Rgb888;
    /// Ground.
    pub const BG: Rgb888 = Rgb888::new(0x0d, 0x1b, 0x2a);
    /// Header band.
    pub const HEADER: Rgb888 = Rgb888::new(0x0b, 0x3d, 0x91);
    /// Panels.
    pub const PANEL: Rgb888 = Rgb888::new(0x1b, 0x2a, 0x41);
    /// Text.
    pub const TEXT: Rgb888 = Rgb888::new(0xff, 0xff, 0xff);
    /// Numbers.
    pub const NUMBER: Rgb888 = Rgb888::new(0xff, 0xd5, 0x4f);
    /// The fresh call's highlight.
    pub const HIGHLIGHT: Rgb888 = Rgb888::new(0xff, 0xd5, 0x4f);
    /// Text on the highlight.
    pub const ON_HIGHLIGHT: Rgb888 = Rgb888::new(0x10, 0x10, 0x10);
    /// Muted text (paused counters, labels).
    pub const MUTED: Rgb888 = Rgb888::new(0x9a, 0xa5, 0xb1);
    /// Notice band.
    pub const NOTICE: Rgb888 = Rgb888::new(0x7f, 0x10, 0x10);
}

/// What changes from frame to frame besides the board: the clock, blinking, the notice's scroll.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// Office-local date and time for the clock.
    pub local: NaiveDateTime,
    /// Whether a blinking element is in its "on" phase.
    pub blink_on: bool,
    /// How far the notice has scrolled, in pixels.
    pub notice_offset: u32,
}

struct Painter<'a, D> {
    target: &'a mut D,
    k: f32,
}

impl<D: DrawTarget<Color = Rgb888>> Painter<'_, D> {
    fn px(&self, v: f32) -> i32 {
        (v * self.k).round() as i32
    }

    fn rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: Rgb888) -> Result<(), D::Error> {
        if w <= 0 || h <= 0 {
            return Ok(());
        }
        Rectangle::new(Point::new(x, y), Size::new(w as u32, h as u32))
            .into_styled(PrimitiveStyle::with_fill(c))
            .draw(self.target)
    }

    /// Draws `text` with its line box's top-left at (x, y), shrunk (down to 75 %) and then elided
    /// with "…" to fit `max_w`. Returns the width drawn.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        text: &str,
        face: Face,
        size: f32,
        x: i32,
        y: i32,
        max_w: i32,
        fg: Rgb888,
        bg: Rgb888,
    ) -> Result<i32, D::Error> {
        let (s, px) = fit(text, face, size * self.k, max_w.max(1) as u32);
        let line = TextLine {
            text: &s,
            face,
            px,
            top_left: Point::new(x, y),
            fg,
            bg,
        };
        line.draw(self.target)?;
        Ok(measure(&s, face, px).width as i32)
    }

    /// Like [`Painter::text`], centred in the box (x, y, w, h).
    #[allow(clippy::too_many_arguments)]
    fn centred(
        &mut self,
        text: &str,
        face: Face,
        size: f32,
        (x, y, w, h): (i32, i32, i32, i32),
        fg: Rgb888,
        bg: Rgb888,
    ) -> Result<(), D::Error> {
        let (s, px) = fit(text, face, size * self.k, w.max(1) as u32);
        let m = measure(&s, face, px);
        let line = TextLine {
            text: &s,
            face,
            px,
            top_left: Point::new(x + (w - m.width as i32) / 2, y + (h - m.height as i32) / 2),
            fg,
            bg,
        };
        line.draw(self.target)
    }
}

/// The text and size that fit `max_w`: shrink down to 75 %, then cut with "…".
pub fn fit(text: &str, face: Face, px: f32, max_w: u32) -> (String, f32) {
    let w = measure(text, face, px).width;
    if w <= max_w {
        return (text.to_string(), px);
    }
    let shrunk = px * max_w as f32 / w as f32;
    if shrunk >= px * 0.75 {
        return (text.to_string(), shrunk);
    }
    let px = px * 0.75;
    let mut s: String = text.to_string();
    while !s.is_empty() && measure(&format!("{s}…"), face, px).width > max_w {
        s.pop();
    }
    (format!("{}…", s.trim_end()), px)
}

/// Whether the notice is too long to stand still at this frame size (then it scrolls).
pub fn notice_scrolls(board: &Board, (w, h): (u32, u32)) -> bool {
    let k = if h > w {
        w as f32 / 1080.0
    } else {
        h as f32 / 1080.0
    };
    let text_w = measure(&board.notice, Face::Bold, 40.0 * k).width as f32;
    text_w > w as f32 - 2.0 * 40.0 * k
}

/// Draws the whole board into `target` (any size; landscape or portrait layout by aspect).
pub fn draw<D: DrawTarget<Color = Rgb888>>(
    board: &Board,
    fresh: Option<&Call>,
    m: &Moment,
    target: &mut D,
) -> Result<(), D::Error> {
    let size = target.bounding_box().size;
    let (w, h) = (size.width as i32, size.height as i32);
    let portrait = h > w;
    let k = if portrait {
        w as f32 / 1080.0
    } else {
        h as f32 / 1080.0
    };
    let mut p = Painter { target, k };
    p.target.clear(colors::BG)?;

    // Header: office, date and clock.
    let hh = p.px(120.0);
    p.rect(0, 0, w, hh, colors::HEADER)?;
    let clock = m.local.format("%H:%M").to_string();
    let date = motcua::vi::date_line(m.local.date());
    let right_w = p.px(380.0);
    p.text(
        &board.office.to_uppercase(),
        Face::Bold,
        64.0,
        p.px(40.0),
        p.px(22.0),
        w - right_w - p.px(60.0),
        colors::TEXT,
        colors::HEADER,
    )?;
    p.centred(
        &clock,
        Face::Bold,
        64.0,
        (w - right_w, p.px(4.0), right_w - p.px(30.0), p.px(76.0)),
        colors::TEXT,
        colors::HEADER,
    )?;
    p.centred(
        &date,
        Face::Regular,
        32.0,
        (w - right_w, p.px(74.0), right_w - p.px(30.0), p.px(40.0)),
        colors::TEXT,
        colors::HEADER,
    )?;

    // Notice band at the bottom, scrolling right to left.
    let nh = p.px(76.0);
    let ny = h - nh;
    p.rect(0, ny, w, nh, colors::NOTICE)?;
    let text_w = measure(&board.notice, Face::Bold, 40.0 * k).width as i32;
    let margin = p.px(40.0);
    let band = Rectangle::new(Point::new(0, ny), Size::new(w as u32, nh as u32));
    // Short notices stand still and centred; long ones run right to left, end to end.
    let starts: Vec<i32> = if text_w <= w - 2 * margin {
        vec![(w - text_w) / 2]
    } else {
        let period = text_w + w / 3;
        let x = margin - (m.notice_offset as i32 % period);
        vec![x, x + period]
    };
    for x in starts {
        let line = TextLine {
            text: &board.notice,
            face: Face::Bold,
            px: 40.0 * k,
            top_left: Point::new(x, ny + p.px(12.0)),
            fg: colors::TEXT,
            bg: colors::NOTICE,
        };
        line.draw(&mut p.target.clipped(&band))?;
    }

    let gap = p.px(24.0);
    let body_top = hh + gap;
    let body_bottom = ny - gap;
    if portrait {
        let call_h = p.px(430.0);
        latest(
            &mut p,
            board,
            fresh,
            m,
            (gap, body_top, w - 2 * gap, call_h),
        )?;
        let table_top = body_top + call_h + gap;
        let side_h = p.px(520.0);
        let table_h = body_bottom - table_top - side_h - gap;
        counters(
            &mut p,
            board,
            fresh,
            m,
            (gap, table_top, w - 2 * gap, table_h),
        )?;
        let half = (w - 3 * gap) / 2;
        let side_top = body_bottom - side_h;
        history(&mut p, board, (gap, side_top, half, side_h))?;
        waiting(&mut p, board, (2 * gap + half, side_top, half, side_h))?;
    } else {
        let left_w = (w as f32 * 0.58) as i32;
        counters(
            &mut p,
            board,
            fresh,
            m,
            (gap, body_top, left_w - gap, body_bottom - body_top),
        )?;
        let rx = left_w + gap;
        let rw = w - rx - gap;
        let call_h = p.px(400.0);
        latest(&mut p, board, fresh, m, (rx, body_top, rw, call_h))?;
        let lower_top = body_top + call_h + gap;
        let lower_h = body_bottom - lower_top;
        let half = (rw - gap) / 2;
        history(&mut p, board, (rx, lower_top, half, lower_h))?;
        waiting(
            &mut p,
            board,
            (rx + half + gap, lower_top, rw - half - gap, lower_h),
        )?;
    }
    Ok(())
}

type Area = (i32, i32, i32, i32);

fn counters<D: DrawTarget<Color = Rgb888>>(
    p: &mut Painter<'_, D>,
    board: &Board,
    fresh: Option<&Call>,
    m: &Moment,
    (x, y, w, h): Area,
) -> Result<(), D::Error> {
    p.rect(x, y, w, h, colors::PANEL)?;
    let head = p.px(64.0);
    let c1 = (w as f32 * 0.26) as i32;
    let c2 = (w as f32 * 0.30) as i32;
    let pad = p.px(20.0);
    for (label, cx, cw) in [
        ("QUẦY", x, c1),
        ("SỐ", x + c1, c2),
        ("LĨNH VỰC", x + c1 + c2, w - c1 - c2),
    ] {
        p.text(
            label,
            Face::Bold,
            34.0,
            cx + pad,
            y + p.px(14.0),
            cw - 2 * pad,
            colors::MUTED,
            colors::PANEL,
        )?;
    }
    let n = board.counters.len().max(1) as i32;
    let row_h = ((h - head) / n).min(p.px(150.0));
    for (i, row) in board.counters.iter().enumerate() {
        let ry = y + head + i as i32 * row_h;
        let is_fresh = fresh.is_some_and(|c| c.counter == row.number)
            && row
                .current
                .as_ref()
                .is_some_and(|(num, _)| Some(num) == fresh.map(|c| &c.number));
        let (bg, fg, num_fg) = if is_fresh && m.blink_on {
            (
                colors::HIGHLIGHT,
                colors::ON_HIGHLIGHT,
                colors::ON_HIGHLIGHT,
            )
        } else {
            (colors::PANEL, colors::TEXT, colors::NUMBER)
        };
        p.rect(x, ry, w, row_h - p.px(4.0), bg)?;
        if i > 0 {
            p.rect(
                x + pad,
                ry - p.px(2.0),
                w - 2 * pad,
                p.px(2.0).max(1),
                colors::BG,
            )?;
        }
        let size = (row_h as f32 / p.k * 0.62).min(84.0);
        let ty = ry + (row_h - (size * p.k) as i32) / 2;
        p.text(
            &row.name,
            Face::Bold,
            size * 0.8,
            x + pad,
            ty + (size * p.k * 0.1) as i32,
            c1 - 2 * pad,
            fg,
            bg,
        )?;
        if row.paused {
            p.text(
                "Tạm dừng",
                Face::Bold,
                size * 0.7,
                x + c1 + pad,
                ty + (size * p.k * 0.15) as i32,
                c2 + w - c1 - c2 - 2 * pad,
                colors::MUTED,
                bg,
            )?;
        } else if let Some((number, service)) = &row.current {
            p.text(
                number,
                Face::Bold,
                size,
                x + c1 + pad,
                ty,
                c2 - 2 * pad,
                num_fg,
                bg,
            )?;
            p.text(
                service,
                Face::Regular,
                size * 0.6,
                x + c1 + c2 + pad,
                ty + (size * p.k * 0.22) as i32,
                w - c1 - c2 - 2 * pad,
                fg,
                bg,
            )?;
        } else {
            p.text(
                "—",
                Face::Bold,
                size * 0.8,
                x + c1 + pad,
                ty,
                c2 - 2 * pad,
                colors::MUTED,
                bg,
            )?;
        }
    }
    Ok(())
}

fn latest<D: DrawTarget<Color = Rgb888>>(
    p: &mut Painter<'_, D>,
    board: &Board,
    fresh: Option<&Call>,
    m: &Moment,
    (x, y, w, h): Area,
) -> Result<(), D::Error> {
    let on = fresh.is_some() && m.blink_on;
    let (bg, fg, num) = if on {
        (
            colors::HIGHLIGHT,
            colors::ON_HIGHLIGHT,
            colors::ON_HIGHLIGHT,
        )
    } else {
        (colors::PANEL, colors::TEXT, colors::NUMBER)
    };
    p.rect(x, y, w, h, bg)?;
    let Some(call) = board.history.front() else {
        return p.centred(
            "Xin mời công dân chờ gọi số",
            Face::Bold,
            44.0,
            (x, y, w, h),
            fg,
            bg,
        );
    };
    let name = board.counter_name(call.counter);
    p.centred(
        "MỜI CÔNG DÂN CÓ SỐ",
        Face::Bold,
        40.0,
        (x, y + p.px(10.0), w, p.px(60.0)),
        fg,
        bg,
    )?;
    p.centred(
        &call.number,
        Face::Bold,
        210.0,
        (x, y + p.px(70.0), w, p.px(220.0)),
        num,
        bg,
    )?;
    p.centred(
        &format!("ĐẾN {}", name.to_uppercase()),
        Face::Bold,
        64.0,
        (x, y + h - p.px(110.0), w, p.px(90.0)),
        fg,
        bg,
    )
}

/// A side panel with its title; returns the inner padding.
fn panel<D: DrawTarget<Color = Rgb888>>(
    p: &mut Painter<'_, D>,
    title: &str,
    (x, y, w, h): Area,
) -> Result<i32, D::Error> {
    p.rect(x, y, w, h, colors::PANEL)?;
    let pad = p.px(20.0);
    p.text(
        title,
        Face::Bold,
        34.0,
        x + pad,
        y + p.px(12.0),
        w - 2 * pad,
        colors::MUTED,
        colors::PANEL,
    )?;
    Ok(pad)
}

fn history<D: DrawTarget<Color = Rgb888>>(
    p: &mut Painter<'_, D>,
    board: &Board,
    (x, y, w, h): Area,
) -> Result<(), D::Error> {
    let pad = panel(p, "SỐ VỪA GỌI", (x, y, w, h))?;
    let row = p.px(60.0);
    for (i, c) in board.history.iter().skip(1).enumerate() {
        let ry = y + p.px(64.0) + i as i32 * row;
        if ry + row > y + h {
            break;
        }
        let name = board.counter_name(c.counter);
        let col = (w - 2 * pad) * 9 / 20;
        p.text(
            &c.number,
            Face::Bold,
            46.0,
            x + pad,
            ry,
            col,
            colors::NUMBER,
            colors::PANEL,
        )?;
        p.text(
            &name,
            Face::Regular,
            38.0,
            x + pad + col + p.px(10.0),
            ry + p.px(6.0),
            w - col - 3 * pad,
            colors::TEXT,
            colors::PANEL,
        )?;
    }
    Ok(())
}

fn waiting<D: DrawTarget<Color = Rgb888>>(
    p: &mut Painter<'_, D>,
    board: &Board,
    (x, y, w, h): Area,
) -> Result<(), D::Error> {
    let pad = panel(p, "ĐANG CHỜ", (x, y, w, h))?;
    let n = board.waiting.len().max(1) as i32;
    // A second, smaller line under the name for the estimated wait, where there is one.
    let two_lines = board.waiting.iter().any(|r| r.wait.is_some());
    let tallest = if two_lines { 96.0 } else { 60.0 };
    let row = ((h - p.px(64.0)) / n).min(p.px(tallest));
    let count_w = p.px(90.0);
    // Many services make short rows: both lines shrink to fit them.
    let design_row = row as f32 / p.k;
    let (name_size, wait_size) = if two_lines {
        (32f32.min(design_row * 0.44), 26f32.min(design_row * 0.36))
    } else {
        (32.0, 0.0)
    };
    for (i, r) in board.waiting.iter().enumerate() {
        let ry = y + p.px(64.0) + i as i32 * row;
        p.text(
            &r.name,
            Face::Regular,
            name_size,
            x + pad,
            ry + p.px(4.0),
            w - count_w - 3 * pad,
            colors::TEXT,
            colors::PANEL,
        )?;
        if let Some(wait) = &r.wait {
            p.text(
                wait,
                Face::Regular,
                wait_size,
                x + pad,
                ry + p.px(name_size + 8.0),
                w - count_w - 3 * pad,
                colors::MUTED,
                colors::PANEL,
            )?;
        }
        p.text(
            &r.count.to_string(),
            Face::Bold,
            40.0,
            x + w - count_w - pad,
            ry,
            count_w,
            colors::NUMBER,
            colors::PANEL,
        )?;
    }
    Ok(())
}
