//! The server-rendered pages of `counter serve`: sign-in, the counter console and the
//! supervisor's monitor. Plain HTML with a little JavaScript; no build step.

use motcua::Config;

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `<option>`s for every service (transfer targets).
fn service_options(cfg: &Config) -> String {
    cfg.services
        .iter()
        .map(|sv| {
            format!(
                "<option value=\"{}\">{}</option>",
                sv.code,
                html_escape(&sv.name)
            )
        })
        .collect()
}

/// The sign-in form; `csrf` goes in a hidden field and a cookie (double submit). `message` says
/// why the last try was refused.
pub fn login(cfg: &Config, csrf: &str, message: Option<&str>) -> String {
    let options: String = cfg
        .counters
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{}\">{}</option>",
                c.number,
                html_escape(&c.name)
            )
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập – {office}</title>{STYLE}</head>
<body><main class="login"><h1>{office}</h1><h2>Đăng nhập quầy</h2>
<p id="message" role="alert">{message}</p>
<form method="post" action="/login">
<label>Tài khoản <input name="login" autocomplete="username" required autofocus></label>
<label>Mã PIN / mật khẩu <input name="pin" type="password" autocomplete="current-password" required></label>
<label>Quầy <select name="counter">{options}<option value="0">Giám sát (không ngồi quầy)</option></select></label>
<input type="hidden" name="csrf" value="{csrf}">
<button type="submit">Đăng nhập</button></form></main></body></html>"#,
        office = html_escape(&cfg.office.name),
        message = html_escape(message.unwrap_or("")),
    )
}

/// A short page with one message (e.g. a refusal).
pub fn message(cfg: &Config, text: &str) -> String {
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{office}</title>{STYLE}</head>
<body><main class="login"><h1>{office}</h1><p id="message">{text}</p><p><a href="/login">Đăng nhập</a></p></main></body></html>"#,
        office = html_escape(&cfg.office.name),
        text = html_escape(text),
    )
}

/// The header bar with the sign-out form (its CSRF token as a field).
pub(crate) fn header(title: &str, login: &str, csrf: &str, extra: &str) -> String {
    format!(
        r#"<header><h1>{title}</h1><span>Cán bộ: {login}</span>{extra}
<form method="post" action="/logout" id="logout"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="small">Đăng xuất</button></form></header>"#,
        title = html_escape(title),
        login = html_escape(login),
    )
}

