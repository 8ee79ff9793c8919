//! The spoken call: "Mời công dân có số thứ tự 1 0 0 5, một nghìn không trăm linh năm, đến quầy
//! số 3, quầy 3", after a chime (the number and the counter said twice: docs/voice.md), assembled
//! from short clips (assets/voice/vi, made with espeak-ng by assets/voice/generate.sh, or recorded
//! ones from `[board] voice_dir`). The clips and how they are put together live here, shared
//! by the native board and the kiosk (which play them) and the server (which serves them to the
//! web board); playing is the board crate's.

use std::collections::HashMap;
use std::path::Path;

/// The sample rate every clip is converted to.
pub const RATE: u32 = 22050;
/// Silence after the chime, and between words.
const AFTER_CHIME_MS: u32 = 40;
const BETWEEN_WORDS_MS: u32 = 40;
/// The pause between the two readings of the number, and before the counter is said again.
const PAUSE_MS: u32 = 100;
/// The longest a call may last with the chime (#18).
pub const MAX_CALL_MS: u32 = 7000;
/// The gaps of a call that would last longer than [`MAX_CALL_MS`] with the gaps above (a few
/// numbers whose whole reading is long, "ba nghìn ba trăm ba mươi ba"): the words of the
/// number read whole flow without a gap, the other gaps and the pauses are shorter.
const TIGHT_BETWEEN_WORDS_MS: u32 = 20;
const TIGHT_WITHIN_NUMBER_MS: u32 = 0;
const TIGHT_PAUSE_MS: u32 = 60;

/// One piece of an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Clip {
    /// The two-tone chime.
    Chime,
    /// "Mời công dân có số thứ tự".
    Invite,
    /// "đến quầy số".
    ToCounter,
    /// A digit, read alone.
    Digit(u8),
    /// A letter of a number's prefix.
    Letter(char),
    /// "Số của ông bà là" (the kiosk, when a ticket is issued).
    YourNumber,
    /// "vui lòng chờ gọi".
    PleaseWait,
    /// A service's name, `linh_vuc_CODE.wav` in the voice folder (offices record their own).
    Service(String),
    /// A word of a number read whole: "một nghìn không trăm linh bảy".
    Word(NumberWord),
    /// "quầy", when the counter is said again.
    Counter,
    /// A short silence between the two readings of a number.
    Pause,
}

/// The words a number read whole needs beyond the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberWord {
    /// "nghìn" (thousand).
    Thousand,
    /// "trăm" (hundred).
    Hundred,
    /// "linh": a zero tens digit before a unit ("một trăm linh năm").
    Linh,
    /// "mươi": after a tens digit of 2–9 ("hai mươi").
    Tens,
    /// "mười": ten, 10–19.
    Ten,
    /// "mốt": a unit 1 after "mươi" ("hai mươi mốt").
    One,
    /// "lăm": a unit 5 after "mười" or "mươi" ("mười lăm").
    Five,
}

impl NumberWord {
    const ALL: [NumberWord; 7] = [
        NumberWord::Thousand,
        NumberWord::Hundred,
        NumberWord::Linh,
        NumberWord::Tens,
        NumberWord::Ten,
        NumberWord::One,
        NumberWord::Five,
    ];

    fn stem(self) -> &'static str {
        match self {
            NumberWord::Thousand => "so_nghin",
            NumberWord::Hundred => "so_tram",
            NumberWord::Linh => "so_linh",
            NumberWord::Tens => "so_muoi",
            NumberWord::Ten => "so_10",
            NumberWord::One => "so_mot",
            NumberWord::Five => "so_lam",
        }
    }

    fn text(self) -> &'static str {
        match self {
            NumberWord::Thousand => "nghìn",
            NumberWord::Hundred => "trăm",
            NumberWord::Linh => "linh",
            NumberWord::Tens => "mươi",
            NumberWord::Ten => "mười",
            NumberWord::One => "mốt",
            NumberWord::Five => "lăm",
        }
    }
}

