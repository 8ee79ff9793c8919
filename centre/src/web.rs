//! The leaders' page: sign-in, every office live, a drill-down per office, and the report that
//! ranks offices (CSV and XLSX too). A province viewer sees every office; an office viewer only
//! the offices given to their account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use motcua::report::Figures;
use serde::{Deserialize, Serialize};

use crate::config::CentreConfig;
use crate::db;
use crate::ingest::States;

/// The session cookie's name.
const SESSION: &str = "motcua_centre";
/// The offices' time zone: every commune centre is in Vietnam.
const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// What the handlers share.
#[derive(Clone)]
pub struct App {
    /// The config.
    pub cfg: Arc<CentreConfig>,
    /// A PostgreSQL connection for reads.
    pub pg: Arc<tokio_postgres::Client>,
    /// The offices' live states.
    pub states: States,
    /// Signed-in leaders by session token.
    sessions: Arc<Mutex<HashMap<String, db::Leader>>>,
    /// Failed sign-ins per login: how many, and when the first of them was.
    failures: Arc<Mutex<HashMap<String, (u32, std::time::Instant)>>>,
}

/// Wrong passwords allowed per login within [`LOCKOUT`] before it is refused for the rest of it.
pub const MAX_FAILURES: u32 = 5;
/// The window of [`MAX_FAILURES`].
pub const LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl App {
    /// The handlers' shared state.
    pub fn new(cfg: Arc<CentreConfig>, pg: Arc<tokio_postgres::Client>, states: States) -> App {
        App {
            cfg,
            pg,
            states,
            sessions: Arc::default(),
            failures: Arc::default(),
        }
    }
}

/// The routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/api/offices", get(api_offices))
        .route("/api/figures", get(api_figures))
        .route("/office/{id}", get(office_page))
        .route("/report", get(report_page))
        .route("/report.csv", get(report_csv))
        .route("/report.xlsx", get(report_xlsx))
        .with_state(app)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    ))
}

const STYLE: &str = "body{font-family:'DejaVu Sans',sans-serif;margin:1rem;color:#222}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:right}\
th:first-child,td:first-child{text-align:left}tr.over td{background:#fde0e0}tr.over .wait{color:#b00000;font-weight:bold}\
.mark{color:#b00000;font-weight:bold}a{color:#0645ad}form.login{max-width:20rem}input{display:block;margin:.3rem 0 .8rem;font-size:1.1rem}";

/// The leader of the request's session.
fn leader(app: &App, headers: &HeaderMap) -> Option<db::Leader> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let token = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION)
        .map(|(_, v)| v)?;
    app.sessions.lock().expect("sessions").get(token).cloned()
}

fn sees(l: &db::Leader, office: &str) -> bool {
    l.role == "province" || l.offices.iter().any(|o| o == office)
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

async fn login_page() -> Html<String> {
    login_form(None)
}

fn login_form(message: Option<&str>) -> Html<String> {
    let msg = message
        .map(|m| format!("<p class=\"mark\">{}</p>", esc(m)))
        .unwrap_or_default();
    page(
        "Đăng nhập",
        &format!(
            "<h1>Đăng nhập</h1>{msg}<form class=\"login\" method=\"post\" action=\"/login\">\
             <label>Tên đăng nhập<input name=\"login\" id=\"login\" autocomplete=\"username\"></label>\
             <label>Mật khẩu<input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button id=\"signin\">Đăng nhập</button></form>"
        ),
    )
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(State(app): State<App>, Form(f): Form<LoginForm>) -> Response {
    let key = f.login.trim().to_string();
    {
        let mut failures = app.failures.lock().expect("failures");
        failures.retain(|_, (_, first)| first.elapsed() < LOCKOUT);
        if failures.get(&key).is_some_and(|(n, _)| *n >= MAX_FAILURES) {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                login_form(Some(
                    "Đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau 15 phút.",
                )),
            )
                .into_response();
        }
    }
    let found = match db::leader(&app.pg, f.login.trim()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot read leaders");
            return (StatusCode::SERVICE_UNAVAILABLE, "Lỗi cơ sở dữ liệu").into_response();
        }
    };
    let ok = found
        .as_ref()
        .is_some_and(|l| motcua::secret::verify(&f.password, &l.password_hash));
    let Some(l) = found.filter(|_| ok) else {
        app.failures
            .lock()
            .expect("failures")
            .entry(key)
            .or_insert((0, std::time::Instant::now()))
            .0 += 1;
        return (
            StatusCode::UNAUTHORIZED,
            login_form(Some("Sai tên đăng nhập hoặc mật khẩu.")),
        )
            .into_response();
    };
    let mut b = [0u8; 24];
    if getrandom::fill(&mut b).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let token: String = b.iter().map(|x| format!("{x:02x}")).collect();
    app.sessions
        .lock()
        .expect("sessions")
        .insert(token.clone(), l);
    (
        [(
            header::SET_COOKIE,
            format!("{SESSION}={token}; Path=/; HttpOnly; SameSite=Strict"),
        )],
        Redirect::to("/"),
    )
        .into_response()
}

