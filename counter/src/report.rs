//! `counter report`: a [`motcua::report::Report`] as JSON (CONTRACT.md), CSV or an HTML page.

use motcua::report::{Figures, Group, Report};

use crate::pages::html_escape;

/// The output formats of `counter report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object: totals and per service, counter and officer.
    Json,
    /// One row per group (total, service, counter, officer, priority class): UTF-8 with a
    /// byte-order mark, Vietnamese headers.
    Csv,
    /// The same rows as an Excel workbook.
    Xlsx,
    /// A page to read or print.
    Html,
}

/// The contract's JSON: `{"totals": {...}, "services": [...], "counters": [...], "officers": [...]}`.
pub fn to_json(r: &Report) -> String {
    serde_json::to_string_pretty(&motcua::api::Report::of(r)).expect("reports serialise")
}

/// The groups of a report in the order the exports list them: (kind in Vietnamese, key, name,
/// figures).
fn rows(r: &Report) -> Vec<(&'static str, String, String, &Figures)> {
    let mut out = vec![("Tổng cộng", String::new(), String::new(), &r.totals)];
    for (kind, groups) in [
        ("Lĩnh vực", &r.services),
        ("Quầy", &r.counters),
        ("Cán bộ", &r.officers),
        ("Đối tượng", &r.priorities),
    ] {
        out.extend(
            groups
                .iter()
                .map(|g| (kind, g.key.clone(), g.name.clone(), &g.figures)),
        );
    }
    out
}

/// One cell of an export.
enum Cell {
    Text(String),
    Count(u32),
    /// Empty when there is nothing to measure.
    Number(Option<f64>),
}

/// A time in seconds as minutes with one decimal (what offices read).
fn to_minutes(s: Option<f64>) -> Cell {
    Cell::Number(s.map(|s| (s / 60.0 * 10.0).round() / 10.0))
}

/// The exports' columns after group, key and name: the Vietnamese header and the cell.
#[allow(clippy::type_complexity)]
const COLUMNS: [(&str, fn(&Figures) -> Cell); 22] = [
    ("Đã cấp", |f| Cell::Count(f.issued)),
    ("Đã phục vụ", |f| Cell::Count(f.served)),
    ("Vắng mặt", |f| Cell::Count(f.no_show)),
    ("Đã hủy", |f| Cell::Count(f.cancelled)),
    ("Chưa xong", |f| Cell::Count(f.unfinished)),
    ("Chờ trung bình (phút)", |f| to_minutes(f.wait_mean_s)),
    ("Chờ trung vị (phút)", |f| to_minutes(f.wait_p50_s)),
    ("Chờ P90 (phút)", |f| to_minutes(f.wait_p90_s)),
    ("Chờ lâu nhất (phút)", |f| to_minutes(f.wait_max_s)),
    ("Tỉ lệ gọi trong thời gian chờ mục tiêu", |f| {
        Cell::Number(f.within_target_share)
    }),
    ("Phục vụ trung bình (phút)", |f| {
        to_minutes(f.service_mean_s)
    }),
    ("Phục vụ trung vị (phút)", |f| {
        to_minutes(f.service_p50_s)
    }),
    ("Phục vụ P90 (phút)", |f| to_minutes(f.service_p90_s)),
    ("Lượt đánh giá", |f| Cell::Count(f.rated)),
    ("Tỉ lệ hài lòng", |f| Cell::Number(f.satisfied_share)),
    ("Tỉ lệ được đánh giá", |f| {
        Cell::Number(f.rated_share)
    }),
    ("Mức 1", |f| Cell::Count(f.rating_counts[0])),
    ("Mức 2", |f| Cell::Count(f.rating_counts[1])),
    ("Mức 3", |f| Cell::Count(f.rating_counts[2])),
    ("Mức 4", |f| Cell::Count(f.rating_counts[3])),
    ("Mức 5", |f| Cell::Count(f.rating_counts[4])),
    ("Lý do chưa hài lòng", |f| {
        let mut list: Vec<(&String, &u32)> = f.reasons.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        Cell::Text(
            list.iter()
                .map(|(r, n)| format!("{r} ({n})"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }),
];

/// The header row of the exports.
fn header() -> Vec<&'static str> {
    let mut h = vec!["Nhóm", "Mã", "Tên"];
    h.extend(COLUMNS.iter().map(|(name, _)| *name));
    h.extend(["Từ ngày", "Đến ngày"]);
    h
}

/// Every row of the exports as cells, the period in the last two.
fn table_rows(r: &Report) -> Vec<Vec<Cell>> {
    rows(r)
        .into_iter()
        .map(|(kind, key, name, f)| {
            let mut row = vec![
                Cell::Text(kind.to_string()),
                Cell::Text(key),
                Cell::Text(name),
            ];
            row.extend(COLUMNS.iter().map(|(_, cell)| cell(f)));
            row.push(Cell::Text(r.from.to_string()));
            row.push(Cell::Text(r.to.to_string()));
            row
        })
        .collect()
}

/// The byte-order mark that makes Excel read a CSV file as UTF-8.
pub const UTF8_BOM: &str = "\u{feff}";

/// CSV in UTF-8 with a byte-order mark (opens right in Excel) and Vietnamese headers; times in
/// minutes, shares from 0 to 1, empty cells where there is nothing to measure.
pub fn to_csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header())?;
    for row in table_rows(r) {
        w.write_record(row.into_iter().map(|c| match c {
            Cell::Text(t) => t,
            Cell::Count(n) => n.to_string(),
            Cell::Number(v) => v.map_or(String::new(), |v| v.to_string()),
        }))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(format!(
        "{UTF8_BOM}{}",
        String::from_utf8(bytes).expect("CSV of UTF-8 strings")
    ))
}

/// The same table as an Excel workbook (one sheet, "Báo cáo"), with numbers as numbers.
pub fn to_xlsx(r: &Report, office: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Báo cáo")?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, format!("Báo cáo tiếp nhận – {office}"), &bold)?;
    for (c, h) in header().iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    for (i, row) in table_rows(r).into_iter().enumerate() {
        let at = i as u32 + 2;
        for (c, cell) in row.into_iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(at, c, t)?;
                }
                Cell::Count(n) => {
                    sheet.write_number(at, c, f64::from(n))?;
                }
                Cell::Number(Some(v)) => {
                    sheet.write_number(at, c, v)?;
                }
                Cell::Number(None) => {}
            }
        }
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(2, 34)?;
    sheet.set_freeze_panes(2, 3)?;
    book.save_to_buffer()
}