/// Below 100, read whole; `after` when hundreds or thousands came before it ("linh").
fn read_tens(n: u32, after: bool, out: &mut Vec<Clip>) {
    let (t, u) = ((n / 10) as u8, (n % 10) as u8);
    match (t, u) {
        (0, 0) => {}
        (0, u) => {
            if after {
                out.push(Clip::Word(NumberWord::Linh));
            }
            out.push(Clip::Digit(u));
        }
        (t, u) => {
            if t == 1 {
                out.push(Clip::Word(NumberWord::Ten));
            } else {
                out.extend([Clip::Digit(t), Clip::Word(NumberWord::Tens)]);
            }
            match u {
                0 => {}
                1 if t > 1 => out.push(Clip::Word(NumberWord::One)),
                5 => out.push(Clip::Word(NumberWord::Five)),
                u => out.push(Clip::Digit(u)),
            }
        }
    }
}

/// Below 1000; `full` says "không trăm" for a zero hundreds digit after thousands.
fn read_hundreds(n: u32, full: bool, out: &mut Vec<Clip>) {
    let h = (n / 100) as u8;
    if h > 0 || (full && n > 0) {
        out.extend([Clip::Digit(h), Clip::Word(NumberWord::Hundred)]);
    }
    read_tens(n % 100, h > 0 || full, out);
}

/// `n` read whole, the way a Vietnamese speaker says it: 1007 → "một nghìn không trăm linh
/// bảy", 2015 → "hai nghìn không trăm mười lăm", 21 → "hai mươi mốt", 0 → "không". Numbers of
/// a million or more are read digit by digit.
pub fn read_whole(n: u64) -> Vec<Clip> {
    let mut out = Vec::new();
    if n == 0 {
        return vec![Clip::Digit(0)];
    }
    if n >= 1_000_000 {
        return number_clips(&n.to_string()).collect();
    }
    let n = n as u32;
    if n >= 1000 {
        read_hundreds(n / 1000, false, &mut out);
        out.push(Clip::Word(NumberWord::Thousand));
        read_hundreds(n % 1000, true, &mut out);
    } else {
        read_hundreds(n, false, &mut out);
    }
    out
}

impl Clip {
    /// The clip's file name (without `.wav`).
    pub fn file_stem(&self) -> String {
        match self {
            Clip::Chime => "chime".into(),
            Clip::Invite => "moi_cong_dan".into(),
            Clip::ToCounter => "den_quay_so".into(),
            Clip::Digit(d) => format!("so_{d}"),
            Clip::Letter(c) => format!("chu_{c}"),
            Clip::YourNumber => "so_cua_ong_ba_la".into(),
            Clip::PleaseWait => "vui_long_cho_goi".into(),
            Clip::Service(code) => format!("linh_vuc_{code}"),
            Clip::Word(w) => w.stem().into(),
            Clip::Counter => "quay".into(),
            Clip::Pause => "pause".into(),
        }
    }
}

/// The digits as the clips say them.
pub const DIGIT_WORDS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// A letter's Vietnamese name, as a number's prefix is read ("A" → "a", "B" → "bê").
pub fn letter_name(c: char) -> &'static str {
    const NAMES: [&str; 26] = [
        "a", "bê", "xê", "dê", "e", "ép", "giê", "hát", "i", "gi", "ca", "e lờ", "em mờ", "en nờ",
        "o", "pê", "quy", "e rờ", "ét xì", "tê", "u", "vê", "vê kép", "ích xì", "i dài", "dét",
    ];
    match c.to_ascii_uppercase() {
        l @ 'A'..='Z' => NAMES[(l as u8 - b'A') as usize],
        _ => "",
    }
}

impl Clip {
    /// The words the clip says: what the recording script asks a speaker to read. The chime
    /// says nothing ("") and a service's name is the office's own.
    pub fn text(&self) -> String {
        match self {
            Clip::Chime | Clip::Service(_) | Clip::Pause => String::new(),
            Clip::Word(w) => w.text().into(),
            Clip::Counter => "quầy".into(),
            Clip::Invite => "Mời công dân có số thứ tự".into(),
            Clip::ToCounter => "đến quầy số".into(),
            Clip::Digit(d) => DIGIT_WORDS[usize::from(*d % 10)].into(),
            Clip::Letter(c) => letter_name(*c).into(),
            Clip::YourNumber => "Số của ông bà là".into(),
            Clip::PleaseWait => "vui lòng chờ gọi".into(),
        }
    }
}

