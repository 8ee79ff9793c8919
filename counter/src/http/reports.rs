//! The supervisor's reports: `GET /reports` (the page: period, filters, figures, charts) and
//! `GET /reports/export?format=csv|xlsx|json` (the same figures as a file). Supervisors only.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate, TimeDelta};
use motcua::report::Filter;

use super::AppState;
use super::auth::Session;
use super::extract::PageUser;
use crate::pages;
use crate::report::{Choices, PageQuery};

/// The longest period one report covers.
const MAX_DAYS: i64 = 366;

/// `?range=today|week|month&from=…&to=…&service=…&counter=…&officer=…&priority=…&format=…`;
/// every field optional, all text (a bad value is a clear message, not a bare 400).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Params {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    service: Option<String>,
    counter: Option<String>,
    officer: Option<String>,
    priority: Option<String>,
    weekday: Option<String>,
    format: Option<String>,
}

/// A value given and not empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The period and filters asked for, or what is wrong with them (in Vietnamese).
fn resolve(p: &Params, today: NaiveDate, cfg: &motcua::Config) -> Result<PageQuery, String> {
    let day = |v: &str, what: &str| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| format!("{what} “{v}” không phải một ngày (YYYY-MM-DD)"))
    };
    let (from, to) = match (given(&p.range), given(&p.from), given(&p.to)) {
        (Some("today"), _, _) => (today, today),
        (Some("week"), _, _) => (
            today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday())),
            today,
        ),
        (Some("month"), _, _) | (None, None, None) => (today.with_day(1).unwrap_or(today), today),
        (Some(other), _, _) => return Err(format!("Khoảng thời gian “{other}” không hợp lệ")),
        (None, from, to) => {
            let from = from.map(|v| day(v, "Từ ngày")).transpose()?;
            let to = to.map(|v| day(v, "Đến ngày")).transpose()?;
            (from.or(to).unwrap_or(today), to.or(from).unwrap_or(today))
        }
    };
    if from > to {
        return Err("“Từ ngày” phải trước hoặc bằng “Đến ngày”".into());
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(format!("Một báo cáo gồm tối đa {MAX_DAYS} ngày"));
    }
    let service = given(&p.service).map(str::to_string);
    if let Some(s) = &service
        && cfg.service(s).is_err()
    {
        return Err(format!("Không có lĩnh vực “{s}”"));
    }
    let counter = given(&p.counter)
        .map(|c| {
            c.parse::<u32>()
                .ok()
                .filter(|n| cfg.counter(*n).is_ok())
                .ok_or_else(|| format!("Không có quầy “{c}”"))
        })
        .transpose()?;
    let priority = match given(&p.priority) {
        None => None,
        Some("normal") => Some(None),
        Some(code) if cfg.priority(code).is_ok() => Some(Some(code.to_string())),
        Some(code) => return Err(format!("Không có đối tượng ưu tiên “{code}”")),
    };
    // 2 (Thứ Hai) to 8 (Chủ nhật), as offices number the days.
    let weekday = given(&p.weekday)
        .map(|w| {
            w.parse::<u8>()
                .ok()
                .filter(|n| (2..=8).contains(n))
                .map(|n| chrono::Weekday::try_from(n - 2).expect("0..=6"))
                .ok_or_else(|| format!("Thứ “{w}” không hợp lệ (2 đến 8)"))
        })
        .transpose()?;
    let filter = Filter {
        service,
        counter,
        officer: given(&p.officer).map(str::to_string),
        priority,
        weekday,
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("from", &from.to_string());
    query.append_pair("to", &to.to_string());
    for (k, v) in [
        ("service", given(&p.service)),
        ("counter", given(&p.counter)),
        ("officer", given(&p.officer)),
        ("priority", given(&p.priority)),
        ("weekday", given(&p.weekday)),
    ] {
        if let Some(v) = v {
            query.append_pair(k, v);
        }
    }
    let query = query.finish();
    Ok(PageQuery {
        from,
        to,
        filter,
        query,
    })
}