/// One office's row on the live page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OfficeRow {
    /// Office id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether its state has reached the centre at all.
    pub reporting: bool,
    /// Waiting now.
    pub waiting: u32,
    /// Longest wait now, seconds.
    pub longest_wait_s: u32,
    /// Someone waits longer than their service's target.
    pub over_target: bool,
    /// Counters open.
    pub counters_open: u32,
    /// Counters paused.
    pub counters_paused: u32,
    /// Counters configured.
    pub counters_total: u32,
    /// Served today (from the events the centre holds).
    pub served_today: i64,
    /// Satisfied share of today's ratings (4–5 of 5).
    pub satisfied_share: Option<f64>,
    /// Seconds since the state was read at the office.
    pub state_age_s: Option<i64>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&TZ).date_naive()
}

async fn rows(app: &App, l: &db::Leader) -> anyhow::Result<Vec<OfficeRow>> {
    let day = today();
    let served: HashMap<String, (i64, i64, i64)> = app
        .pg
        .query(
            "SELECT t.office, COUNT(*) FILTER (WHERE t.status = 'done'), \
             COUNT(r.score), COUNT(r.score) FILTER (WHERE r.score >= 4) \
             FROM ticket t LEFT JOIN rating r ON r.office = t.office AND r.ticket_id = t.id \
             WHERE t.business_date = $1 GROUP BY t.office",
            &[&day],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect();
    let states = app.states.read().expect("states").clone();
    let now = chrono::Utc::now().timestamp_millis();
    Ok(app
        .cfg
        .offices
        .iter()
        .filter(|o| sees(l, &o.id))
        .map(|o| {
            let s = states.get(&o.id);
            let (served_today, rated, satisfied) = served.get(&o.id).copied().unwrap_or_default();
            OfficeRow {
                id: o.id.clone(),
                name: o.name.clone(),
                reporting: s.is_some(),
                waiting: s.map(|s| s.waiting()).unwrap_or(0),
                longest_wait_s: s.map(|s| s.longest_wait_s()).unwrap_or(0),
                over_target: s.is_some_and(|s| s.over_target()),
                counters_open: s.map(|s| s.counters_open).unwrap_or(0),
                counters_paused: s.map(|s| s.counters_paused).unwrap_or(0),
                counters_total: s.map(|s| s.counters_total).unwrap_or(0),
                served_today,
                satisfied_share: (rated > 0).then(|| satisfied as f64 / rated as f64),
                state_age_s: s.map(|s| (now - s.at) / 1000),
            }
        })
        .collect())
}

async fn api_offices(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(l) = leader(&app, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match rows(&app, &l).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the offices");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn home(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(l) = leader(&app, &headers) else {
        return to_login();
    };
    let body = format!(
        "<h1>{}</h1><p>Cán bộ: {} · <a href=\"/report\">Báo cáo so sánh</a> · \
         <span id=\"updated\"></span></p>\
         <table id=\"offices\"><thead><tr><th>Trung tâm</th><th>Đang chờ</th>\
         <th>Chờ lâu nhất</th><th>Quầy mở / tạm dừng</th><th>Đã phục vụ hôm nay</th>\
         <th>Hài lòng</th></tr></thead><tbody></tbody></table>\
         <p><span class=\"mark\">●</span> có công dân chờ quá thời gian mục tiêu.</p>\
         <script>{SCRIPT}</script>",
        esc(&app.cfg.name),
        esc(&l.login)
    );
    page(&app.cfg.name, &body).into_response()
}

/// Fills the table from `/api/offices` every 2 seconds.
const SCRIPT: &str = r#"
function mmss(s){var m=Math.floor(s/60);return m+" phút "+(s%60)+" giây";}
function esc(s){return String(s).replace(/[&<>"]/g,function(c){return {"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c];});}
function draw(rows){
  var b=document.querySelector('#offices tbody');var h='';
  rows.forEach(function(r){
    h+='<tr data-office="'+esc(r.id)+'" class="'+(r.over_target?'over':'')+'">'
     +'<td><a href="/office/'+encodeURIComponent(r.id)+'">'+esc(r.name)+'</a>'+(r.over_target?' <span class="mark">●</span>':'')+(r.reporting?'':' (chưa có dữ liệu)')+'</td>'
     +'<td class="waiting">'+r.waiting+'</td><td class="wait">'+mmss(r.longest_wait_s)+'</td>'
     +'<td class="counters">'+r.counters_open+' / '+r.counters_paused+' (của '+r.counters_total+')</td>'
     +'<td class="served">'+r.served_today+'</td>'
     +'<td class="satisfied">'+(r.satisfied_share==null?'—':Math.round(r.satisfied_share*100)+'%')+'</td></tr>';
  });
  b.innerHTML=h;document.getElementById('updated').textContent='Cập nhật '+new Date().toLocaleTimeString('vi-VN');
}
function tick(){fetch('/api/offices').then(function(r){if(r.status==401){location='/login';return null;}return r.json();}).then(function(rows){if(rows)draw(rows);}).catch(function(){}).finally(function(){setTimeout(tick,2000);});}
tick();
"#;