/// What an announcement says, as one sentence of words (the chime says nothing).
pub fn spoken_text(script: &[Clip]) -> String {
    script
        .iter()
        .map(Clip::text)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every spoken clip an office records for its own voice, in the recording script's order
/// (the chime and the services' names are not in it).
pub fn spoken_clips() -> Vec<Clip> {
    let mut v = vec![
        Clip::Invite,
        Clip::ToCounter,
        Clip::YourNumber,
        Clip::PleaseWait,
    ];
    v.extend((0..10).map(Clip::Digit));
    v.extend(NumberWord::ALL.map(Clip::Word));
    v.push(Clip::Counter);
    v.extend(('A'..='Z').map(Clip::Letter));
    v
}

/// The clips of a number read one character at a time.
fn number_clips(number: &str) -> impl Iterator<Item = Clip> + '_ {
    number.chars().filter_map(|c| match c {
        '0'..='9' => Some(Clip::Digit(c as u8 - b'0')),
        'A'..='Z' => Some(Clip::Letter(c)),
        'a'..='z' => Some(Clip::Letter(c.to_ascii_uppercase())),
        _ => None,
    })
}

/// What the kiosk says when ticket `number` is issued: "Số của ông bà là 1 0 0 5, Tư pháp - Hộ
/// tịch, vui lòng chờ gọi". `service`: the service's code when its name has a clip
/// ([`Bank::has`]); without one the name is left out.
pub fn ticket_script(number: &str, service: Option<&str>) -> Vec<Clip> {
    let mut v = vec![Clip::YourNumber];
    v.extend(number_clips(number));
    v.extend(service.map(|s| Clip::Service(s.to_string())));
    v.push(Clip::PleaseWait);
    v
}

/// The clips for a call of `number` to `counter`. Said twice, as the measurement chose
/// (docs/voice.md): the number digit by digit, then whole ("một không không bảy, một nghìn
/// không trăm linh bảy"), and the counter, then "quầy" and the counter again. A listener who
/// missed a word hears it again in another form.
pub fn script(number: &str, counter: u32) -> Vec<Clip> {
    let mut v = vec![Clip::Chime, Clip::Invite];
    v.extend(number_clips(number));
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if let Ok(n) = digits.parse::<u64>() {
        v.push(Clip::Pause);
        v.extend(read_whole(n));
    }
    v.push(Clip::ToCounter);
    let c = read_whole(u64::from(counter));
    v.extend(c.iter().cloned());
    v.extend([Clip::Pause, Clip::Counter]);
    v.extend(c);
    v
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/voice/vi/", $name, ".wav")))),*]
    };
}

/// The clips shipped in assets/voice/vi, embedded: the board speaks with no files around it.
static SHIPPED: &[(&str, &[u8])] = shipped!(
    "chime",
    "moi_cong_dan",
    "den_quay_so",
    "so_0",
    "so_1",
    "so_2",
    "so_3",
    "so_4",
    "so_5",
    "so_6",
    "so_7",
    "so_8",
    "so_9",
    "chu_A",
    "chu_B",
    "chu_C",
    "chu_D",
    "chu_E",
    "chu_F",
    "chu_G",
    "chu_H",
    "chu_I",
    "chu_J",
    "chu_K",
    "chu_L",
    "chu_M",
    "chu_N",
    "chu_O",
    "chu_P",
    "chu_Q",
    "chu_R",
    "chu_S",
    "chu_T",
    "chu_U",
    "chu_V",
    "chu_W",
    "chu_X",
    "chu_Y",
    "chu_Z",
    "so_cua_ong_ba_la",
    "vui_long_cho_goi",
    "so_nghin",
    "so_tram",
    "so_linh",
    "so_muoi",
    "so_10",
    "so_mot",
    "so_lam",
    "quay",
);

/// Decoded clips by file stem, 16-bit mono at [`RATE`].
#[derive(Debug, Clone)]
pub struct Bank {
    clips: HashMap<String, Vec<i16>>,
}