fn refused(st: &AppState, code: StatusCode, message: &str) -> Response {
    (code, Html(pages::message(&st.cfg, message))).into_response()
}

/// The report of `q` and the tickets it counts, read off the executor.
async fn build(
    st: &AppState,
    q: &PageQuery,
) -> Result<
    (
        motcua::report::Report,
        Vec<motcua::store::ReportRow>,
        Choices,
    ),
    Response,
> {
    let (from, to, filter) = (q.from, q.to, q.filter.clone());
    let read = st
        .read(move |s| {
            let rows: Vec<_> = s
                .report_rows(from, to)?
                .into_iter()
                .filter(|r| filter.keeps(r))
                .collect();
            Ok((rows, s.officers()?))
        })
        .await;
    match read {
        Ok((rows, officers)) => {
            let mut r = motcua::report::build(&rows, &st.cfg, q.from, q.to);
            r.name_officers(&officers);
            let choices = Choices {
                officers: officers
                    .iter()
                    .map(|o| (o.login.clone(), o.display_name().to_string()))
                    .collect(),
            };
            Ok((r, rows, choices))
        }
        Err(e) => Err(refused(st, e.status, &e.message)),
    }
}

/// Why a request is refused: the status and the message for the page.
type Refusal = (StatusCode, String);

/// Today's service day for a supervisor; anyone else is refused.
fn supervisor_today(st: &AppState, s: &Session) -> Result<NaiveDate, Refusal> {
    if !s.is_supervisor() {
        return Err((
            StatusCode::FORBIDDEN,
            "Chỉ cán bộ giám sát được xem báo cáo".into(),
        ));
    }
    Ok(motcua::queue::business_date(
        st.now(),
        st.cfg.office.timezone,
        st.cfg.office.reset_at,
    ))
}

/// What a supervisor asked for, resolved; a refusal page otherwise.
fn asked(st: &AppState, s: &Session, p: &Params) -> Result<PageQuery, Refusal> {
    let today = supervisor_today(st, s)?;
    resolve(p, today, &st.cfg).map_err(|m| (StatusCode::BAD_REQUEST, m))
}

/// `GET /reports`.
pub(super) async fn page(
    State(st): State<AppState>,
    PageUser(s): PageUser,
    Query(p): Query<Params>,
) -> Response {
    let q = match asked(&st, &s, &p) {
        Ok(q) => q,
        Err((code, m)) => return refused(&st, code, &m),
    };
    match build(&st, &q).await {
        Ok((r, rows, choices)) => Html(crate::report::page(
            &st.cfg, &r, &rows, &q, &choices, &s.login, &s.csrf,
        ))
        .into_response(),
        Err(resp) => resp,
    }
}