async fn office_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(l) = leader(&app, &headers) else {
        return to_login();
    };
    let Some(o) = app.cfg.office(&id).filter(|o| sees(&l, &o.id)) else {
        return (
            StatusCode::NOT_FOUND,
            page("Không tìm thấy", "<h1>Không có trung tâm này</h1>"),
        )
            .into_response();
    };
    let state = app.states.read().expect("states").get(&id).cloned();
    let day = today();
    let figures = match db::figures(&app.pg, &id, day, day).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "cannot compute figures");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut body = format!(
        "<p><a href=\"/\">← Tất cả trung tâm</a></p><h1>{}</h1>",
        esc(&o.name)
    );
    match &state {
        None => body.push_str("<p>Chưa nhận được trạng thái của trung tâm này.</p>"),
        Some(s) => {
            body.push_str(&format!(
                "<p>Quầy mở: {} · tạm dừng: {} · tổng số quầy: {}</p>\
                 <table id=\"services\"><thead><tr><th>Lĩnh vực</th><th>Đang chờ</th>\
                 <th>Chờ lâu nhất</th><th>Mục tiêu</th></tr></thead><tbody>",
                s.counters_open, s.counters_paused, s.counters_total
            ));
            for v in &s.services {
                let over = v.waiting > 0 && v.longest_wait_s > v.target_wait_s;
                body.push_str(&format!(
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"wait\">{} phút</td><td>{} phút</td></tr>",
                    if over { "over" } else { "" },
                    esc(&v.name),
                    v.waiting,
                    v.longest_wait_s / 60,
                    v.target_wait_s / 60
                ));
            }
            body.push_str("</tbody></table>");
        }
    }
    body.push_str(&format!(
        "<h2>Hôm nay</h2><p>Đã cấp số: {} · đã phục vụ: {} · vắng mặt: {} · gọi trong thời gian \
         mục tiêu: {} · hài lòng: {}</p><script>setTimeout(function(){{location.reload()}},5000)</script>",
        figures.issued,
        figures.served,
        figures.no_show,
        pct(figures.within_target_share),
        pct(figures.satisfied_share)
    ));
    page(&o.name, &body).into_response()
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn range(q: &Range) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |v: &Option<String>, what: &str| match v {
        None => Ok(today()),
        Some(s) => s
            .parse::<NaiveDate>()
            .map_err(|_| format!("Ngày {what} '{s}' không hợp lệ: viết dạng 2026-12-31.")),
    };
    let (from, to) = (parse(&q.from, "bắt đầu")?, parse(&q.to, "kết thúc")?);
    if from > to {
        return Err("Ngày bắt đầu sau ngày kết thúc.".into());
    }
    Ok((from, to))
}

/// One office in the report across offices.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OfficeFigures {
    /// Office id.
    pub office: String,
    /// Its name.
    pub name: String,
    /// Its figures over the range.
    pub figures: Figures,
}