/// Reads a 16-bit mono WAV at [`RATE`].
fn decode(name: &str, bytes: &[u8]) -> Result<Vec<i16>, String> {
    let r =
        hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| format!("{name}: {e}"))?;
    let spec = r.spec();
    if spec.channels != 1 || spec.sample_rate != RATE || spec.bits_per_sample != 16 {
        return Err(format!(
            "{name}: need 16-bit mono {RATE} Hz WAV, got {} bit, {} channels, {} Hz (assets/voice/generate.sh converts)",
            spec.bits_per_sample, spec.channels, spec.sample_rate
        ));
    }
    r.into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: {e}"))
}

impl Bank {
    /// The shipped clips, replaced one by one by same-named files in `dir` when given.
    pub fn load(dir: Option<&Path>) -> Result<Bank, String> {
        let mut clips = HashMap::new();
        for (name, bytes) in SHIPPED {
            let own = dir
                .map(|d| d.join(format!("{name}.wav")))
                .filter(|p| p.exists());
            let samples = match own {
                Some(p) => {
                    let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                    decode(&p.display().to_string(), &b)?
                }
                None => decode(name, bytes)?,
            };
            clips.insert((*name).to_string(), samples);
        }
        // Service names are the office's own: `linh_vuc_CODE.wav` in the folder.
        if let Some(entries) = dir.and_then(|d| std::fs::read_dir(d).ok()) {
            for e in entries.flatten() {
                let file = e.file_name().to_string_lossy().to_string();
                let Some(stem) = file
                    .strip_suffix(".wav")
                    .filter(|s| s.starts_with("linh_vuc_"))
                else {
                    continue;
                };
                let b = std::fs::read(e.path()).map_err(|err| format!("{file}: {err}"))?;
                clips.insert(
                    stem.to_string(),
                    decode(&e.path().display().to_string(), &b)?,
                );
            }
        }
        Ok(Bank { clips })
    }

    /// Whether the bank has this clip.
    pub fn has(&self, c: &Clip) -> bool {
        self.clips.contains_key(&c.file_stem())
    }

    /// Samples of one clip.
    pub fn clip(&self, c: &Clip) -> &[i16] {
        self.clips.get(&c.file_stem()).map_or(&[], Vec::as_slice)
    }

    /// The silence after clip `i` of `script`, in samples: none after the last clip and after
    /// a pause (which is silence itself).
    fn gap_after(script: &[Clip], i: usize, tight: bool) -> usize {
        let ms = match script[i] {
            _ if i + 1 == script.len() => 0,
            Clip::Pause => 0,
            Clip::Chime => AFTER_CHIME_MS,
            _ if tight && Self::within_whole_number(script, i) => TIGHT_WITHIN_NUMBER_MS,
            _ if tight => TIGHT_BETWEEN_WORDS_MS,
            _ => BETWEEN_WORDS_MS,
        };
        (RATE * ms / 1000) as usize
    }

    /// Whether clips `i` and `i + 1` are both words of the number read whole: after the pause
    /// that follows the digits, before "đến quầy số".
    fn within_whole_number(script: &[Clip], i: usize) -> bool {
        let is_word = |c: &Clip| matches!(c, Clip::Digit(_) | Clip::Word(_));
        let Some(start) = script.iter().position(|c| *c == Clip::Pause) else {
            return false;
        };
        let end = script
            .iter()
            .position(|c| *c == Clip::ToCounter)
            .unwrap_or(script.len());
        start < i && i + 1 < end && is_word(&script[i]) && is_word(&script[i + 1])
    }

    /// Length in samples of one clip as rendered (a pause is [`PAUSE_MS`] of silence).
    fn clip_len(&self, c: &Clip, tight: bool) -> usize {
        match c {
            Clip::Pause if tight => (RATE * TIGHT_PAUSE_MS / 1000) as usize,
            Clip::Pause => (RATE * PAUSE_MS / 1000) as usize,
            c => self.clip(c).len(),
        }
    }

    /// Length in samples of `script` with the usual gaps (`tight` false) or the tight ones.
    fn len_with(&self, script: &[Clip], tight: bool) -> usize {
        (0..script.len())
            .map(|i| self.clip_len(&script[i], tight) + Self::gap_after(script, i, tight))
            .sum()
    }