/// The console of one counter.
pub fn console(
    cfg: &Config,
    counter: u32,
    login: &str,
    supervisor: bool,
    csrf: &str,
    weak_pin: bool,
) -> String {
    let name = cfg
        .counter(counter)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let extra = if supervisor {
        r#"<a href="/monitor" class="link">Giám sát</a>"#
    } else {
        ""
    };
    let weak = if weak_pin {
        r#"<p class="warn" id="weak-pin" role="alert">Mã PIN của bạn ngắn hơn 6 chữ số và sẽ không được chấp nhận khi đổi. Vui lòng nhờ cán bộ kỹ thuật đặt mã PIN mới (ít nhất 6 chữ số).</p>"#
    } else {
        ""
    };
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{counter} – {office}</title>
<meta name="csrf" content="{csrf}">{STYLE}</head><body>
{header}
<main>
{weak}{CLOCK_BANNER}<section class="current"><div class="label">Đang phục vụ</div><div id="number">—</div><div id="service"></div><div id="waited"></div><div id="status"></div></section>
<section class="buttons">
<button data-action="call" data-key="F1">Gọi số tiếp theo <kbd>F1</kbd></button>
<button data-action="recall" data-key="F2">Gọi lại <kbd>F2</kbd></button>
<button data-action="no-show" data-key="F3">Vắng mặt <kbd>F3</kbd></button>
<button data-action="finish" data-key="F4">Hoàn thành <kbd>F4</kbd></button>
<button data-action="transfer" data-key="F5">Chuyển <kbd>F5</kbd></button>
<select id="to" aria-label="Lĩnh vực chuyển đến">{services}</select>
<button data-action="call-number" data-key="F6">Gọi số… <kbd>F6</kbd></button>
<input id="num" aria-label="Số cần gọi" placeholder="Số">
<button data-action="hold" data-key="F7">Tạm giữ <kbd>F7</kbd></button>
<button data-action="pause" data-key="F8">Tạm dừng <kbd>F8</kbd></button>
<button data-action="resume" data-key="F9">Tiếp tục <kbd>F9</kbd></button>
</section>
<section><h2>Đang chờ</h2><ul id="waiting"></ul></section>
<p id="message" role="status"></p>
</main>
<script>
const csrf = document.querySelector('meta[name=csrf]').content;
const $ = id => document.getElementById(id);
function minutes(iso) {{ return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000)); }}
async function refresh() {{
  const r = await fetch('/api/counter');
  if (r.status === 401) {{ location.href = '/login'; return; }}
  if (!r.ok) return;
  const s = (await r.json()).state;
  $('number').textContent = s.ticket ? s.ticket.number : '—';
  $('service').textContent = s.ticket ? (s.ticket.service_name || '') + (s.ticket.priority ? ' · Ưu tiên' : '') : '';
  $('waited').textContent = s.ticket ? 'Đã chờ ' + minutes(s.ticket.issued_at) + ' phút' : '';
  $('status').textContent = s.paused ? 'Quầy đang tạm dừng' : '';
  $('waiting').innerHTML = '';
  for (const w of s.waiting) {{ const li = document.createElement('li'); li.textContent = w.name + ': ' + w.waiting; $('waiting').appendChild(li); }}
}}
async function act(action) {{
  const body = {{}};
  if (action === 'transfer') body.to = $('to').value;
  if (action === 'call-number') body.number = $('num').value;
  const r = await fetch('/api/counter/' + action, {{method: 'POST', headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': csrf}}, body: JSON.stringify(body)}});
  const j = await r.json();
  $('message').textContent = r.ok ? '' : j.error;
  if (r.ok && action === 'call' && !j.ticket) $('message').textContent = 'Không có công dân nào đang chờ';
  refresh();
}}
for (const b of document.querySelectorAll('button[data-action]')) b.addEventListener('click', () => act(b.dataset.action));
document.addEventListener('keydown', e => {{ const b = document.querySelector('button[data-key="' + e.key + '"]'); if (b) {{ e.preventDefault(); b.click(); }} }});
const es = new EventSource('/api/events');
for (const k of {EVENT_KINDS}) es.addEventListener(k, refresh);
refresh();
{CLOCK_JS}
</script></body></html>"#,
        counter = html_escape(&name),
        office = html_escape(&cfg.office.name),
        header = header(&name, login, csrf, extra),
        services = service_options(cfg),
    )
}

/// The supervisor's monitor: every counter, waiting per service, the waiting list with cancel
/// and transfer.
pub fn monitor(cfg: &Config, login: &str, csrf: &str) -> String {
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Giám sát – {office}</title>
<meta name="csrf" content="{csrf}">{STYLE}</head><body>
{header}
<main>
{CLOCK_BANNER}<section><h2>Các quầy</h2><table id="counters"><thead><tr><th>Quầy</th><th>Cán bộ</th><th>Đang phục vụ</th><th>Trạng thái</th></tr></thead><tbody></tbody></table></section>
<section><h2>Đang chờ theo lĩnh vực</h2><table id="services"><thead><tr><th>Lĩnh vực</th><th>Đang chờ</th><th>Chờ lâu nhất</th></tr></thead><tbody></tbody></table></section>
<section><h2>Danh sách chờ</h2><table id="tickets"><thead><tr><th>Số</th><th>Lĩnh vực</th><th>Ưu tiên</th><th>Đã chờ</th><th></th></tr></thead><tbody></tbody></table></section>
<p id="devices"></p>
<p id="message" role="status"></p>
<template id="to"><select aria-label="Lĩnh vực chuyển đến">{services}</select></template>
</main>
<script>
const csrf = document.querySelector('meta[name=csrf]').content;
const $ = id => document.getElementById(id);
function mins(s) {{ return s == null ? '—' : Math.floor(s / 60) + ' phút'; }}
function row(cells) {{ const tr = document.createElement('tr'); for (const c of cells) {{ const td = document.createElement('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); }} return tr; }}
async function act(id, action, body) {{
  const r = await fetch('/api/tickets/' + id + '/' + action, {{method: 'POST', headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': csrf}}, body: JSON.stringify(body)}});
  const j = await r.json();
  $('message').textContent = r.ok ? '' : j.error;
  refresh();
}}
async function refresh() {{
  const r = await fetch('/api/monitor');
  if (r.status === 401) {{ location.href = '/login'; return; }}
  if (!r.ok) return;
  const m = await r.json();
  const cb = document.querySelector('#counters tbody'); cb.innerHTML = '';
  for (const c of m.counters) cb.appendChild(row([c.name, c.officer || '—', c.ticket ? c.ticket.number : '—', c.paused ? 'Tạm dừng' : (c.officer ? 'Đang làm việc' : 'Chưa đăng nhập')]));
  const sb = document.querySelector('#services tbody'); sb.innerHTML = '';
  for (const s of m.services) sb.appendChild(row([s.name, s.waiting, mins(s.longest_wait_s)]));
  const tb = document.querySelector('#tickets tbody'); tb.innerHTML = '';
  for (const t of m.waiting) {{
    const tools = document.createElement('span');
    const cancel = document.createElement('button'); cancel.className = 'small'; cancel.textContent = 'Hủy số'; cancel.dataset.ticket = t.number;
    cancel.addEventListener('click', () => act(t.id, 'cancel', {{}}));
    const sel = $('to').content.firstElementChild.cloneNode(true); sel.value = t.service;
    const move = document.createElement('button'); move.className = 'small'; move.textContent = 'Chuyển';
    move.addEventListener('click', () => act(t.id, 'transfer', {{to: sel.value}}));
    tools.append(cancel, ' ', sel, ' ', move);
    const waited = Math.max(0, Math.round((Date.now() - Date.parse(t.issued_at)) / 60000)) + ' phút';
    tb.appendChild(row([t.number, t.service_name || t.service, t.priority ? 'Ưu tiên' : '', t.status === 'held' ? 'Tạm giữ' : waited, tools]));
  }}
  $('devices').textContent = m.devices.filter(d => d.status !== 'ok').map(d => 'Máy in: ' + d.status).join(' · ');
}}
const es = new EventSource('/api/events');
for (const k of {EVENT_KINDS}) es.addEventListener(k, refresh);
refresh();
{CLOCK_JS}
</script></body></html>"#,
        office = html_escape(&cfg.office.name),
        header = header(
            "Giám sát",
            login,
            csrf,
            r#"<a href="/reports" class="link">Báo cáo</a>"#
        ),
        services = service_options(cfg),
    )
}

/// Labels of the rating buttons, 1 to 5.
pub const RATINGS: [&str; 5] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
];

/// The citizen's status page of one ticket (reached from the QR code on the ticket): where it is
/// in the queue, where to go, and after service the rating buttons. `ahead`: tickets waiting
/// before it; `wait`: its estimated wait from now while it waits; `rating`: the citizen's
/// rating if given; `message`: why a rating was refused.
pub fn status(
    cfg: &Config,
    t: &motcua::Ticket,
    ahead: u32,
    wait: Option<motcua::estimate::Estimate>,
    rating: Option<u8>,
    message: Option<&str>,
) -> String {
    use motcua::Status;
    let counter = t
        .counter
        .map(|n| {
            cfg.counter(n)
                .map_or(format!("Quầy {n}"), |c| c.name.clone())
        })
        .unwrap_or_default();
    let (state, detail, live) = match t.status {
        Status::Waiting => (
            "Đang chờ".to_string(),
            {
                let mut d = if ahead == 0 {
                    "Quý công dân là người tiếp theo.".to_string()
                } else {
                    format!("Còn {ahead} người đang chờ trước quý công dân.")
                };
                match wait {
                    Some(motcua::estimate::Estimate::Minutes { high: 0, .. }) | None => {}
                    Some(w @ motcua::estimate::Estimate::Minutes { .. }) => {
                        d.push_str(&format!(" Dự kiến chờ thêm {w}."));
                    }
                    Some(w) => d.push_str(&format!(" Thời gian chờ: {}.", w.vi().to_lowercase())),
                }
                d
            },
            true,
        ),
        Status::Called => (
            format!("Mời đến {counter}"),
            "Đến lượt quý công dân, xin mời đến quầy.".to_string(),
            true,
        ),
        Status::Serving => (
            format!("Đang phục vụ tại {counter}"),
            String::new(),
            true,
        ),
        Status::Held => (
            "Tạm giữ".to_string(),
            "Hồ sơ đang tạm giữ, cán bộ sẽ gọi lại quý công dân.".to_string(),
            true,
        ),
        Status::Done => ("Đã hoàn thành".to_string(), String::new(), false),
        Status::NoShow => (
            "Vắng mặt".to_string(),
            "Quý công dân đã vắng mặt khi được gọi. Vui lòng liên hệ cán bộ tại quầy để được gọi lại."
                .to_string(),
            false,
        ),
        Status::Cancelled => ("Đã hủy".to_string(), "Số này đã bị hủy.".to_string(), false),
    };
    let rate = match (t.status, rating) {
        (Status::Done, Some(r)) => format!(
            "<p class=\"thanks\">Cảm ơn quý công dân đã đánh giá: {}.</p>",
            RATINGS[usize::from(r.clamp(1, 5)) - 1]
        ),
        (Status::Done, None) => {
            let buttons: String = RATINGS
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    format!(
                        "<button type=\"submit\" name=\"score\" value=\"{}\">{label}</button>",
                        i + 1
                    )
                })
                .collect();
            format!(
                "<h2>Quý công dân có hài lòng với việc tiếp nhận hồ sơ?</h2>\
                 <form method=\"post\" action=\"/t/{}/rate\" class=\"rate\">{buttons}</form>",
                html_escape(&t.token)
            )
        }
        _ => String::new(),
    };
    let service = cfg
        .service(&t.service)
        .map_or(t.service.clone(), |s| s.name.clone());
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>Số {number} – {office}</title>{STYLE}</head><body><main class="status">
<h1>{office}</h1><p>Số thứ tự</p><div id="number">{number}</div><p>{service} · {date}</p>
<h2 id="state">{state}</h2><p id="detail">{detail}</p>{rate}<p id="message" role="alert">{message}</p>
</main></body></html>"#,
        refresh = if live {
            "<meta http-equiv=\"refresh\" content=\"10\">"
        } else {
            ""
        },
        office = html_escape(&cfg.office.name),
        number = html_escape(&t.number),
        service = html_escape(&service),
        date = t.business_date.format("%d/%m/%Y"),
        state = html_escape(&state),
        detail = html_escape(&detail),
        message = html_escape(message.unwrap_or("")),
    )
}

/// Where the console and the monitor warn that the clock cannot be trusted.
const CLOCK_BANNER: &str = r#"<p class="warn" id="clock-warning" role="alert" hidden></p>"#;

/// Reads `/api/clock` now and every minute: the server's clock not synchronised, or this
/// computer's more than 2 minutes away from it (half the round trip allowed for), shows the
/// warning; otherwise it is hidden.
const CLOCK_JS: &str = r#"async function checkClock() {
  const sent = Date.now();
  const r = await fetch('/api/clock').catch(() => null);
  if (!r || !r.ok) return;
  const c = await r.json();
  const skew = (sent + Date.now()) / 2 - Date.parse(c.now);
  const w = document.getElementById('clock-warning');
  let text = '';
  if (c.synchronised === false) text = 'Đồng hồ hệ thống chưa đồng bộ: giờ của máy chủ có thể sai, giờ lấy số và thời gian chờ có thể bị ghi sai. Vui lòng báo cán bộ kỹ thuật.';
  else if (Math.abs(skew) > 120000) text = 'Đồng hồ hệ thống chưa đồng bộ: đồng hồ máy này ' + (skew > 0 ? 'nhanh ' : 'chậm ') + Math.round(Math.abs(skew) / 60000) + ' phút so với máy chủ.';
  w.textContent = text;
  w.hidden = !text;
}
checkClock();
setInterval(checkClock, 60000);"#;

/// Every SSE event kind the pages refresh on (a JSON array, so a JavaScript literal too).
pub const EVENT_KINDS: &str = r#"["issued","called","recalled","started","finished","no_show","held","unheld","reactivated","transferred","cancelled","voided","reprinted","changed"]"#;

pub(crate) const STYLE: &str = r#"<style>
body{font-family:"Noto Sans",sans-serif;margin:0;background:#f2f5f9;color:#111827}
header{background:#0b3d91;color:#fff;display:flex;gap:24px;align-items:center;padding:12px 24px}
header h1{margin:0;font-size:32px}header form{margin-left:auto}header a.link{color:#fff}
main{padding:24px;max-width:1100px}
.warn{background:#fff4e5;border-left:6px solid #b45309;padding:12px 16px;font-size:20px;color:#7c2d12}
.current{background:#fff;border-radius:12px;padding:16px;margin-bottom:16px}
#number{font-size:96px;font-weight:700;color:#1b5e20}
.buttons{display:flex;flex-wrap:wrap;gap:12px;align-items:center}
button{font-size:22px;padding:14px 20px;border-radius:10px;border:0;background:#0b4f9c;color:#fff;cursor:pointer}
button.small{font-size:16px;padding:8px 12px;background:#374151}
kbd{font-size:14px;background:#ffffff33;border-radius:4px;padding:2px 6px}
select,input{font-size:20px;padding:10px}
table{border-collapse:collapse;background:#fff;width:100%}td,th{border-bottom:1px solid #d1d5db;padding:8px;text-align:left;font-size:18px}
table select{font-size:16px;padding:6px}
.status{max-width:520px;margin:0 auto;padding:16px}.status #number{font-size:72px}
.rate button{display:block;width:100%;margin:8px 0}.thanks{font-size:20px;color:#1b5e20}
.login{max-width:420px;margin:60px auto;background:#fff;padding:24px;border-radius:12px}
.login label{display:block;margin:12px 0}.login input,.login select{width:100%;box-sizing:border-box}
#message{color:#b71c1c;font-size:20px}
</style>"#;