async fn all_figures(
    app: &App,
    l: &db::Leader,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<OfficeFigures>> {
    let mut out = Vec::new();
    for o in app.cfg.offices.iter().filter(|o| sees(l, &o.id)) {
        out.push(OfficeFigures {
            office: o.id.clone(),
            name: o.name.clone(),
            figures: db::figures(&app.pg, &o.id, from, to).await?,
        });
    }
    // Ranked by the share called within target, then by the satisfied share.
    out.sort_by(|a, b| {
        let key = |f: &Figures| {
            (
                f.within_target_share.unwrap_or(-1.0),
                f.satisfied_share.unwrap_or(-1.0),
            )
        };
        key(&b.figures)
            .partial_cmp(&key(&a.figures))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

async fn report_data(
    app: &App,
    headers: &HeaderMap,
    q: &Range,
) -> Result<(NaiveDate, NaiveDate, Vec<OfficeFigures>), Response> {
    let Some(l) = leader(app, headers) else {
        return Err(StatusCode::UNAUTHORIZED.into_response());
    };
    let (from, to) = range(q).map_err(|m| (StatusCode::BAD_REQUEST, m).into_response())?;
    let figs = all_figures(app, &l, from, to).await.map_err(|e| {
        tracing::error!(error = %e, "cannot compute figures");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })?;
    Ok((from, to, figs))
}

async fn api_figures(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Range>,
) -> Response {
    match report_data(&app, &headers, &q).await {
        Ok((_, _, figs)) => Json(figs).into_response(),
        Err(r) => r,
    }
}

async fn report_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Range>,
) -> Response {
    if leader(&app, &headers).is_none() {
        return to_login();
    }
    let (from, to, figs) = match report_data(&app, &headers, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let qs = format!("?from={from}&to={to}");
    let mut body = format!(
        "<p><a href=\"/\">← Tất cả trung tâm</a></p><h1>Xếp hạng các trung tâm</h1>\
         <form method=\"get\"><label>Từ ngày <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>Đến ngày <input type=\"date\" name=\"to\" value=\"{to}\"></label><button>Xem</button></form>\
         <p><a href=\"/report.csv{qs}\">Tải CSV</a> · <a href=\"/report.xlsx{qs}\">Tải Excel</a></p>\
         <table id=\"ranking\"><thead><tr><th>Hạng</th><th>Trung tâm</th><th>Đã cấp số</th>\
         <th>Đã phục vụ</th><th>Gọi trong thời gian mục tiêu</th><th>Hài lòng</th></tr></thead><tbody>"
    );
    for (i, f) in figs.iter().enumerate() {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&f.name),
            f.figures.issued,
            f.figures.served,
            pct(f.figures.within_target_share),
            pct(f.figures.satisfied_share)
        ));
    }
    body.push_str("</tbody></table>");
    page("Xếp hạng các trung tâm", &body).into_response()
}

const COLUMNS: [&str; 8] = [
    "Hạng",
    "Mã trung tâm",
    "Trung tâm",
    "Đã cấp số",
    "Đã phục vụ",
    "Vắng mặt",
    "Tỉ lệ gọi trong thời gian mục tiêu",
    "Tỉ lệ hài lòng",
];

fn cells(i: usize, f: &OfficeFigures) -> [String; 8] {
    let share = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    [
        (i + 1).to_string(),
        f.office.clone(),
        f.name.clone(),
        f.figures.issued.to_string(),
        f.figures.served.to_string(),
        f.figures.no_show.to_string(),
        share(f.figures.within_target_share),
        share(f.figures.satisfied_share),
    ]
}

async fn report_csv(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Range>,
) -> Response {
    let (from, to, figs) = match report_data(&app, &headers, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut ok = w.write_record(COLUMNS).is_ok();
    for (i, f) in figs.iter().enumerate() {
        ok &= w.write_record(cells(i, f)).is_ok();
    }
    let Ok(bytes) = w.into_inner() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !ok {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    download(
        "text/csv; charset=utf-8",
        &format!("xep-hang-{from}-{to}.csv"),
        bytes,
    )
}

/// A file to download.
fn download(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn report_xlsx(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Range>,
) -> Response {
    let (from, to, figs) = match report_data(&app, &headers, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Xếp hạng")?;
        for (c, name) in COLUMNS.iter().enumerate() {
            sheet.write_string(0, c as u16, *name)?;
        }
        for (i, f) in figs.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_number(row, 0, (i + 1) as f64)?;
            sheet.write_string(row, 1, &f.office)?;
            sheet.write_string(row, 2, &f.name)?;
            sheet.write_number(row, 3, f.figures.issued)?;
            sheet.write_number(row, 4, f.figures.served)?;
            sheet.write_number(row, 5, f.figures.no_show)?;
            if let Some(v) = f.figures.within_target_share {
                sheet.write_number(row, 6, v)?;
            }
            if let Some(v) = f.figures.satisfied_share {
                sheet.write_number(row, 7, v)?;
            }
        }
        book.save_to_buffer()
    };
    match build() {
        Ok(bytes) => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("xep-hang-{from}-{to}.xlsx"),
            bytes,
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot write the workbook");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