fn minutes(s: Option<f64>) -> String {
    s.map_or("—".into(), |s| format!("{:.1}", s / 60.0))
}

fn table(title: &str, first: &str, groups: &[Group]) -> String {
    let mut out = format!(
        "<h2>{title}</h2><table><thead><tr><th>{first}</th>{HEAD}</tr></thead><tbody>",
        title = html_escape(title),
        first = html_escape(first),
    );
    if groups.is_empty() {
        out.push_str("<tr><td colspan=\"13\">Không có số liệu</td></tr>");
    }
    for g in groups {
        out.push_str(&format!(
            "<tr><td>{}</td>{}</tr>",
            html_escape(&g.name),
            cells(&g.figures)
        ));
    }
    out.push_str("</tbody></table>");
    out
}

const HEAD: &str = "<th>Đã cấp</th><th>Đã phục vụ</th><th>Vắng mặt</th><th>Đã hủy</th><th>Chưa xong</th><th>Chờ trung bình / trung vị / P90 / lâu nhất (phút)</th><th>Gọi trong thời gian mục tiêu</th><th>Phục vụ trung bình / trung vị / P90 (phút)</th><th>Lượt đánh giá</th><th>Hài lòng</th><th>Tỉ lệ được đánh giá</th><th>Số lượt mức 1 / 2 / 3 / 4 / 5</th>";

fn cells(f: &Figures) -> String {
    format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {} / {} / {}</td><td>{}</td><td>{} / {} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        f.issued,
        f.served,
        f.no_show,
        f.cancelled,
        f.unfinished,
        minutes(f.wait_mean_s),
        minutes(f.wait_p50_s),
        minutes(f.wait_p90_s),
        minutes(f.wait_max_s),
        percent(f.within_target_share),
        minutes(f.service_mean_s),
        minutes(f.service_p50_s),
        minutes(f.service_p90_s),
        f.rated,
        percent(f.satisfied_share),
        percent(f.rated_share),
        f.rating_counts.map(|n| n.to_string()).join(" / "),
    )
}

fn percent(share: Option<f64>) -> String {
    share.map_or("—".into(), |s| format!("{:.0} %", s * 100.0))
}

/// The reasons given with low marks, most frequent first.
fn reasons(f: &Figures) -> String {
    if f.reasons.is_empty() {
        return String::new();
    }
    let mut list: Vec<(&String, &u32)> = f.reasons.iter().collect();
    list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rows: String = list
        .into_iter()
        .map(|(r, n)| format!("<tr><td>{}</td><td>{n}</td></tr>", html_escape(r)))
        .collect();
    format!(
        "<h2>Lý do chưa hài lòng</h2><table><thead><tr><th>Lý do</th><th>Số lượt</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// A self-contained HTML page in Vietnamese; `target_minutes`: `[queue] target_wait_minutes`.
pub fn to_html(r: &Report, office: &str, target_minutes: u64) -> String {
    let period = if r.from == r.to {
        format!("Ngày {}", r.from.format("%d/%m/%Y"))
    } else {
        format!(
            "Từ ngày {} đến ngày {}",
            r.from.format("%d/%m/%Y"),
            r.to.format("%d/%m/%Y")
        )
    };
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Báo cáo – {office}</title>
<style>body{{font-family:"Noto Sans",sans-serif;margin:24px;color:#111827}}table{{border-collapse:collapse;margin-bottom:24px}}td,th{{border:1px solid #d1d5db;padding:6px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style></head>
<body><h1>Báo cáo tiếp nhận – {office}</h1><p>{period}</p>
<h2>Tổng cộng</h2><table><thead><tr>{HEAD}</tr></thead><tbody><tr>{totals}</tr></tbody></table>
{reasons}{services}{counters}{officers}{priorities}
<p>“Chờ”: từ lúc lấy số đến lần gọi đầu tiên; trung vị: một nửa số phiếu chờ không quá mức này; P90: chín phần mười số phiếu chờ không quá mức này. “Gọi trong thời gian mục tiêu”: tỉ lệ phiếu được gọi trong thời gian chờ mục tiêu ({target} phút, hoặc mức riêng của lĩnh vực). “Phục vụ”: từ lúc bắt đầu (hoặc được gọi) đến lúc hoàn thành. “Hài lòng”: tỉ lệ đánh giá 4 hoặc 5 trên 5 (trên trang tra cứu số hoặc máy đánh giá tại quầy). “Tỉ lệ được đánh giá”: số phiếu được đánh giá trên số phiếu đã phục vụ.</p>
</body></html>"#,
        office = html_escape(office),
        totals = cells(&r.totals),
        reasons = reasons(&r.totals),
        services = table("Theo lĩnh vực", "Lĩnh vực", &r.services),
        counters = table("Theo quầy", "Quầy", &r.counters),
        officers = table("Theo cán bộ", "Cán bộ", &r.officers),
        priorities = table("Theo đối tượng", "Đối tượng", &r.priorities),
        target = target_minutes,
    )
}