    /// Whether `script` needs the tight gaps to last at most [`MAX_CALL_MS`].
    fn tight(&self, script: &[Clip]) -> bool {
        self.len_with(script, false) > (RATE * MAX_CALL_MS / 1000) as usize
    }

    /// The whole announcement as samples: clips with short silences between them (tighter
    /// ones when the usual would make it last longer than [`MAX_CALL_MS`]).
    pub fn render(&self, script: &[Clip]) -> Vec<i16> {
        let tight = self.tight(script);
        let mut out = Vec::with_capacity(self.len_with(script, tight));
        for (i, c) in script.iter().enumerate() {
            match c {
                Clip::Pause => out.resize(out.len() + self.clip_len(c, tight), 0),
                c => out.extend_from_slice(self.clip(c)),
            }
            out.resize(out.len() + Self::gap_after(script, i, tight), 0);
        }
        out
    }

    /// Length in samples of [`Bank::render`] for `script`, computed from the clip lengths.
    pub fn rendered_len(&self, script: &[Clip]) -> usize {
        self.len_with(script, self.tight(script))
    }

    /// Whether [`Bank::render`] says `script` with the tight gaps.
    pub fn is_tight(&self, script: &[Clip]) -> bool {
        self.tight(script)
    }
}

/// Writes samples as a 16-bit mono WAV file.
pub fn write_wav(path: &Path, samples: &[i16]) -> Result<(), String> {
    std::fs::write(path, wav_bytes(samples)).map_err(|e| format!("{}: {e}", path.display()))
}

/// `samples` as the bytes of a 16-bit mono WAV file (the server's `/voice/call.wav`).
pub fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    {
        let mut w = hound::WavWriter::new(&mut out, spec).expect("a WAV header fits in memory");
        for s in samples {
            w.write_sample(*s).expect("samples fit in memory");
        }
        w.finalize().expect("a WAV in memory finalises");
    }
    out.into_inner()
}

/// One thing [`check_dir`] found wrong with a recorded folder: the file and, in Vietnamese,
/// what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub problem: String,
}

/// A decibel figure the Vietnamese way: "−18,4".
fn db(v: f64) -> String {
    format!("{v:.1}").replace('-', "−").replace('.', ",")
}

/// Checks one clip's bytes: format, then loudness, peaks, clipping and edge silence.
fn check_clip(bytes: &[u8], chime: bool) -> Vec<String> {
    use crate::loudness::{self, PEAK_CEILING_DBFS, TARGET_LUFS, TOLERANCE_LU};
    let mut out = Vec::new();
    let r = match hound::WavReader::new(std::io::Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return vec![format!("không đọc được tệp WAV ({e})")],
    };
    let spec = r.spec();
    if spec.channels != 1 {
        out.push(format!(
            "tệp có {} kênh (stereo): cần mono, 1 kênh",
            spec.channels
        ));
    }
    if spec.sample_rate != RATE {
        out.push(format!(
            "tần số lấy mẫu {} Hz: cần 22050 Hz",
            spec.sample_rate
        ));
    }
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        out.push(format!(
            "mẫu {} bit{}: cần 16 bit số nguyên (PCM)",
            spec.bits_per_sample,
            if spec.sample_format == hound::SampleFormat::Float {
                " số thực"
            } else {
                ""
            }
        ));
    }
    if !out.is_empty() {
        out.push("chuyển đổi bằng `display-board voice level TỆP_GỐC TỆP_MỚI`".into());
        return out;
    }
    let samples = match r.into_samples::<i16>().collect::<Result<Vec<_>, _>>() {
        Ok(s) => s,
        Err(e) => return vec![format!("tệp WAV hỏng ({e})")],
    };
    let m = loudness::measure(&samples, RATE);
    if m.loudness == f64::NEG_INFINITY || m.lead_ms == m.duration_ms {
        return vec!["tệp chỉ có im lặng".into()];
    }
    if m.clipped > 0 {
        out.push(format!(
            "bị cắt đỉnh (méo tiếng) ở {} chỗ: thu lại với mức thu thấp hơn",
            m.clipped
        ));
    }
    if (m.loudness - TARGET_LUFS).abs() > TOLERANCE_LU {
        out.push(format!(
            "độ to {} LUFS: cần {} ± {} LUFS{}",
            db(m.loudness),
            db(TARGET_LUFS),
            db(TOLERANCE_LU),
            if chime {
                ""
            } else {
                " (cân lại bằng `display-board voice level`)"
            }
        ));
    }
    if m.true_peak > PEAK_CEILING_DBFS {
        out.push(format!(
            "đỉnh {} dBFS: cần không quá {} dBFS",
            db(m.true_peak),
            db(PEAK_CEILING_DBFS)
        ));
    }
    for (ms, end) in [(m.lead_ms, "đầu"), (m.trail_ms, "cuối")] {
        if ms > crate::loudness::MAX_EDGE_SILENCE_MS {
            out.push(format!(
                "còn {ms} ms im lặng ở {end}: cần không quá {} ms (cắt bớt)",
                crate::loudness::MAX_EDGE_SILENCE_MS
            ));
        }
    }
    out
}

