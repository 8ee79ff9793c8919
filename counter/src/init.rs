//! `counter init`: the first run, in Vietnamese. It asks for the office's name, its services
//! (picked from the common fields of a one-stop office, or typed), its counters and what each
//! serves, the kiosk's printer and the first supervisor, then writes the config.
//!
//! Re-running it edits: every question offers the file's current answer, and what it does not
//! ask about (comments, `[status]`, `[[devices]]`, the printer's other keys…) is kept as it was,
//! because the file is edited with `toml_edit` rather than written anew. The result is checked
//! with the same validation every program uses before it replaces the file (atomically, keeping
//! its owner and mode). Answers are read line by line from standard input, so a script can pipe
//! them in; a bad answer is asked again.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use motcua::Config;
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

/// The config a new office starts from (the package's commented template).
const TEMPLATE: &str = include_str!("../../assets/debian/motcua.toml");

/// The fields a Trung tâm Phục vụ hành chính công of a xã/phường commonly serves: code, name.
pub const COMMON_SERVICES: [(&str, &str); 10] = [
    ("TP", "Tư pháp - Hộ tịch"),
    ("CT", "Chứng thực"),
    ("DD", "Đất đai"),
    ("XD", "Xây dựng - Giao thông"),
    ("KT", "Kinh tế - Hộ kinh doanh"),
    ("NN", "Nông nghiệp và Môi trường"),
    ("NV", "Nội vụ - Lao động"),
    ("BT", "Bảo trợ xã hội - Người có công"),
    ("VH", "Văn hóa - Giáo dục - Y tế"),
    ("CA", "Cư trú - Căn cước"),
];

/// The most counters `init` sets up (the config allows more, by hand).
const MAX_COUNTERS: u32 = 50;

thread_local! {
    /// Whether this run has written the config yet (for the message when answers run out).
    static WRITTEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Reads one answer line from standard input; `None` at its end.
fn read_line() -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_string()))
}

/// Asks `question` until `parse` accepts the answer; an empty answer takes `default`.
fn ask<T>(
    question: &str,
    default: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<T> {
    loop {
        match default {
            Some(d) if !d.is_empty() => print!("{question} [{d}]: "),
            _ => print!("{question}: "),
        }
        std::io::stdout().flush()?;
        let Some(line) = read_line()? else {
            let written = WRITTEN.with(std::cell::Cell::get);
            anyhow::bail!(
                "the answers ended before \"{}\"{}",
                question.trim(),
                if written {
                    " (the config was written; the supervisor was not saved)"
                } else {
                    ": nothing was written"
                }
            );
        };
        let answer = match (line.is_empty(), default) {
            (true, Some(d)) => d.to_string(),
            _ => line,
        };
        match parse(&answer) {
            Ok(v) => return Ok(v),
            Err(why) => println!("  ✗ {why}. Vui lòng nhập lại."),
        }
    }
}

/// A list of numbers 1..=`max` ("1, 3,4"), in the order given, without repeats.
fn numbers(answer: &str, max: usize) -> Result<Vec<usize>, String> {
    let mut picked = Vec::new();
    for part in answer.split([',', ' ']).filter(|p| !p.is_empty()) {
        let n: usize = part
            .parse()
            .map_err(|_| format!("'{part}' không phải là số"))?;
        if !(1..=max).contains(&n) {
            return Err(format!("{n} không có trong danh sách (1 đến {max})"));
        }
        if !picked.contains(&n) {
            picked.push(n);
        }
    }
    if picked.is_empty() {
        return Err("cần chọn ít nhất một".into());
    }
    Ok(picked)
}

/// A service code from a name: the initials of its words without diacritics ("Quốc phòng - An
/// ninh" → "QPAN", at most 4), then a digit if it is taken.
fn code_for(name: &str, taken: &[String]) -> String {
    let folded = motcua::vi::fold(name).to_ascii_uppercase();
    let mut code: String = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.chars().next())
        .take(4)
        .collect();
    if code.is_empty() {
        code = "DV".into();
    }
    if !taken.contains(&code) {
        return code;
    }
    code.truncate(3);
    (1..)
        .map(|i| format!("{code}{}", i % 10))
        .find(|c| !taken.contains(c))
        .expect("a free code")
}

/// One service as the config will have it.
#[derive(Debug, Clone)]
struct Service {
    code: String,
    name: String,
}

