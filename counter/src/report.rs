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

/// "Ngày 24/11/2026" or "Từ ngày … đến ngày …".
fn period(r: &Report) -> String {
    if r.from == r.to {
        format!("Ngày {}", r.from.format("%d/%m/%Y"))
    } else {
        format!(
            "Từ ngày {} đến ngày {}",
            r.from.format("%d/%m/%Y"),
            r.to.format("%d/%m/%Y")
        )
    }
}

/// A self-contained HTML page in Vietnamese; `target_minutes`: `[queue] target_wait_minutes`.
pub fn to_html(r: &Report, office: &str, target_minutes: u64) -> String {
    let period = period(r);
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

/// What the report page was asked for, resolved: the days, the filters, and the form's values.
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    /// First service day.
    pub from: chrono::NaiveDate,
    /// Last service day.
    pub to: chrono::NaiveDate,
    /// The filters.
    pub filter: motcua::report::Filter,
    /// The query string that repeats this choice (for the export links).
    pub query: String,
}

/// Everything the page's filter lists offer.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Officers: login and the name shown.
    pub officers: Vec<(String, String)>,
}

fn option(value: &str, label: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        html_escape(value),
        if selected { " selected" } else { "" },
        html_escape(label)
    )
}

/// The supervisor's report page (`GET /reports`): the period and filters, the key figures,
/// the charts (inline SVG, drawn here) and the tables; print-friendly on A4.
pub fn page(
    cfg: &motcua::Config,
    r: &Report,
    rows: &[motcua::store::ReportRow],
    q: &PageQuery,
    choices: &Choices,
    login: &str,
    csrf: &str,
) -> String {
    use crate::charts::{Bars, Fill, Series, bar_chart};
    let f = &q.filter;
    let services: String = std::iter::once(option("", "Tất cả lĩnh vực", f.service.is_none()))
        .chain(
            cfg.services
                .iter()
                .map(|s| option(&s.code, &s.name, f.service.as_deref() == Some(&s.code))),
        )
        .collect();
    let counters: String = std::iter::once(option("", "Tất cả quầy", f.counter.is_none()))
        .chain(
            cfg.counters
                .iter()
                .map(|c| option(&c.number.to_string(), &c.name, f.counter == Some(c.number))),
        )
        .collect();
    let officers: String = std::iter::once(option("", "Tất cả cán bộ", f.officer.is_none()))
        .chain(
            choices
                .officers
                .iter()
                .map(|(login, name)| option(login, name, f.officer.as_deref() == Some(login))),
        )
        .collect();
    let priorities: String = [
        option("", "Tất cả đối tượng", f.priority.is_none()),
        option(
            "normal",
            motcua::report::NORMAL_VI,
            f.priority == Some(None),
        ),
    ]
    .into_iter()
    .chain(cfg.priorities.iter().map(|p| {
        option(
            &p.code,
            &p.name,
            f.priority
                .as_ref()
                .is_some_and(|x| x.as_deref() == Some(&p.code)),
        )
    }))
    .collect();

    let weekdays: String = std::iter::once(option("", "Mọi ngày", f.weekday.is_none()))
        .chain((0u8..7).map(|i| {
            let w = chrono::Weekday::try_from(i).expect("0..7");
            option(
                &(i + 2).to_string(),
                motcua::vi::weekday(w),
                f.weekday == Some(w),
            )
        }))
        .collect();
    let t = &r.totals;
    let card = |label: &str, value: String| {
        format!(
            "<div class=\"card\"><span>{}</span><b>{}</b></div>",
            html_escape(label),
            html_escape(&value)
        )
    };
    let target = cfg.queue.target_wait.as_secs() / 60;
    let cards = [
        card("Đã cấp", t.issued.to_string()),
        card("Đã phục vụ", t.served.to_string()),
        card("Vắng mặt", t.no_show.to_string()),
        card("Chờ trung vị", format!("{} phút", minutes(t.wait_p50_s))),
        card("Chờ P90", format!("{} phút", minutes(t.wait_p90_s))),
        card(
            &format!("Gọi trong {target} phút"),
            percent(t.within_target_share),
        ),
        card("Hài lòng", percent(t.satisfied_share)),
    ]
    .concat();

    let days = motcua::report::per_day(rows, r.from, r.to);
    let by_day = bar_chart(&Bars {
        id: "chart-days".into(),
        title: "Số phiếu đã cấp và đã phục vụ theo ngày".into(),
        x_label: "Ngày".into(),
        y_label: "Số phiếu".into(),
        labels: days
            .iter()
            .map(|(d, _, _)| d.format("%d/%m").to_string())
            .collect(),
        series: vec![
            Series {
                name: "Đã cấp".into(),
                values: days.iter().map(|d| f64::from(d.1)).collect(),
                fill: Fill::Outline,
            },
            Series {
                name: "Đã phục vụ".into(),
                values: days.iter().map(|d| f64::from(d.2)).collect(),
                fill: Fill::Solid,
            },
        ],
        percent: false,
        marker: None,
    });
    // Office hours: the hours with tickets, at least 7:00 to 17:00.
    let hours = motcua::report::per_hour(rows, cfg.office.timezone);
    let first = hours.iter().position(|h| h.0 > 0).unwrap_or(7).min(7);
    let last = hours.iter().rposition(|h| h.0 > 0).unwrap_or(16).max(16);
    let hour_labels: Vec<String> = (first..=last).map(|h| format!("{h}h")).collect();
    let arrivals = bar_chart(&Bars {
        id: "chart-arrivals".into(),
        title: "Số phiếu lấy theo giờ trong ngày".into(),
        x_label: "Giờ trong ngày".into(),
        y_label: "Số phiếu".into(),
        labels: hour_labels.clone(),
        series: vec![Series {
            name: "Số phiếu".into(),
            values: hours[first..=last].iter().map(|h| f64::from(h.0)).collect(),
            fill: Fill::Solid,
        }],
        percent: false,
        marker: None,
    });
    let hour_waits = bar_chart(&Bars {
        id: "chart-hour-waits".into(),
        title: "Thời gian chờ trung bình theo giờ lấy số (phút)".into(),
        x_label: "Giờ trong ngày".into(),
        y_label: "Phút chờ".into(),
        labels: hour_labels,
        series: vec![Series {
            name: "Phút chờ".into(),
            values: hours[first..=last]
                .iter()
                .map(|h| h.1.map_or(0.0, |s| (s / 60.0 * 10.0).round() / 10.0))
                .collect(),
            fill: Fill::Outline,
        }],
        percent: false,
        marker: None,
    });
    let bin = 5;
    let bins = 12;
    let histogram = motcua::report::wait_histogram(rows, bin, bins);
    let waits = bar_chart(&Bars {
        id: "chart-waits".into(),
        title: "Phân bố thời gian chờ".into(),
        x_label: "Phút chờ".into(),
        y_label: "Số phiếu".into(),
        labels: (0..bins)
            .map(|i| {
                let a = i as u32 * bin;
                if i + 1 == bins {
                    format!("≥{a}")
                } else {
                    format!("{a}–{}", a + bin)
                }
            })
            .collect(),
        series: vec![Series {
            name: "Số phiếu".into(),
            values: histogram.iter().map(|n| f64::from(*n)).collect(),
            fill: Fill::Solid,
        }],
        percent: false,
        marker: Some((
            (target as u32 / bin).min(bins as u32) as usize,
            format!("Mục tiêu {target} phút"),
        )),
    });
    let satisfied = bar_chart(&Bars {
        id: "chart-officers".into(),
        title: "Tỉ lệ hài lòng theo cán bộ".into(),
        x_label: "Cán bộ".into(),
        y_label: "Tỉ lệ hài lòng".into(),
        labels: r.officers.iter().map(|g| g.name.clone()).collect(),
        series: vec![Series {
            name: "Hài lòng".into(),
            values: r
                .officers
                .iter()
                .map(|g| g.figures.satisfied_share.unwrap_or(0.0))
                .collect(),
            fill: Fill::Solid,
        }],
        percent: true,
        marker: None,
    });

    let period = period(r);
    let export = |format: &str, label: &str| {
        format!(
            "<a class=\"button\" href=\"/reports/export?format={format}&amp;{}\">{label}</a>",
            html_escape(&q.query)
        )
    };
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Báo cáo – {office}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{style}{REPORT_STYLE}</head><body>
{header}
<main class="report">
<form method="get" action="/reports" id="filters" class="filters">
<p class="ranges"><a href="/reports?range=today">Hôm nay</a> · <a href="/reports?range=week">Tuần này</a> · <a href="/reports?range=month">Tháng này</a></p>
<label>Từ ngày <input type="date" name="from" value="{from}"></label>
<label>Đến ngày <input type="date" name="to" value="{to}"></label>
<label>Lĩnh vực <select name="service">{services}</select></label>
<label>Quầy <select name="counter">{counters}</select></label>
<label>Cán bộ <select name="officer">{officers}</select></label>
<label>Đối tượng <select name="priority">{priorities}</select></label>
<label>Thứ <select name="weekday">{weekdays}</select></label>
<button type="submit">Xem báo cáo</button>
</form>
<h1>Báo cáo tiếp nhận – {office}</h1><p id="period">{period}</p>
<p class="actions">{csv} {xlsx} {json} <button type="button" onclick="window.print()">In báo cáo</button></p>
<section class="cards" id="figures">{cards}</section>
<section class="charts">{by_day}{arrivals}{hour_waits}{waits}{satisfied}</section>
<h2>Tổng cộng</h2><table><thead><tr>{HEAD}</tr></thead><tbody><tr>{totals}</tr></tbody></table>
{reasons}{by_service}{by_counter}{by_officer}{sheets}{by_priority}
<p class="note">“Chờ”: từ lúc lấy số đến lần gọi đầu tiên; trung vị: một nửa số phiếu chờ không quá mức này; P90: chín phần mười số phiếu chờ không quá mức này. “Gọi trong thời gian mục tiêu”: tỉ lệ phiếu được gọi trong {target} phút (hoặc mức riêng của lĩnh vực). “Hài lòng”: tỉ lệ đánh giá 4 hoặc 5 trên 5.</p>
</main></body></html>"#,
        office = html_escape(&cfg.office.name),
        style = crate::pages::STYLE,
        header = crate::pages::header(
            "Báo cáo",
            login,
            csrf,
            r#"<a href="/monitor" class="link">Giám sát</a>"#
        ),
        from = r.from,
        to = r.to,
        csv = export("csv", "Tải CSV"),
        xlsx = export("xlsx", "Tải Excel"),
        json = export("json", "Tải JSON"),
        totals = cells(&r.totals),
        reasons = reasons(&r.totals),
        by_service = table("Theo lĩnh vực", "Lĩnh vực", &r.services),
        by_counter = table("Theo quầy", "Quầy", &r.counters),
        by_officer = table("Theo cán bộ", "Cán bộ", &r.officers),
        sheets = sheet_links(r),
        by_priority = table("Theo đối tượng", "Đối tượng", &r.priorities),
    )
}

