//! Office configs for tests: one builder instead of the TOML typed out in every test.
//!
//! [`OfficeToml::standard`] is the office most tests use (two services, four counters, one
//! priority class); [`OfficeToml::minimal`] one service and one counter. Sections are added with
//! [`OfficeToml::section`] and the result is plain TOML text.

/// A config file being built.
#[derive(Debug, Clone)]
pub struct OfficeToml {
    office: Vec<(String, String)>,
    services: Vec<String>,
    counters: Vec<String>,
    priorities: Vec<String>,
    extra: Vec<String>,
}

/// A TOML string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl OfficeToml {
    /// An office with no services or counters yet.
    pub fn empty(name: &str) -> OfficeToml {
        OfficeToml {
            office: vec![
                ("name".into(), quote(name)),
                ("database".into(), quote("motcua.db")),
                ("timezone".into(), quote("Asia/Ho_Chi_Minh")),
                ("reset_at".into(), quote("00:00")),
            ],
            services: Vec::new(),
            counters: Vec::new(),
            priorities: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Two services (TP from 1001 with 4 digits, DD from 1 with 5), counters 1 (TP, DD),
    /// 2 (DD, TP), 3 (TP) and 4 (DD), and the `elderly` priority class.
    pub fn standard() -> OfficeToml {
        OfficeToml::empty("UBND phường Hòa Khê")
            .service("TP", "Tư pháp - Hộ tịch", "first_number = 1001\ndigits = 4")
            .service("DD", "Đất đai", "first_number = 1\ndigits = 5")
            .counter(1, &["TP", "DD"])
            .counter(2, &["DD", "TP"])
            .counter(3, &["TP"])
            .counter(4, &["DD"])
            .priority("elderly", "Người cao tuổi")
    }

    /// The office of the printed-ticket tests: TP from 1001, LD ("Lao động - Thương binh và Xã
    /// hội", the long name), counter 1 serving both, the `elderly` class.
    pub fn ticket_office() -> OfficeToml {
        OfficeToml::empty("UBND phường Hòa Khê")
            .service("TP", "Tư pháp - Hộ tịch", "first_number = 1001\ndigits = 4")
            .service("LD", "Lao động - Thương binh và Xã hội", "")
            .counter(1, &["TP", "LD"])
            .priority("elderly", "Người cao tuổi")
    }

    /// A benchmark office: one service TP with 6 digits, counters 1..=`counters` serving it,
    /// its database named `database`.
    pub fn bench(database: &str, counters: u32) -> OfficeToml {
        let mut o = OfficeToml::empty("Benchmark")
            .office("database", &quote(database))
            .service("TP", "Tư pháp - Hộ tịch", "digits = 6");
        for n in 1..=counters {
            o = o.counter(n, &["TP"]);
        }
        o
    }

    /// One service `TP` ("Tư pháp") and counter 3 serving it.
    pub fn minimal() -> OfficeToml {
        OfficeToml::empty("X")
            .service("TP", "Tư pháp", "")
            .counter(3, &["TP"])
    }

    /// Sets a key of `[office]` to a TOML value (`"\"x.db\""`, `"7"`).
    pub fn office(mut self, key: &str, value: &str) -> OfficeToml {
        match self.office.iter_mut().find(|(k, _)| k == key) {
            Some(kv) => kv.1 = value.to_string(),
            None => self.office.push((key.into(), value.into())),
        }
        self
    }

    /// Adds a service; `extra` holds more of its keys, one per line (may be empty).
    pub fn service(mut self, code: &str, name: &str, extra: &str) -> OfficeToml {
        let mut s = format!(
            "[[services]]\ncode = {}\nname = {}\n",
            quote(code),
            quote(name)
        );
        for l in extra.lines().filter(|l| !l.trim().is_empty()) {
            s.push_str(l.trim());
            s.push('\n');
        }
        self.services.push(s);
        self
    }

    /// Adds counter `number` ("Quầy N") calling `services` in that order.
    pub fn counter(mut self, number: u32, services: &[&str]) -> OfficeToml {
        let list: Vec<String> = services.iter().map(|s| quote(s)).collect();
        self.counters.push(format!(
            "[[counters]]\nnumber = {number}\nname = \"Quầy {number}\"\nservices = [{}]\n",
            list.join(", ")
        ));
        self
    }

    /// Adds a priority class.
    pub fn priority(mut self, code: &str, name: &str) -> OfficeToml {
        self.priorities.push(format!(
            "[[priorities]]\ncode = {}\nname = {}\n",
            quote(code),
            quote(name)
        ));
        self
    }

    /// Adds any other section, e.g. `"[printer]\nport = \"virtual:tickets\""`.
    pub fn section(mut self, text: &str) -> OfficeToml {
        self.extra.push(format!("{}\n", text.trim()));
        self
    }

    /// The TOML text.
    pub fn build(&self) -> String {
        let mut out = String::from("[office]\n");
        for (k, v) in &self.office {
            out.push_str(&format!("{k} = {v}\n"));
        }
        for part in self
            .services
            .iter()
            .chain(&self.counters)
            .chain(&self.priorities)
            .chain(&self.extra)
        {
            out.push('\n');
            out.push_str(part);
        }
        out
    }
}

impl std::fmt::Display for OfficeToml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.build())
    }
}