/// Runs the questions for the config at `path`, writes it, and adds (or re-sets) the first
/// supervisor in the database it names.
pub fn run(path: &Path, kiosk_printers: Option<String>) -> anyhow::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let current = existing
        .as_deref()
        .and_then(|t| Config::parse(t, path).ok());
    let mut doc: DocumentMut = match &existing {
        Some(text) => text
            .parse()
            .with_context(|| format!("{} is not TOML: fix it or move it away", path.display()))?,
        None => {
            let mut d: DocumentMut = TEMPLATE.parse().expect("the template is TOML");
            if path != Path::new(motcua::config::SYSTEM_CONFIG_FILE) {
                // Outside the package's layout the database lives beside the config.
                d["office"]["database"] = value("motcua.db");
            }
            d
        }
    };
    println!(
        "Thiết lập motcua – {} ({}).",
        if existing.is_some() {
            "sửa cấu hình"
        } else {
            "cấu hình mới"
        },
        path.display()
    );
    println!("Nhấn Enter để giữ giá trị trong [ngoặc vuông].\n");

    // 1. The office.
    let name_now = doc["office"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = ask(
        "1. Tên cơ quan (ví dụ: Trung tâm Phục vụ hành chính công phường Hòa Khê)",
        Some(&name_now),
        |a| {
            let n = a.chars().count();
            if n < 3 {
                Err("tên cơ quan cần ít nhất 3 ký tự".into())
            } else if n > 80 {
                Err("tên cơ quan dài quá 80 ký tự".into())
            } else {
                Ok(a.to_string())
            }
        },
    )?;
    doc["office"]["name"] = value(name.as_str());

    // 2. The services: the common fields, then the office's own ones.
    let mut offered: Vec<Service> = COMMON_SERVICES
        .iter()
        .map(|(c, n)| Service {
            code: c.to_string(),
            name: n.to_string(),
        })
        .collect();
    let mut chosen_now = Vec::new();
    for s in current.iter().flat_map(|c| &c.services) {
        let i = match offered.iter().position(|o| o.code == s.code) {
            Some(i) => {
                offered[i].name = s.name.clone();
                i
            }
            None => {
                offered.push(Service {
                    code: s.code.clone(),
                    name: s.name.clone(),
                });
                offered.len() - 1
            }
        };
        chosen_now.push((i + 1).to_string());
    }
    println!("\n2. Các lĩnh vực tiếp nhận hồ sơ:");
    for (i, s) in offered.iter().enumerate() {
        println!("   {:>2}. {}", i + 1, s.name);
    }
    let default = if chosen_now.is_empty() {
        "1,2".to_string()
    } else {
        chosen_now.join(",")
    };
    let picked = ask(
        "   Chọn lĩnh vực (số trong danh sách, cách nhau bởi dấu phẩy)",
        Some(&default),
        |a| numbers(a, offered.len()),
    )?;
    let mut services: Vec<Service> = picked.iter().map(|&i| offered[i - 1].clone()).collect();
    loop {
        let extra = ask(
            "   Thêm lĩnh vực khác (tên; để trống nếu không thêm)",
            Some(""),
            |a| {
                if a.chars().count() > 48 {
                    Err("tên lĩnh vực dài quá 48 ký tự".into())
                } else if services.iter().any(|s| s.name.eq_ignore_ascii_case(a)) {
                    Err(format!("đã có lĩnh vực \"{a}\""))
                } else {
                    Ok(a.to_string())
                }
            },
        )?;
        if extra.is_empty() {
            break;
        }
        let taken: Vec<String> = offered
            .iter()
            .chain(&services)
            .map(|s| s.code.clone())
            .collect();
        services.push(Service {
            code: code_for(&extra, &taken),
            name: extra,
        });
    }
    write_services(&mut doc, &services);

    // 3. The counters and what each serves, in the order it calls them.
    let count_now = current
        .as_ref()
        .map_or(services.len().min(4), |c| c.counters.len());
    let count = ask(
        "\n3. Số quầy tiếp nhận",
        Some(&count_now.to_string()),
        |a| match a.parse::<u32>() {
            Ok(n) if (1..=MAX_COUNTERS).contains(&n) => Ok(n),
            _ => Err(format!("số quầy là một số từ 1 đến {MAX_COUNTERS}")),
        },
    )?;
    println!("   Lĩnh vực (số):");
    for (i, s) in services.iter().enumerate() {
        println!("   {:>2}. {}", i + 1, s.name);
    }
    let mut counters = Vec::new();
    for n in 1..=count {
        let now: Vec<String> = current
            .as_ref()
            .and_then(|c| c.counters.iter().find(|k| k.number == n))
            .map(|k| {
                k.services
                    .iter()
                    .filter_map(|code| services.iter().position(|s| &s.code == code))
                    .map(|i| (i + 1).to_string())
                    .collect()
            })
            .unwrap_or_default();
        let default = if now.is_empty() {
            (1..=services.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        } else {
            now.join(",")
        };
        let served = ask(
            &format!("   Quầy {n} phục vụ lĩnh vực (theo thứ tự gọi số)"),
            Some(&default),
            |a| numbers(a, services.len()),
        )?;
        counters.push((
            n,
            served
                .iter()
                .map(|&i| services[i - 1].code.clone())
                .collect::<Vec<_>>(),
        ));
    }
    write_counters(&mut doc, &counters, current.as_ref());

    // 4. The kiosk's printer.
    println!("\n4. Máy in phiếu của kiosk.");
    if let Some(list) = &kiosk_printers {
        for line in list.lines() {
            println!("   {line}");
        }
    }
    let port_now = doc
        .get("printer")
        .and_then(|p| p.get("port"))
        .and_then(Item::as_str)
        .unwrap_or("không")
        .to_string();
    let port = ask(
        "   Cổng máy in (ví dụ usb:/dev/motcua-printer, /dev/ttyUSB0, tcp://192.168.1.50:9100; \"không\" nếu kiosk không in)",
        Some(&port_now),
        |a| {
            if a.eq_ignore_ascii_case("không") || a.eq_ignore_ascii_case("khong") {
                return Ok(None);
            }
            if a.is_empty() {
                return Err("nhập cổng máy in, hoặc \"không\"".into());
            }
            let mut probe = doc.clone();
            if probe.get("printer").is_none_or(|t| !t.is_table()) {
                probe["printer"] = Item::Table(Table::new());
            }
            probe["printer"]["port"] = value(a);
            Config::parse(&probe.to_string(), path)
                .map(|_| Some(a.to_string()))
                .map_err(|e| format!("cổng '{a}' không dùng được: {e}"))
        },
    )?;
    match port {
        Some(p) => {
            if doc.get("printer").is_none_or(|t| !t.is_table()) {
                doc["printer"] = Item::Table(Table::new());
            }
            doc["printer"]["port"] = value(p);
        }
        None => {
            doc.remove("printer");
        }
    }

    // The file, checked as every program will read it, then put in place.
    let text = doc.to_string();
    let cfg = Config::parse(&text, path)
        .map_err(|e| anyhow::anyhow!("the answers make a config that does not load: {e}"))?;
    write_atomically(path, &text)?;
    WRITTEN.with(|w| w.set(true));
    println!("\nĐã ghi cấu hình vào {}.", path.display());

    // 5. The first supervisor.
    println!("\n5. Tài khoản trưởng bộ phận (giám sát) đầu tiên.");
    let mut store = motcua::Store::open(&cfg)?;
    let supervisors: Vec<String> = store
        .officers()?
        .into_iter()
        .filter(|o| o.role == motcua::config::Role::Supervisor && !o.disabled)
        .map(|o| o.login)
        .collect();
    let default = supervisors.first().cloned().unwrap_or_default();
    let login = ask("   Tên đăng nhập", Some(&default), |a| {
        if (1..=32).contains(&a.len())
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            Ok(a.to_lowercase())
        } else {
            Err("tên đăng nhập gồm 1-32 ký tự a-z, 0-9, '.', '_', '-'".into())
        }
    })?;
    let exists = store.officer(&login)?.is_some();
    let set_pin = !exists
        || ask(
            &format!("   Tài khoản {login} đã có. Đặt lại mã PIN? (có/không)"),
            Some("không"),
            yes_no,
        )?;
    if set_pin {
        let hash = loop {
            let pin = motcua::cli::read_secret("   Mã PIN (ít nhất 6 chữ số) hoặc mật khẩu")?;
            match motcua::secret::hash_password(&pin) {
                Ok(h) => break h,
                Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => println!(
                    "  ✗ mã PIN cần ít nhất 6 chữ số, mật khẩu ít nhất 8 ký tự. Vui lòng nhập lại."
                ),
                Err(e) => return Err(motcua::cli::UsageError(e).into()),
            }
        };
        if exists {
            store.update_officer(&login, Some(&hash), Some(false))?;
        } else {
            store.add_officer(
                &login,
                &hash,
                motcua::config::Role::Supervisor,
                chrono::Utc::now(),
            )?;
        }
        println!("   Đã lưu tài khoản {login} (trưởng bộ phận).");
    }
    println!(
        "\nXong: {} quầy, {} lĩnh vực. Bàn làm việc của cán bộ: http://<địa chỉ máy chủ>:8080/ (đăng nhập {login}).",
        counters.len(),
        services.len()
    );
    Ok(())
}

