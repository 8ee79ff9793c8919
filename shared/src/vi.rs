//! Vietnamese words the screens share (day names, the date line).

use chrono::{Datelike, NaiveDate, Weekday};

/// The day's name: "Thứ Hai" … "Chủ Nhật".
pub fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ Nhật",
    }
}

/// "Thứ Ba, 24/11/2026".
pub fn date_line(d: NaiveDate) -> String {
    format!("{}, {}", weekday(d.weekday()), d.format("%d/%m/%Y"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_line() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(super::date_line(d), "Thứ Ba, 24/11/2026");
        let sunday = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(super::date_line(sunday), "Chủ Nhật, 29/11/2026");
    }
}
