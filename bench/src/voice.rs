//! `motcua-bench voice`: the calls an independent speech recogniser listens to, for the
//! intelligibility figures in BENCHMARKS.md (scripts/voice-intelligibility.sh scores them).
//!
//! Twenty calls cover every digit, counters 1–9, and 7 in six calls. Each is rendered exactly
//! as the board would say it, with the clips of `--dir` (else the shipped ones), and written
//! with, for every digit it says, the ten candidate sentences the recogniser chooses between:
//! the true sentence with that one digit replaced by 0–9, worded as the announcement words it.

use std::path::PathBuf;

use anyhow::Context;
use motcua::voice::{self, Bank};
use serde::Serialize;

/// The twenty calls: (number, counter).
pub const CALLS: [(&str, u32); 20] = [
    ("1005", 3),
    ("1007", 2),
    ("1012", 7),
    ("2047", 1),
    ("1168", 4),
    ("3096", 5),
    ("1234", 6),
    ("1370", 8),
    ("2589", 9),
    ("1461", 2),
    ("3702", 1),
    ("1853", 3),
    ("1926", 4),
    ("2310", 5),
    ("1648", 6),
    ("2095", 8),
    ("1538", 9),
    ("3164", 7),
    ("1089", 2),
    ("2451", 3),
];

#[derive(clap::Args)]
pub struct Opts {
    /// A folder of clips to measure (a recorded voice); default: the shipped clips.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where to write calls.json and the WAV files.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Serialize)]
struct Digit {
    /// Where the digit is: "number" or "counter", and its place in it.
    part: &'static str,
    index: usize,
    truth: u8,
    /// The sentence with this digit replaced by 0, 1, … 9.
    candidates: Vec<String>,
}

#[derive(Serialize)]
struct Call {
    number: String,
    counter: u32,
    wav: String,
    seconds: f64,
    text: String,
    digits: Vec<Digit>,
}

/// Every candidate sentence for each digit of `number` and `counter`.
fn digits(number: &str, counter: u32) -> Vec<Digit> {
    let counter_s = counter.to_string();
    let mut out = Vec::new();
    for (part, s) in [("number", number), ("counter", counter_s.as_str())] {
        for (index, ch) in s.char_indices() {
            let Some(truth) = ch.to_digit(10) else {
                continue;
            };
            let candidates = (0..10u8)
                .map(|d| {
                    let mut t = s.to_string();
                    t.replace_range(index..index + 1, &d.to_string());
                    let (n, c) = if part == "number" {
                        (t, counter)
                    } else {
                        (number.to_string(), t.parse().expect("digits"))
                    };
                    voice::spoken_text(&voice::script(&n, c))
                })
                .collect();
            out.push(Digit {
                part,
                index,
                truth: truth as u8,
                candidates,
            });
        }
    }
    out
}

pub fn run(o: &Opts) -> anyhow::Result<()> {
    let bank = Bank::load(o.dir.as_deref()).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&o.out).with_context(|| format!("{}", o.out.display()))?;
    let mut calls = Vec::new();
    for (i, (number, counter)) in CALLS.iter().enumerate() {
        let script = voice::script(number, *counter);
        let samples = bank.render(&script);
        let wav = format!("call-{:02}-{number}-{counter}.wav", i + 1);
        voice::write_wav(&o.out.join(&wav), &samples).map_err(anyhow::Error::msg)?;
        calls.push(Call {
            number: number.to_string(),
            counter: *counter,
            wav,
            seconds: samples.len() as f64 / f64::from(voice::RATE),
            text: voice::spoken_text(&script),
            digits: digits(number, *counter),
        });
    }
    let path = o.out.join("calls.json");
    std::fs::write(&path, serde_json::to_string_pretty(&calls)?)?;
    println!("{}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calls_cover_every_digit_every_counter_and_seven_six_times() {
        let all: String = CALLS
            .iter()
            .map(|(n, c)| format!("{n}{c}"))
            .collect::<Vec<_>>()
            .concat();
        for d in '0'..='9' {
            assert!(all.contains(d), "{d}");
        }
        let counters: std::collections::BTreeSet<u32> = CALLS.iter().map(|c| c.1).collect();
        assert_eq!(counters, (1..=9).collect());
        let sevens = CALLS
            .iter()
            .filter(|(n, c)| format!("{n}{c}").contains('7'))
            .count();
        assert_eq!(sevens, 6);
    }

    /// #18: each of the twenty measured calls lasts at most 7 s with the chime, as the board
    /// renders it from the shipped clips.
    #[test]
    fn the_twenty_calls_last_at_most_seven_seconds() {
        let bank = Bank::load(None).unwrap();
        for (n, c) in CALLS {
            let secs = bank.rendered_len(&voice::script(n, c)) as f64 / f64::from(voice::RATE);
            assert!(secs <= 7.0, "{n} → {c}: {secs:.2} s");
        }
    }

    #[test]
    fn each_digit_has_ten_sentences_differing_there_only() {
        let d = digits("1007", 2);
        assert_eq!(d.len(), 5);
        let seven = &d[3];
        assert_eq!((seven.part, seven.index, seven.truth), ("number", 3, 7));
        assert_eq!(
            seven.candidates[7],
            voice::spoken_text(&voice::script("1007", 2))
        );
        assert_eq!(
            seven.candidates[2],
            voice::spoken_text(&voice::script("1002", 2))
        );
        assert_eq!(
            d[4].candidates[9],
            voice::spoken_text(&voice::script("1007", 9))
        );
        let mut unique = seven.candidates.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
    }
}