fn yes_no(a: &str) -> Result<bool, String> {
    match motcua::vi::fold(a).to_lowercase().as_str() {
        "co" | "c" | "y" | "yes" => Ok(true),
        "khong" | "k" | "n" | "no" => Ok(false),
        _ => Err("trả lời \"có\" hoặc \"không\"".into()),
    }
}

/// Replaces `[[services]]` with `services`; a service the file had keeps its other keys (its
/// numbering, hours…); a new one gets its own thousand (1001, 2001…) not used by another.
fn write_services(doc: &mut DocumentMut, services: &[Service]) {
    let old: Vec<Table> = doc
        .get("services")
        .and_then(Item::as_array_of_tables)
        .map(|a| a.iter().cloned().collect())
        .unwrap_or_default();
    // The thousands of the services kept (their tables come along with their numbering).
    let mut used: Vec<u32> = old
        .iter()
        .filter(|t| {
            let code = t.get("code").and_then(Item::as_str);
            services.iter().any(|n| Some(n.code.as_str()) == code)
        })
        .filter_map(|t| t.get("first_number").and_then(Item::as_integer))
        .map(|n| u32::try_from(n / 1000).unwrap_or(0))
        .collect();
    let mut out = ArrayOfTables::new();
    for s in services {
        let mut t = old
            .iter()
            .find(|t| t.get("code").and_then(Item::as_str) == Some(&s.code))
            .cloned()
            .unwrap_or_else(|| {
                let block = (1..=9).find(|b| !used.contains(b)).unwrap_or(0);
                used.push(block);
                let mut t = Table::new();
                t["code"] = value(s.code.as_str());
                t["first_number"] = value(i64::from(block * 1000 + 1));
                t["digits"] = value(4);
                t
            });
        t["name"] = value(s.name.as_str());
        // Key order as a person writes it: code, name, then the rest.
        t.sort_values_by(|a, _, b, _| key_rank(a.get()).cmp(&key_rank(b.get())));
        out.push(t);
    }
    doc.remove("services");
    doc.insert("services", Item::ArrayOfTables(out));
}