/// Checks a folder of recorded clips before `[board] voice_dir` points at it: every spoken
/// clip present ([`spoken_clips`]), and each clip there (the chime and `linh_vuc_*.wav`
/// included) 16-bit mono at 22050 Hz, at the target loudness, peaks under the ceiling, not
/// clipped, silence trimmed. Empty when all is well; `Err` when the folder cannot be read.
pub fn check_dir(dir: &Path) -> Result<Vec<Finding>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("không mở được thư mục {}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".wav"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for c in spoken_clips() {
        let f = format!("{}.wav", c.file_stem());
        if !files.contains(&f) {
            out.push(Finding {
                file: f,
                problem: format!("thiếu tệp: thu câu \"{}\"", c.text()),
            });
        }
    }
    let known: Vec<String> = spoken_clips()
        .iter()
        .chain([&Clip::Chime])
        .map(|c| format!("{}.wav", c.file_stem()))
        .collect();
    for f in files
        .iter()
        .filter(|f| known.contains(f) || f.starts_with("linh_vuc_"))
    {
        let problems = match std::fs::read(dir.join(f)) {
            Ok(b) => check_clip(&b, f == "chime.wav"),
            Err(e) => vec![format!("không đọc được ({e})")],
        };
        out.extend(problems.into_iter().map(|problem| Finding {
            file: f.clone(),
            problem,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(n: u64) -> String {
        spoken_text(&read_whole(n))
    }

    #[test]
    fn numbers_are_read_whole_the_vietnamese_way() {
        for (n, text) in [
            (0, "không"),
            (7, "bảy"),
            (10, "mười"),
            (15, "mười lăm"),
            (17, "mười bảy"),
            (21, "hai mươi mốt"),
            (25, "hai mươi lăm"),
            (70, "bảy mươi"),
            (105, "một trăm linh năm"),
            (110, "một trăm mười"),
            (1000, "một nghìn"),
            (1005, "một nghìn không trăm linh năm"),
            (1007, "một nghìn không trăm linh bảy"),
            (1012, "một nghìn không trăm mười hai"),
            (1100, "một nghìn một trăm"),
            (2015, "hai nghìn không trăm mười lăm"),
            (3164, "ba nghìn một trăm sáu mươi bốn"),
            (9999, "chín nghìn chín trăm chín mươi chín"),
            (20_001, "hai mươi nghìn không trăm linh một"),
            (1_234_567, "một hai ba bốn năm sáu bảy"),
        ] {
            assert_eq!(said(n), text, "{n}");
        }
    }

    #[test]
    fn every_clip_has_its_own_file_and_words() {
        let all = spoken_clips();
        let mut stems: Vec<String> = all.iter().map(Clip::file_stem).collect();
        stems.sort();
        stems.dedup();
        assert_eq!(stems.len(), all.len());
        assert!(all.iter().all(|c| !c.text().is_empty()));
        for w in NumberWord::ALL {
            assert!(all.contains(&Clip::Word(w)), "{w:?}");
        }
    }
}