/// `GET /reports/export?format=csv|xlsx|json&…`: the page's figures as a file.
pub(super) async fn export(
    State(st): State<AppState>,
    PageUser(s): PageUser,
    Query(p): Query<Params>,
) -> Response {
    let q = match asked(&st, &s, &p) {
        Ok(q) => q,
        Err((code, m)) => return refused(&st, code, &m),
    };
    let (r, _, _) = match build(&st, &q).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let name = format!("bao-cao-{}-{}", q.from, q.to);
    let (body, kind, ext) = match given(&p.format) {
        Some("csv") => match crate::report::to_csv(&r) {
            Ok(t) => (t.into_bytes(), "text/csv; charset=utf-8", "csv"),
            Err(e) => return refused(&st, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Some("xlsx") => match crate::report::to_xlsx(&r, &st.cfg.office.name) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return refused(&st, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Some("json") => (
            crate::report::to_json(&r).into_bytes(),
            "application/json",
            "json",
        ),
        _ => {
            return refused(
                &st,
                StatusCode::BAD_REQUEST,
                "Định dạng tải về là csv, xlsx hoặc json",
            );
        }
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `?officer=LOGIN&month=YYYY-MM` of the monthly sheet.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct SheetParams {
    officer: Option<String>,
    month: Option<String>,
}

/// `GET /reports/sheet?officer=LOGIN&month=YYYY-MM`: one officer's monthly sheet ("Phiếu
/// tổng hợp tháng"), printable; the current month by default.
pub(super) async fn sheet(
    State(st): State<AppState>,
    PageUser(s): PageUser,
    Query(p): Query<SheetParams>,
) -> Response {
    let today = match supervisor_today(&st, &s) {
        Ok(d) => d,
        Err((code, m)) => return refused(&st, code, &m),
    };
    let month = match given(&p.month) {
        None => today.with_day(1).unwrap_or(today),
        Some(m) => match NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                return refused(
                    &st,
                    StatusCode::BAD_REQUEST,
                    &format!("Tháng “{m}” không hợp lệ (YYYY-MM)"),
                );
            }
        },
    };
    let Some(login) = given(&p.officer).map(str::to_string) else {
        return refused(&st, StatusCode::BAD_REQUEST, "Vui lòng chọn cán bộ");
    };
    let last = month
        .checked_add_months(chrono::Months::new(1))
        .map_or(month, |next| next - TimeDelta::days(1));
    let read = st
        .read(move |s| {
            let officers = s.officers()?;
            let rows = s.report_rows(month, last)?;
            Ok((officers, rows))
        })
        .await;
    let (officers, rows) = match read {
        Ok(v) => v,
        Err(e) => return refused(&st, e.status, &e.message),
    };
    let Some(officer) = officers.iter().find(|o| o.login == login) else {
        return refused(
            &st,
            StatusCode::BAD_REQUEST,
            &format!("Không có cán bộ “{login}”"),
        );
    };
    let r = motcua::report::build(&rows, &st.cfg, month, last);
    Html(crate::report::sheet(&st.cfg, &r, officer, month)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_filters_resolve_or_say_what_is_wrong() {
        let cfg = motcua::Config::parse(
            &motcua_testkit::OfficeToml::standard().build(),
            std::path::Path::new("motcua.toml"),
        )
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(); // a Friday
        let p = |pairs: &[(&str, &str)]| {
            let mut p = Params::default();
            for (k, v) in pairs {
                let v = Some(v.to_string());
                match *k {
                    "range" => p.range = v,
                    "from" => p.from = v,
                    "to" => p.to = v,
                    "service" => p.service = v,
                    "counter" => p.counter = v,
                    "priority" => p.priority = v,
                    "weekday" => p.weekday = v,
                    _ => unreachable!(),
                }
            }
            resolve(&p, today, &cfg)
        };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let q = p(&[]).unwrap();
        assert_eq!(
            (q.from, q.to),
            (d("2026-12-01"), today),
            "this month by default"
        );
        let q = p(&[("range", "week")]).unwrap();
        assert_eq!(q.from, d("2026-11-30"), "from Monday");
        let q = p(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("service", "TP"),
            ("priority", "normal"),
        ])
        .unwrap();
        assert_eq!((q.from, q.to), (d("2026-11-01"), d("2026-11-30")));
        assert_eq!(q.filter.service.as_deref(), Some("TP"));
        assert_eq!(q.filter.priority, Some(None));
        assert_eq!(
            q.query,
            "from=2026-11-01&to=2026-11-30&service=TP&priority=normal"
        );
        for (bad, says) in [
            (vec![("from", "01/11/2026")], "không phải một ngày"),
            (
                vec![("from", "2026-12-02"), ("to", "2026-12-01")],
                "phải trước",
            ),
            (
                vec![("from", "2024-01-01"), ("to", "2026-01-01")],
                "tối đa 366 ngày",
            ),
            (vec![("service", "XX")], "Không có lĩnh vực"),
            (vec![("counter", "9")], "Không có quầy"),
            (vec![("priority", "vip")], "Không có đối tượng"),
            (vec![("range", "year")], "không hợp lệ"),
            (vec![("weekday", "9")], "Thứ “9”"),
        ] {
            let e = p(&bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }
}
