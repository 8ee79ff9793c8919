//! The QR code on the back of a chip ID card (căn cước công dân, CCCD), read by the kiosk's 2D
//! scanner as keystrokes: `number|old id number|name|date of birth|sex|address|issue date`, dates
//! as `ddmmyyyy`. Only the date of birth is read, and only to answer one question: is the
//! holder 60 or over (Luật Người cao tuổi 2009, Điều 2)? The text is dropped at once; nothing of
//! it is stored or logged (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15): only the priority class
//! ends up on the ticket.

use chrono::{Datelike, NaiveDate};

/// The age from which the elderly priority applies.
pub const ELDERLY_AGE: u32 = 60;

/// What a scan says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A card of someone aged [`ELDERLY_AGE`] or more on `today`.
    Elderly,
    /// A card of someone younger.
    Younger,
    /// Not a CCCD QR code (another QR, a bar code, noise).
    NotACard,
}

/// Reads a scanned text at the office's date `today`. The text is only borrowed: the caller
/// drops it right after.
pub fn read(text: &str, today: NaiveDate) -> Scan {
    let Some(birth) = birth_date(text) else {
        return Scan::NotACard;
    };
    if birth > today {
        return Scan::NotACard;
    }
    if age_on(birth, today) >= ELDERLY_AGE {
        Scan::Elderly
    } else {
        Scan::Younger
    }
}

fn birth_date(text: &str) -> Option<NaiveDate> {
    // Scanners add Enter, Tab or a prefix character; keyboard layouts may not type every letter
    // of the name: only the separators, the number and the date are relied on.
    let text = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let fields: Vec<&str> = text.split('|').collect();
    if fields.len() < 6 {
        return None;
    }
    let number = fields[0];
    if number.len() != 12 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let old = fields[1];
    if !(old.is_empty() || (old.len() == 9 && old.bytes().all(|b| b.is_ascii_digit()))) {
        return None;
    }
    let dob = fields[3];
    if dob.len() != 8 || !dob.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (d, m, y) = (&dob[0..2], &dob[2..4], &dob[4..8]);
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        .filter(|b| b.year() >= 1900)
}

/// Whole years from `birth` to `today`; a birthday counts on the day (29 February: on
/// 1 March in other years).
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn sixty_on_the_birthday_and_not_the_day_before() {
        let card = "001066012345|123456789|Nguyễn Văn An|03121966|Nam|Hòa Khê, Đà Nẵng|10082021";
        assert_eq!(read(card, d(2026, 12, 3)), Scan::Elderly);
        assert_eq!(read(card, d(2026, 12, 2)), Scan::Younger);
        assert_eq!(read(&format!("{card}\n"), d(2030, 1, 1)), Scan::Elderly);
    }

    #[test]
    fn leap_day_birthdays_count_on_the_first_of_march() {
        assert_eq!(age_on(d(1964, 2, 29), d(2024, 2, 29)), 60);
        assert_eq!(age_on(d(1964, 2, 29), d(2025, 2, 28)), 60);
        assert_eq!(age_on(d(1965, 2, 28), d(2025, 2, 28)), 60);
        assert_eq!(age_on(d(1966, 2, 28), d(2025, 2, 27)), 58);
    }

    #[test]
    fn what_is_not_a_card_is_ignored() {
        let today = d(2026, 12, 3);
        for text in [
            "",
            "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
            "8934567890123",
            "001066012345|123456789|Nguyễn Văn An|31021966|Nam|X|10082021",
            "00106601234|123456789|Nguyễn Văn An|03121966|Nam|X|10082021",
            "001066012345|123456789|Nguyễn Văn An|1966-12-03|Nam|X|10082021",
            "001066012345|12345|Nguyễn Văn An|03121966|Nam|X|10082021",
            "001066012345|123456789|Nguyễn Văn An|03122030|Nam|X|10082021",
            "001066012345|123456789|Nguyễn Văn An",
        ] {
            assert_eq!(read(text, today), Scan::NotACard, "{text:?}");
        }
        // A card without the old 9-digit number is still a card.
        assert_eq!(
            read("001066012345||Nguyễn Văn An|03121956|Nam|X|10082021", today),
            Scan::Elderly
        );
    }
}