/// Links to each officer's monthly sheet for the month the period starts in.
fn sheet_links(r: &Report) -> String {
    if r.officers.is_empty() {
        return String::new();
    }
    let month = r.from.format("%Y-%m");
    let links: String = r
        .officers
        .iter()
        .map(|g| {
            format!(
                "<li><a href=\"/reports/sheet?officer={}&amp;month={month}\">{}</a></li>",
                html_escape(&g.key),
                html_escape(&g.name)
            )
        })
        .collect();
    format!(
        "<section class=\"actions\" id=\"sheets\"><h2>Phiếu tổng hợp tháng {}</h2><ul>{links}</ul></section>",
        r.from.format("%m/%Y")
    )
}

/// The report page's own style: cards, charts two by two on screen, one column and no form on
/// paper (A4).
const REPORT_STYLE: &str = r#"<style>
main.report{max-width:1500px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:#fff;padding:12px 16px;border-radius:8px}
.filters label{display:flex;flex-direction:column;font-size:14px}.filters .ranges{width:100%;margin:0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:10px 16px;min-width:130px}
.card span{display:block;font-size:14px;color:#374151}.card b{font-size:28px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
figure.chart{margin:0;background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:8px}
figure.chart figcaption{font-weight:700;margin-bottom:4px}figure.chart svg{width:100%;height:auto}
table{border-collapse:collapse;margin-bottom:20px;background:#fff}td,th{border:1px solid #d1d5db;padding:5px 8px;text-align:right;font-size:14px}
td:first-child,th:first-child{text-align:left}a.button{margin-right:8px}
@page{size:A4;margin:12mm}
@media print{header,.filters,.actions{display:none}body{background:#fff}.charts{grid-template-columns:1fr}figure.chart,table{break-inside:avoid}.card{border-color:#000}}
</style>"#;

/// The median of the values present, for "the office's median" on the monthly sheet.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// "Phiếu tổng hợp tháng": one officer's month beside the median of the office's officers who
/// served that month. It states figures; it does not grade.
pub fn sheet(
    cfg: &motcua::Config,
    r: &Report,
    officer: &motcua::store::Officer,
    month: chrono::NaiveDate,
) -> String {
    let mine = r.officers.iter().find(|g| g.key == officer.login);
    let peers: Vec<&Figures> = r
        .officers
        .iter()
        .map(|g| &g.figures)
        .filter(|f| f.served > 0)
        .collect();
    let office_median = |get: &dyn Fn(&Figures) -> Option<f64>| {
        median(peers.iter().filter_map(|f| get(f)).collect())
    };
    type Get = fn(&Figures) -> Option<f64>;
    type Show = fn(Option<f64>) -> String;
    let lines: [(&str, Get, Show); 9] = [
        (
            "Số phiếu đã phục vụ",
            |f| Some(f64::from(f.served)),
            |v| v.map_or("—".into(), |v| format!("{v:.0}")),
        ),
        (
            "Số lượt vắng mặt",
            |f| Some(f64::from(f.no_show)),
            |v| v.map_or("—".into(), |v| format!("{v:.0}")),
        ),
        (
            "Thời gian phục vụ trung vị (phút)",
            |f| f.service_p50_s,
            minutes,
        ),
        (
            "Thời gian phục vụ trung bình (phút)",
            |f| f.service_mean_s,
            minutes,
        ),
        (
            "Thời gian chờ của công dân, trung vị (phút)",
            |f| f.wait_p50_s,
            minutes,
        ),
        (
            "Tỉ lệ gọi trong thời gian mục tiêu",
            |f| f.within_target_share,
            percent,
        ),
        (
            "Số lượt đánh giá",
            |f| Some(f64::from(f.rated)),
            |v| v.map_or("—".into(), |v| format!("{v:.0}")),
        ),
        ("Tỉ lệ hài lòng", |f| f.satisfied_share, percent),
        (
            "Thời gian rảnh giữa hai lượt, trung bình (phút)",
            |f| f.idle_mean_s,
            minutes,
        ),
    ];
    let rows: String = lines
        .iter()
        .map(|(label, get, show)| {
            format!(
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                html_escape(label),
                html_escape(&show(mine.and_then(|g| get(&g.figures)))),
                html_escape(&show(office_median(get))),
            )
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Phiếu tổng hợp tháng {m} – {name}</title>{style}<style>
main.sheet{{max-width:820px;background:#fff;margin:24px auto;padding:32px}}
main.sheet table{{border-collapse:collapse;width:100%}}main.sheet th,main.sheet td{{border:1px solid #9ca3af;padding:8px 10px}}
main.sheet td{{text-align:right}}main.sheet th{{text-align:left;font-weight:400}}main.sheet thead th{{font-weight:700;text-align:center}}
@page{{size:A4;margin:15mm}}@media print{{body{{background:#fff}}.actions{{display:none}}main.sheet{{margin:0;padding:0}}}}
</style></head><body><main class="sheet">
<p>{office}</p>
<h1>PHIẾU TỔNG HỢP THÁNG {m}</h1>
<p id="officer">Cán bộ: <b>{name}</b>{title}<br>Tài khoản: {login}</p>
<table id="sheet"><thead><tr><th>Chỉ số</th><th>Cán bộ</th><th>Trung vị của cơ quan ({peers} cán bộ)</th></tr></thead><tbody>{rows}</tbody></table>
<p class="note">Số liệu từ hệ thống xếp hàng trong tháng {m}, từ ngày {from} đến ngày {to}. “Trung vị của cơ quan”: mức ở giữa của các cán bộ có phục vụ trong tháng. Thời gian rảnh: từ lúc xong một lượt đến lượt gọi tiếp theo trong ngày, không tính khoảng nghỉ trên {brk} phút. Phiếu này nêu số liệu, không xếp loại.</p>
<p class="actions"><button type="button" onclick="window.print()">In phiếu</button> <a href="/reports">Về trang báo cáo</a></p>
</main></body></html>"#,
        m = month.format("%m/%Y"),
        style = crate::pages::STYLE,
        office = html_escape(&cfg.office.name),
        name = html_escape(officer.display_name()),
        title = officer
            .title
            .as_deref()
            .map(|t| format!(", {}", html_escape(t)))
            .unwrap_or_default(),
        login = html_escape(&officer.login),
        peers = peers.len(),
        from = r.from.format("%d/%m/%Y"),
        to = r.to.format("%d/%m/%Y"),
        brk = motcua::report::BREAK_AFTER_MINUTES,
    )
}
