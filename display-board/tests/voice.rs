//! Announcements: the clip sequence, queueing (a burst in order, none cut off or dropped, a
//! recall spoken again), and the WAV that `display-board announce` writes.

use std::sync::{Arc, Mutex};

use display_board::voice::{Announcer, Bank, Clip, Sink, script};

/// One played announcement: its clips and its length in samples.
type Played = (Vec<Clip>, usize);

/// Collects what would have been played.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Played>>>);

impl Sink for Collect {
    fn play(&mut self, script: &[Clip], samples: &[i16]) {
        self.0
            .lock()
            .unwrap()
            .push((script.to_vec(), samples.len()));
    }
}

#[test]
fn clip_sequence_for_a_number_and_counter() {
    use Clip::*;
    use display_board::voice::NumberWord::*;
    // The number digit by digit, then whole; the counter, then "quầy" and the counter again.
    assert_eq!(
        script("1007", 3),
        [
            Chime,
            Invite,
            Digit(1),
            Digit(0),
            Digit(0),
            Digit(7),
            Pause,
            Digit(1),
            Word(Thousand),
            Digit(0),
            Word(Hundred),
            Word(Linh),
            Digit(7),
            ToCounter,
            Digit(3),
            Pause,
            Counter,
            Digit(3)
        ]
    );
    assert_eq!(
        display_board::voice::spoken_text(&script("A017", 12)),
        "Mời công dân có số thứ tự a không một bảy mười bảy đến quầy số mười hai quầy mười hai"
    );
}

#[test]
fn every_shipped_clip_loads_and_has_sound() {
    let bank = Bank::load(None).unwrap();
    let mut all = vec![
        Clip::Chime,
        Clip::Invite,
        Clip::ToCounter,
        Clip::YourNumber,
        Clip::PleaseWait,
    ];
    all.extend(display_board::voice::spoken_clips());
    for c in all {
        let s = bank.clip(&c);
        assert!(s.len() > 1_500, "{c:?} is too short: {} samples", s.len());
        assert!(
            s.iter().any(|v| v.unsigned_abs() > 1_000),
            "{c:?} is silent"
        );
    }
}

#[test]
fn a_burst_of_three_calls_is_spoken_whole_and_in_order_and_a_recall_again() {
    let bank = Bank::load(None).unwrap();
    let sink = Collect::default();
    let a = Announcer::start(bank.clone(), Box::new(sink.clone()));
    a.announce("1005", 3);
    a.announce("2001", 1);
    a.announce("A017", 4);
    a.announce("1005", 3); // the recall of 1005
    a.finish();
    let played = sink.0.lock().unwrap().clone();
    let expected = [
        script("1005", 3),
        script("2001", 1),
        script("A017", 4),
        script("1005", 3),
    ];
    assert_eq!(played.len(), 4);
    for ((got, len), want) in played.iter().zip(expected.iter()) {
        assert_eq!(got, want);
        assert_eq!(*len, bank.rendered_len(want), "complete, not cut off");
    }
}

#[test]
fn recorded_clips_in_voice_dir_replace_the_shipped_ones() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Bank::load(None).unwrap();
    // A "recorded" chime: one second of a quiet tone.
    let tone: Vec<i16> = (0..22050)
        .map(|i| ((i as f32 * 0.05).sin() * 3000.0) as i16)
        .collect();
    display_board::voice::write_wav(&dir.path().join("chime.wav"), &tone).unwrap();
    let bank = Bank::load(Some(dir.path())).unwrap();
    assert_eq!(bank.clip(&Clip::Chime), tone.as_slice());
    assert_eq!(bank.clip(&Clip::Invite), shipped.clip(&Clip::Invite));
    // A clip in the wrong format is refused with its name.
    std::fs::write(dir.path().join("so_1.wav"), b"not a wav").unwrap();
    let err = Bank::load(Some(dir.path())).unwrap_err();
    assert!(err.contains("so_1.wav"), "{err}");
}

