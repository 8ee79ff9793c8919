//! The spoken call: "Mời công dân có số thứ tự 1 0 0 5 đến quầy số 3", after a chime, assembled
//! from short clips (assets/voice/vi, made with espeak-ng by assets/voice/generate.sh, or recorded
//! ones from `[board] voice_dir`). The clips and how they are put together live here, shared
//! by the native board and the kiosk (which play them) and the server (which serves them to the
//! web board); playing is the board crate's.

use std::collections::HashMap;
use std::path::Path;

/// The sample rate every clip is converted to.
pub const RATE: u32 = 22050;
/// Silence after the chime, and between words.
const AFTER_CHIME_MS: u32 = 250;
const BETWEEN_WORDS_MS: u32 = 60;

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
        }
    }
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

/// The clips for a call of `number` to `counter`: digits and letters read one by one.
pub fn script(number: &str, counter: u32) -> Vec<Clip> {
    let mut v = vec![Clip::Chime, Clip::Invite];
    v.extend(number_clips(number));
    v.push(Clip::ToCounter);
    v.extend(counter.to_string().bytes().map(|b| Clip::Digit(b - b'0')));
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

    /// The whole announcement as samples: clips with short silences between them.
    pub fn render(&self, script: &[Clip]) -> Vec<i16> {
        let mut out = Vec::new();
        for (i, c) in script.iter().enumerate() {
            out.extend_from_slice(self.clip(c));
            if i + 1 < script.len() {
                let ms = if *c == Clip::Chime {
                    AFTER_CHIME_MS
                } else {
                    BETWEEN_WORDS_MS
                };
                out.extend(std::iter::repeat_n(0i16, (RATE * ms / 1000) as usize));
            }
        }
        out
    }

    /// Length in samples of [`Bank::render`] for `script`, computed from the clip lengths.
    pub fn rendered_len(&self, script: &[Clip]) -> usize {
        let clips: usize = script.iter().map(|c| self.clip(c).len()).sum();
        let gaps: usize = script
            .iter()
            .take(script.len().saturating_sub(1))
            .map(|c| {
                let ms = if *c == Clip::Chime {
                    AFTER_CHIME_MS
                } else {
                    BETWEEN_WORDS_MS
                };
                (RATE * ms / 1000) as usize
            })
            .sum();
        clips + gaps
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
