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
    assert_eq!(
        script("1005", 3),
        [
            Chime,
            Invite,
            Digit(1),
            Digit(0),
            Digit(0),
            Digit(5),
            ToCounter,
            Digit(3)
        ]
    );
    assert_eq!(
        script("A017", 12),
        [
            Chime,
            Invite,
            Letter('A'),
            Digit(0),
            Digit(1),
            Digit(7),
            ToCounter,
            Digit(1),
            Digit(2)
        ]
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
    all.extend((0..10).map(Clip::Digit));
    all.extend(('A'..='Z').map(Clip::Letter));
    for c in all {
        let s = bank.clip(&c);
        assert!(s.len() > 2_000, "{c:?} is too short: {} samples", s.len());
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