#[test]
fn announce_writes_a_wav_of_the_expected_length() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("motcua.toml");
    std::fs::write(&cfg, motcua_testkit::OfficeToml::minimal().build()).unwrap();
    let out = dir.path().join("call.wav");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_display-board"))
        .arg("--config")
        .arg(&cfg)
        .args(["announce", "--number", "1005", "--counter", "3", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let r = hound::WavReader::open(&out).unwrap();
    assert_eq!((r.spec().channels, r.spec().sample_rate), (1, 22050));
    let bank = Bank::load(None).unwrap();
    assert_eq!(r.len() as usize, bank.rendered_len(&script("1005", 3)));
    let secs = r.len() as f64 / 22050.0;
    assert!((3.0..10.0).contains(&secs), "{secs} s");
    // Bad input: one clear line, exit 2.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_display-board"))
        .arg("--config")
        .arg(&cfg)
        .args(["announce", "--number", "10-05", "--counter", "3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
}

/// #11.5: what the kiosk says for a ticket; a service's name when the office has its clip.
#[test]
fn the_kiosk_script_names_the_service_when_its_clip_exists() {
    let shipped = Bank::load(None).unwrap();
    assert_eq!(
        display_board::voice::ticket_script(
            "A05",
            Some("TP").filter(|c| shipped.has(&Clip::Service(c.to_string())))
        ),
        vec![
            Clip::YourNumber,
            Clip::Letter('A'),
            Clip::Digit(0),
            Clip::Digit(5),
            Clip::PleaseWait
        ],
        "no clip for the service: said without it"
    );
    let dir = tempfile::tempdir().unwrap();
    let tone: Vec<i16> = (0..4000).map(|i| ((i % 50) * 600 - 15000) as i16).collect();
    display_board::voice::write_wav(&dir.path().join("linh_vuc_TP.wav"), &tone).unwrap();
    let bank = Bank::load(Some(dir.path())).unwrap();
    assert!(bank.has(&Clip::Service("TP".into())));
    let script = display_board::voice::ticket_script("1005", Some("TP"));
    assert_eq!(script[5], Clip::Service("TP".into()));
    assert_eq!(script.last(), Some(&Clip::PleaseWait));
    assert_eq!(bank.clip(&script[5]), tone.as_slice());
}

/// #18: every shipped clip at the target loudness (±1 LU), true peaks ≤ −1 dBFS, not clipped,
/// trimmed; the chime within 1 LU of the speech. `voice check` agrees on the folder.
#[test]
fn shipped_clips_are_level_and_the_chime_no_louder_than_the_speech() {
    use motcua::loudness::{PEAK_CEILING_DBFS, TARGET_LUFS, TOLERANCE_LU, measure};
    let bank = Bank::load(None).unwrap();
    let mut clips = display_board::voice::spoken_clips();
    clips.push(Clip::Chime);
    let mut speech = Vec::new();
    for c in &clips {
        let m = measure(bank.clip(c), display_board::voice::RATE);
        assert!(
            (m.loudness - TARGET_LUFS).abs() <= TOLERANCE_LU,
            "{c:?}: {m:?}"
        );
        assert!(m.true_peak <= PEAK_CEILING_DBFS, "{c:?}: {m:?}");
        assert_eq!(m.clipped, 0, "{c:?}: {m:?}");
        assert!(m.lead_ms <= 50 && m.trail_ms <= 50, "{c:?}: {m:?}");
        if *c != Clip::Chime {
            speech.push(m.loudness);
        }
    }
    let chime = measure(bank.clip(&Clip::Chime), display_board::voice::RATE).loudness;
    let mean = speech.iter().sum::<f64>() / speech.len() as f64;
    let (lo, hi) = speech
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), l| (a.min(*l), b.max(*l)));
    eprintln!("speech {lo:.2}…{hi:.2} LUFS (mean {mean:.2}), chime {chime:.2} LUFS");
    assert!(
        (chime - mean).abs() <= 1.0,
        "chime {chime} LUFS, speech {mean} LUFS"
    );
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/voice/vi");
    assert_eq!(
        display_board::voice::check_dir(std::path::Path::new(dir)).unwrap(),
        vec![]
    );
}

/// #18: the call of a number holding each digit, assembled as the board says it: its loudness
/// (integrated, gated) within 1 LU of the target, and under the peak ceiling.
/// And its length: every four-digit number with counters 1–9 is called in at most 7 s with the
/// chime; the few whose whole reading is long are said with tighter gaps.
#[test]
fn calls_of_every_digit_are_level_and_every_call_lasts_at_most_7_s() {
    use motcua::loudness::{PEAK_CEILING_DBFS, TARGET_LUFS, TOLERANCE_LU, integrated, true_peak};
    let rate = display_board::voice::RATE;
    let bank = Bank::load(None).unwrap();
    for d in 0..10u32 {
        let (number, counter) = (format!("10{d}{d}"), d.max(1));
        let samples = bank.render(&script(&number, counter));
        let f: Vec<f32> = samples.iter().map(|s| f32::from(*s) / 32768.0).collect();
        assert!(true_peak(&f, rate) <= PEAK_CEILING_DBFS, "{number}");
        // The whole call's programme loudness (gated: the pauses between words left out).
        let l = integrated(&f, rate);
        eprintln!("{number} → {counter}: {l:.2} LUFS");
        assert!(
            (l - TARGET_LUFS).abs() <= TOLERANCE_LU,
            "{number} → {counter}: {l:.1} LUFS"
        );
    }
    let secs =
        |n: u32, c: u32| bank.rendered_len(&script(&n.to_string(), c)) as f64 / f64::from(rate);
    let mut all: Vec<f64> = (1000..=9999)
        .flat_map(|n| (1..=9).map(move |c| (n, c)))
        .map(|(n, c)| secs(n, c))
        .collect();
    all.sort_by(f64::total_cmp);
    let (p50, max) = (all[all.len() / 2], all[all.len() - 1]);
    let tight = (1000..=9999)
        .flat_map(|n| (1..=9).map(move |c| (n, c)))
        .filter(|(n, c)| bank.is_tight(&script(&n.to_string(), *c)))
        .count();
    eprintln!("{tight} of {} calls said with the tight gaps", 9000 * 9);
    // The twenty measured calls keep the usual gaps: the measurement holds for them as said.
    assert!(
        !bank.is_tight(&script("1007", 2)) && !bank.is_tight(&script("3164", 7)),
        "the measured calls are said as measured"
    );

    eprintln!("four-digit numbers, counters 1–9: median {p50:.2} s, longest {max:.2} s");
    assert!(max <= 7.0, "longest call {max:.2} s");
}

fn board(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_display-board"))
        .args(args)
        .output()
        .unwrap()
}

/// #18: `display-board voice check` on a recorded folder: good, a clip missing, a clipped clip,
/// a stereo file; and `voice level` making a raw recording pass.
#[test]
fn voice_check_passes_a_good_folder_and_names_each_fault() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/voice/vi");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for e in std::fs::read_dir(shipped).unwrap().flatten() {
        std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
    }
    let check = || board(&["voice", "check", d.to_str().unwrap()]);
    let o = check();
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success(), "{out}");
    assert!(out.contains("đạt yêu cầu"), "{out}");

    // A missing clip: named, with the words to record.
    std::fs::remove_file(d.join("so_7.wav")).unwrap();
    // A clipped clip: the recording driven into full scale.
    let loud: Vec<i16> = (0..11025)
        .map(|i| ((i as f32 * 0.06).sin() * 60000.0).clamp(-32768.0, 32767.0) as i16)
        .collect();
    display_board::voice::write_wav(&d.join("so_1.wav"), &loud).unwrap();
    // A stereo file.
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(d.join("so_2.wav"), spec).unwrap();
    for i in 0..22050 {
        let v = ((i as f32 * 0.05).sin() * 5000.0) as i16;
        w.write_sample(v).unwrap();
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    // A quiet clip with a second of silence before it.
    let mut late = vec![0i16; 22050];
    late.extend((0..11025).map(|i| ((i as f32 * 0.05).sin() * 800.0) as i16));
    display_board::voice::write_wav(&d.join("so_3.wav"), &late).unwrap();

    let o = check();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("chưa dùng được"), "{err}");
    let line = |file: &str| -> Vec<&str> {
        out.lines()
            .filter(|l| l.starts_with(&format!("{file}:")))
            .collect()
    };
    assert!(
        line("so_7.wav")[0].contains("thiếu tệp: thu câu \"bảy\""),
        "{out}"
    );
    let s1 = line("so_1.wav").join("\n");
    assert!(s1.contains("bị cắt đỉnh"), "{out}");
    assert!(s1.contains("đỉnh "), "{out}");
    let s2 = line("so_2.wav").join("\n");
    assert!(s2.contains("2 kênh (stereo)"), "{out}");
    let s3 = line("so_3.wav").join("\n");
    assert!(s3.contains("độ to"), "{out}");
    assert!(s3.contains("im lặng ở đầu"), "{out}");
    // Every other clip still passes: only these four files are named.
    let named: std::collections::BTreeSet<&str> =
        out.lines().filter_map(|l| l.split(':').next()).collect();
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["so_1.wav", "so_2.wav", "so_3.wav", "so_7.wav"]
    );

    // `voice level` makes the stereo and the late quiet recordings pass; the clipped one is
    // turned down but stays flat-topped (it has to be recorded again).
    for f in ["so_2.wav", "so_3.wav", "so_1.wav"] {
        let raw = d.join(format!("raw-{f}"));
        std::fs::rename(d.join(f), &raw).unwrap();
        let o = board(&[
            "voice",
            "level",
            raw.to_str().unwrap(),
            d.join(f).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::remove_file(&raw).unwrap();
    }
    std::fs::copy(format!("{shipped}/so_7.wav"), d.join("so_7.wav")).unwrap();
    let o = check();
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.lines().all(|l| l.starts_with("so_1.wav: bị cắt đỉnh")),
        "{out}"
    );

    // `voice level` refuses a recording at another rate, naming it, in one line.
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let raw = d.join("raw-44k.wav");
    let mut w = hound::WavWriter::create(&raw, spec).unwrap();
    for i in 0..44100 {
        w.write_sample(((i as f32 * 0.05).sin() * 5000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let o = board(&["voice", "level", raw.to_str().unwrap(), "/dev/null"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("44100 Hz, cần 22050 Hz"), "{err}");
    std::fs::remove_file(&raw).unwrap();

    // A folder that is not there: one line, exit 2.
    let o = board(&["voice", "check", d.join("nowhere").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// #18: assets/voice/generate.sh, rerun, writes the shipped clips byte for byte (espeak-ng and
/// sox from Debian, levelled without dither by this build's `voice level`).
#[test]
fn generate_sh_rewrites_the_shipped_clips_byte_for_byte() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new("bash")
        .arg(format!("{root}/assets/voice/generate.sh"))
        .arg(out.path())
        .env("DISPLAY_BOARD", env!("CARGO_BIN_EXE_display-board"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shipped = format!("{root}/assets/voice/vi");
    let mut names: Vec<String> = std::fs::read_dir(&shipped)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut made: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    made.sort();
    assert_eq!(made, names);
    for n in &names {
        assert!(
            std::fs::read(out.path().join(n)).unwrap()
                == std::fs::read(format!("{shipped}/{n}")).unwrap(),
            "{n} differs: run assets/voice/generate.sh and commit the clips"
        );
    }
    assert!(names.contains(&"SOURCE".to_string()));
}

/// #18: the recording script in docs/voice.md lists every clip with its words, as
/// `display-board voice phrases` prints them.
#[test]
fn the_recording_guide_lists_every_phrase() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/voice.md")).unwrap();
    let o = board(&["voice", "phrases"]);
    assert!(o.status.success());
    let phrases = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        phrases.lines().count(),
        display_board::voice::spoken_clips().len()
    );
    for line in phrases.lines() {
        let (file, text) = line.split_once('\t').unwrap();
        assert!(
            guide.contains(&format!("| {file} | {text} |")),
            "docs/voice.md lacks {file} ({text})"
        );
    }
}
