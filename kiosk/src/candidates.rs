//! `kiosk printers`: the devices an installer may write into `[printer] port`.
//!
//! Serial ports come from the printer adapter (`serialport`'s list from sysfs, with the USB
//! vendor and product of USB-serial adapters); USB printers from `/sys/class/usbmisc/lp*` (the usblp driver), which
//! no crate lists; the stable name of the shipped udev rule when it exists; and a `tcp://` line
//! for LAN printers, which cannot be found without scanning the office network.

use std::fs;
use std::path::Path;

/// One device a printer may be on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What to write into `[printer] port`.
    pub port: String,
    /// What it is, in Vietnamese, with the USB vendor:product id when known.
    pub what: String,
}

/// The stable name the shipped udev rule gives the kiosk's printer.
pub const STABLE_NAME: &str = "/dev/motcua-printer";

fn read(dir: &Path, file: &str) -> Option<String> {
    let s = fs::read_to_string(dir.join(file)).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn usb_words(
    vid: Option<String>,
    pid: Option<String>,
    maker: Option<String>,
    model: Option<String>,
) -> String {
    let mut w = String::new();
    if let (Some(v), Some(p)) = (vid, pid) {
        w.push_str(&format!(" {v}:{p}"));
    }
    for part in [maker, model].into_iter().flatten() {
        w.push(' ');
        w.push_str(&part);
    }
    w
}

/// USB printers of the usblp driver under `sys` (normally `/sys`), as `usb:/dev/usb/lpN`.
pub fn usb_printers(sys: &Path) -> Vec<Candidate> {
    let Ok(dir) = fs::read_dir(sys.join("class/usbmisc")) else {
        return Vec::new();
    };
    let mut found: Vec<Candidate> = dir
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.starts_with("lp") {
                return None;
            }
            // `device` is the USB interface; its parent holds the ids and names.
            let usb = e.path().join("device/..");
            Some(Candidate {
                port: format!("usb:/dev/usb/{name}"),
                what: format!(
                    "máy in USB{}",
                    usb_words(
                        read(&usb, "idVendor"),
                        read(&usb, "idProduct"),
                        read(&usb, "manufacturer"),
                        read(&usb, "product"),
                    )
                ),
            })
        })
        .collect();
    found.sort_by(|a, b| a.port.cmp(&b.port));
    found
}

/// Serial ports the system knows (from the printer adapter), USB-serial adapters first.
fn serial_ports() -> Vec<Candidate> {
    crate::printer::serial_ports()
        .into_iter()
        .map(|p| Candidate {
            what: match p.usb {
                Some((vid, pid, maker, model)) => format!(
                    "cổng nối tiếp qua USB{}",
                    usb_words(
                        Some(format!("{vid:04x}")),
                        Some(format!("{pid:04x}")),
                        maker,
                        model
                    )
                ),
                None => "cổng nối tiếp (COM)".to_string(),
            },
            port: p.path,
        })
        .collect()
}

/// Every candidate on this machine, then the LAN hint.
pub fn all() -> Vec<Candidate> {
    let mut c = Vec::new();
    if let Ok(target) = fs::canonicalize(STABLE_NAME) {
        let t = target.display().to_string();
        let port = if t.starts_with("/dev/usb/lp") {
            format!("usb:{STABLE_NAME}")
        } else {
            STABLE_NAME.to_string()
        };
        c.push(Candidate {
            port,
            what: format!("tên cố định của máy in (luật udev của motcua), đang trỏ tới {t}"),
        });
    }
    c.extend(usb_printers(Path::new("/sys")));
    c.extend(serial_ports());
    c.push(Candidate {
        port: "tcp://ĐỊA-CHỈ-IP:9100".to_string(),
        what: "máy in mạng LAN: địa chỉ IP in trên phiếu tự kiểm tra của máy in".to_string(),
    });
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A usblp device as sysfs shows it: the class entry links to the interface, whose parent
    /// holds the ids.
    #[test]
    fn usb_printers_come_with_their_ids() {
        let sys = tempfile::tempdir().unwrap();
        let usb = sys.path().join("devices/usb1/1-1");
        let iface = usb.join("1-1:1.0");
        fs::create_dir_all(&iface).unwrap();
        for (f, v) in [
            ("idVendor", "0483\n"),
            ("idProduct", "5743\n"),
            ("manufacturer", "Xprinter\n"),
            ("product", "XP-80C\n"),
        ] {
            fs::write(usb.join(f), v).unwrap();
        }
        let class = sys.path().join("class/usbmisc/lp0");
        fs::create_dir_all(&class).unwrap();
        std::os::unix::fs::symlink(&iface, class.join("device")).unwrap();
        fs::create_dir_all(sys.path().join("class/usbmisc/hiddev0")).unwrap();
        let found = usb_printers(sys.path());
        assert_eq!(
            found,
            vec![Candidate {
                port: "usb:/dev/usb/lp0".into(),
                what: "máy in USB 0483:5743 Xprinter XP-80C".into(),
            }]
        );
        assert!(usb_printers(&sys.path().join("missing")).is_empty());
    }

    /// The shipped udev rule names what `kiosk printers` looks for, by vendor and product id.
    #[test]
    fn the_udev_rule_gives_the_stable_name() {
        let rules = include_str!("../../assets/udev/99-motcua-printer.rules");
        let name = STABLE_NAME.trim_start_matches("/dev/");
        let lines: Vec<&str> = rules
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        assert_eq!(lines.len(), 2, "one rule for usblp, one for USB-serial");
        for l in lines {
            let hex4 = |key: &str| {
                let v = l.split(&format!("ATTRS{{{key}}}==\"")).nth(1).unwrap();
                let v = &v[..v.find('"').unwrap()];
                v.len() == 4
                    && v.chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            };
            assert!(hex4("idVendor") && hex4("idProduct"), "{l}");
            assert!(l.contains(&format!("SYMLINK+=\"{name}\"")), "{l}");
            assert!(
                l.starts_with("SUBSYSTEM==\"usbmisc\"") || l.starts_with("SUBSYSTEM==\"tty\""),
                "{l}"
            );
        }
    }

    #[test]
    fn the_list_ends_with_the_lan_hint() {
        let all = all();
        assert!(all.last().unwrap().port.starts_with("tcp://"));
    }
}