fn key_rank(key: &str) -> usize {
    ["code", "name", "number"]
        .iter()
        .position(|k| *k == key)
        .unwrap_or(9)
}

/// Replaces `[[counters]]` with `counters`; a counter the file had keeps its name.
fn write_counters(
    doc: &mut DocumentMut,
    counters: &[(u32, Vec<String>)],
    current: Option<&Config>,
) {
    let mut out = ArrayOfTables::new();
    for (n, codes) in counters {
        let mut t = Table::new();
        t["number"] = value(i64::from(*n));
        let name = current
            .and_then(|c| c.counters.iter().find(|k| k.number == *n))
            .map_or_else(|| format!("Quầy {n}"), |k| k.name.clone());
        t["name"] = value(name);
        let mut a = Array::new();
        for c in codes {
            a.push(c.as_str());
        }
        t["services"] = value(a);
        out.push(t);
    }
    doc.remove("counters");
    doc.insert("counters", Item::ArrayOfTables(out));
    // Devices of counters that no longer exist would make the file refuse to load.
    if let Some(devices) = doc
        .get_mut("devices")
        .and_then(Item::as_array_of_tables_mut)
    {
        devices.retain(|d| {
            d.get("counter")
                .and_then(Item::as_integer)
                .is_none_or(|c| counters.iter().any(|(n, _)| i64::from(*n) == c))
        });
    }
}

/// Writes `text` beside `path`, syncs it, and renames it over `path`, keeping the old file's
/// owner and mode (root:motcua 0640 for the package's); a new file gets 0640.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot make the folder {}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".init-new");
    let tmp = PathBuf::from(tmp);
    let old = std::fs::metadata(path).ok();
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    if let Some(m) = &old {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        // Only root may give a file away; anyone else keeps their own file anyway.
        let _ = std::os::unix::fs::chown(&tmp, Some(m.uid()), Some(m.gid()));
    }
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_loads_and_the_common_fields_have_valid_distinct_codes() {
        let cfg = Config::parse(TEMPLATE, Path::new("/etc/motcua/motcua.toml")).unwrap();
        assert_eq!(cfg.office.name, "Trung tâm Phục vụ hành chính công");
        let mut codes: Vec<&str> = COMMON_SERVICES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), COMMON_SERVICES.len());
    }

    #[test]
    fn lists_of_numbers_and_codes_from_names() {
        assert_eq!(numbers("1, 3,3 2", 3), Ok(vec![1, 3, 2]));
        assert!(numbers("4", 3).unwrap_err().contains("1 đến 3"));
        assert!(numbers("a", 3).unwrap_err().contains("không phải là số"));
        assert!(numbers(" , ", 3).is_err());
        assert_eq!(code_for("Quốc phòng - An ninh", &[]), "QPAN");
        assert_eq!(code_for("Đăng ký kinh doanh", &[]), "DKKD");
        assert_eq!(code_for("Đăng ký kinh doanh", &["DKKD".into()]), "DKK1");
        assert_eq!(yes_no("Có"), Ok(true));
        assert_eq!(yes_no("không"), Ok(false));
        assert!(yes_no("maybe").is_err());
    }
}
