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

/// Vietnamese text without its diacritics ("Đất đai" → "Dat dai"): for codes made from names
/// and for answers typed without accents.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod fold_tests {
    #[test]
    fn diacritics_and_the_crossed_d_are_folded() {
        assert_eq!(super::fold("Đất đai - Xây dựng"), "Dat dai - Xay dung");
        assert_eq!(super::fold("Không"), "Khong");
    }
}

/// Text as stored and printed: trimmed and in NFC (a name typed on another keyboard composes
/// the same).
pub fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.trim().nfc().collect()
}
