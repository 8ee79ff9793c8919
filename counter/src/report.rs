//! `counter report`: a [`motcua::report::Report`] as JSON (CONTRACT.md), CSV or an HTML page.

use motcua::report::{Figures, Group, Report};

use crate::pages::html_escape;

/// The output formats of `counter report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object: totals and per service, counter and officer.
    Json,
    /// One row per group: total, service, counter, officer.
    Csv,
    /// A page to read or print.
    Html,
}

/// The contract's JSON: `{"totals": {...}, "services": [...], "counters": [...], "officers": [...]}`.
pub fn to_json(r: &Report) -> String {
    serde_json::to_string_pretty(&motcua::api::Report::of(r)).expect("reports serialise")
}

fn rows(r: &Report) -> Vec<(&'static str, String, String, &Figures)> {
    let mut out = vec![("total", String::new(), String::new(), &r.totals)];
    for (kind, groups) in [
        ("service", &r.services),
        ("counter", &r.counters),
        ("officer", &r.officers),
    ] {
        out.extend(
            groups
                .iter()
                .map(|g| (kind, g.key.clone(), g.name.clone(), &g.figures)),
        );
    }
    out
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// CSV with a header line; empty cells where a mean has no tickets.
pub fn to_csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "group",
        "key",
        "name",
        "issued",
        "served",
        "no_show",
        "cancelled",
        "unfinished",
        "wait_mean_s",
        "service_mean_s",
        "rated",
        "satisfied_share",
        "rated_share",
        "rating_1",
        "rating_2",
        "rating_3",
        "rating_4",
        "rating_5",
    ])?;
    for (kind, key, name, f) in rows(r) {
        w.write_record([
            kind.to_string(),
            key,
            name,
            f.issued.to_string(),
            f.served.to_string(),
            f.no_show.to_string(),
            f.cancelled.to_string(),
            f.unfinished.to_string(),
            opt(f.wait_mean_s),
            opt(f.service_mean_s),
            f.rated.to_string(),
            opt(f.satisfied_share),
            opt(f.rated_share),
            f.rating_counts[0].to_string(),
            f.rating_counts[1].to_string(),
            f.rating_counts[2].to_string(),
            f.rating_counts[3].to_string(),
            f.rating_counts[4].to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
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
        out.push_str("<tr><td colspan=\"12\">Không có số liệu</td></tr>");
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

const HEAD: &str = "<th>Đã cấp</th><th>Đã phục vụ</th><th>Vắng mặt</th><th>Đã hủy</th><th>Chưa xong</th><th>Chờ trung bình (phút)</th><th>Phục vụ trung bình (phút)</th><th>Lượt đánh giá</th><th>Hài lòng</th><th>Tỉ lệ được đánh giá</th><th>Số lượt mức 1 / 2 / 3 / 4 / 5</th>";

fn cells(f: &Figures) -> String {
    format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        f.issued,
        f.served,
        f.no_show,
        f.cancelled,
        f.unfinished,
        minutes(f.wait_mean_s),
        minutes(f.service_mean_s),
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

/// A self-contained HTML page in Vietnamese.
pub fn to_html(r: &Report, office: &str) -> String {
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
{reasons}{services}{counters}{officers}
<p>“Chờ”: từ lúc lấy số đến lần gọi đầu tiên. “Phục vụ”: từ lúc bắt đầu (hoặc được gọi) đến lúc hoàn thành. “Hài lòng”: tỉ lệ đánh giá 4 hoặc 5 trên 5 (trên trang tra cứu số hoặc máy đánh giá tại quầy). “Tỉ lệ được đánh giá”: số phiếu được đánh giá trên số phiếu đã phục vụ.</p>
</body></html>"#,
        office = html_escape(office),
        totals = cells(&r.totals),
        reasons = reasons(&r.totals),
        services = table("Theo lĩnh vực", "Lĩnh vực", &r.services),
        counters = table("Theo quầy", "Quầy", &r.counters),
        officers = table("Theo cán bộ", "Cán bộ", &r.officers),
    )
}
