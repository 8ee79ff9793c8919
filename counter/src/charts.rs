//! Bar charts as inline SVG, drawn on the server: no script, no CDN, and readable when printed
//! in black and white (outlined and filled bars, values as text, a dashed target line).

use crate::pages::html_escape;

/// How a series' bars are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Black bars.
    Solid,
    /// White bars with a black outline (a second series beside the solid one).
    Outline,
}

/// One series of a bar chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per label.
    pub values: Vec<f64>,
    /// How its bars look.
    pub fill: Fill,
}

/// A bar chart: one group of bars per label.
#[derive(Debug, Clone)]
pub struct Bars {
    /// Its id (for tests and links).
    pub id: String,
    /// The title above it.
    pub title: String,
    /// What the horizontal axis counts.
    pub x_label: String,
    /// What the vertical axis counts.
    pub y_label: String,
    /// The bars' labels, left to right.
    pub labels: Vec<String>,
    /// The series, drawn side by side.
    pub series: Vec<Series>,
    /// Values are shares (0–1), shown as percentages.
    pub percent: bool,
    /// A dashed vertical line before the bar at this index, with its text (the target wait).
    pub marker: Option<(usize, String)>,
}

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 52.0;

/// A round upper bound for the axis: 1, 2 or 5 × a power of ten.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .find(|m| *m >= v)
        .unwrap_or(10.0 * p)
}

fn value_text(v: f64, percent: bool) -> String {
    if percent {
        format!("{:.0}%", v * 100.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The chart as an `<svg>` element (with a `<title>` for screen readers).
pub fn bar_chart(b: &Bars) -> String {
    let max = if b.percent {
        1.0
    } else {
        nice_max(
            b.series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .fold(0.0, f64::max),
        )
    };
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = b.labels.len().max(1) as f64;
    let slot = plot_w / n;
    let k = b.series.len().max(1) as f64;
    let bar = (slot * 0.8 / k).max(1.0);
    let y = |v: f64| TOP + plot_h - (v / max).clamp(0.0, 1.0) * plot_h;
    let mut out = format!(
        r#"<figure class="chart" id="{id}"><figcaption>{title}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" font-family="Noto Sans, sans-serif" font-size="11"><title>{title}</title>"#,
        id = html_escape(&b.id),
        title = html_escape(&b.title),
    );
    // Axes, ticks at 0, half and the top.
    for f in [0.0, 0.5, 1.0] {
        let v = max * f;
        out += &format!(
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#bbb" stroke-width="0.5"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
            x2 = W - RIGHT,
            yy = y(v),
            tx = LEFT - 4.0,
            ty = y(v) + 4.0,
            label = value_text(v, b.percent),
        );
    }
    out += &format!(
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="#000"/><line x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#000"/>"##,
        bottom = TOP + plot_h,
        right = W - RIGHT,
    );
    // Bars, their values, and every label (thinned when there are many).
    let every = b.labels.len().div_ceil(14).max(1);
    for (i, label) in b.labels.iter().enumerate() {
        let x0 = LEFT + i as f64 * slot + slot * 0.1;
        for (j, s) in b.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let (fill, stroke) = match s.fill {
                Fill::Solid => ("#222", "#000"),
                Fill::Outline => ("#fff", "#000"),
            };
            let x = x0 + j as f64 * bar;
            out += &format!(
                r#"<rect x="{x:.1}" y="{top:.1}" width="{bw:.1}" height="{h:.1}" fill="{fill}" stroke="{stroke}" stroke-width="0.8"><title>{label}: {value}</title></rect>"#,
                top = y(v),
                bw = (bar - 1.0).max(0.5),
                h = (TOP + plot_h - y(v)).max(0.0),
                label = html_escape(label),
                value = value_text(v, b.percent),
            );
            if b.labels.len() <= 16 && v > 0.0 {
                out += &format!(
                    r#"<text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="9">{value}</text>"#,
                    cx = x + bar / 2.0,
                    ty = y(v) - 2.0,
                    value = value_text(v, b.percent),
                );
            }
        }
        if i % every == 0 {
            out += &format!(
                r#"<text x="{cx:.1}" y="{ty}" text-anchor="middle">{label}</text>"#,
                cx = LEFT + (i as f64 + 0.5) * slot,
                ty = TOP + plot_h + 14.0,
                label = html_escape(label),
            );
        }
    }
    if let Some((at, text)) = &b.marker {
        let x = LEFT + *at as f64 * slot;
        out += &format!(
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{bottom}" stroke="#000" stroke-width="1.5" stroke-dasharray="5 3"/><text x="{tx:.1}" y="{ty}" font-weight="bold">{text}</text>"##,
            bottom = TOP + plot_h,
            tx = x + 4.0,
            ty = TOP + 10.0,
            text = html_escape(text),
        );
    }
    // Axis names and the legend.
    out += &format!(
        r#"<text x="{cx:.1}" y="{ty}" text-anchor="middle" class="axis">{x}</text><text x="12" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 12 {cy:.1})" class="axis">{y}</text>"#,
        cx = LEFT + plot_w / 2.0,
        ty = H - 18.0,
        cy = TOP + plot_h / 2.0,
        x = html_escape(&b.x_label),
        y = html_escape(&b.y_label),
    );
    if b.series.len() > 1 {
        let mut lx = LEFT;
        for s in &b.series {
            let fill = if s.fill == Fill::Solid {
                "#222"
            } else {
                "#fff"
            };
            out += &format!(
                r##"<rect x="{lx:.1}" y="{ly}" width="10" height="10" fill="{fill}" stroke="#000"/><text x="{tx:.1}" y="{ty}">{name}</text>"##,
                ly = H - 12.0,
                tx = lx + 14.0,
                ty = H - 3.0,
                name = html_escape(&s.name),
            );
            lx += 24.0 + 7.0 * s.name.chars().count() as f64;
        }
    }
    out += "</svg></figure>";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        for (v, want) in [
            (0.0, 1.0),
            (3.0, 5.0),
            (7.2, 10.0),
            (12.0, 20.0),
            (180.0, 200.0),
        ] {
            assert_eq!(nice_max(v), want, "{v}");
        }
    }

    #[test]
    fn a_chart_has_its_bars_labels_axes_and_target() {
        let svg = bar_chart(&Bars {
            id: "waits".into(),
            title: "Phân bố thời gian chờ".into(),
            x_label: "Phút chờ".into(),
            y_label: "Số phiếu".into(),
            labels: vec!["0–5".into(), "5–10".into(), "10–15".into()],
            series: vec![Series {
                name: "Số phiếu".into(),
                values: vec![4.0, 2.0, 0.0],
                fill: Fill::Solid,
            }],
            percent: false,
            marker: Some((2, "Mục tiêu 10 phút".into())),
        });
        assert_eq!(svg.matches("<rect").count(), 3);
        for s in [
            "Phút chờ",
            "Số phiếu",
            "5–10",
            "Mục tiêu 10 phút",
            "stroke-dasharray",
            ">4<",
        ] {
            assert!(svg.contains(s), "{s} in {svg}");
        }
        // The highest bar reaches the top of a 5-high axis at 4/5 of the plot.
        assert!(svg.contains(">5<"), "axis top 5: {svg}");
    }
}
