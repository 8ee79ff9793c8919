//! How loud a voice clip is, and levelling a clip to the announcement's target.
//!
//! Loudness is EBU R 128's K-weighted measure (the `ebur128` crate, a port of libebur128 that
//! passes the EBU test suites) taken over the whole clip without gating: a clip is a word or
//! a phrase, far shorter than the 400 ms blocks that gating works on. Peaks are true peaks
//! (4× oversampled), in dBFS. The levelling itself (gain, a look-ahead peak limiter, short
//! fades) is written here: no maintained Rust crate offers a limiter, and it is 40 lines whose
//! every output is checked by the same measure.

use ebur128::{EbuR128, Mode};

/// The loudness every clip is brought to, LUFS (K-weighted, ungated).
pub const TARGET_LUFS: f64 = -18.0;
/// How far a clip may be from [`TARGET_LUFS`], in LU.
pub const TOLERANCE_LU: f64 = 1.0;
/// The highest true peak a clip may have, dBFS.
pub const PEAK_CEILING_DBFS: f64 = -1.0;
/// Below this a sample counts as silence (0.5 % of full scale, about −46 dBFS, as sox's
/// `silence` effect in assets/voice/generate.sh).
pub const SILENCE_LEVEL: i16 = 164;
/// The most silence a clip may keep at either end, ms.
pub const MAX_EDGE_SILENCE_MS: u32 = 150;
/// Silence kept at each end when levelling, ms.
const EDGE_MS: u32 = 10;
/// Fades at each end when levelling, ms (no click where the clip starts or stops).
const FADE_MS: u32 = 5;
/// The limiter's look-ahead and release, ms.
const LOOKAHEAD_MS: u32 = 2;
const RELEASE_MS: f32 = 60.0;

/// What [`measure`] finds in a clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// K-weighted loudness over the whole clip, LUFS (−∞ for silence).
    pub loudness: f64,
    /// The true peak, dBFS.
    pub true_peak: f64,
    /// Places where three or more samples in a row sit at the clip's highest level: a flat,
    /// clipped top.
    pub clipped: usize,
    /// Silence before the first and after the last sound, ms.
    pub lead_ms: u32,
    pub trail_ms: u32,
    /// The clip's length, ms.
    pub duration_ms: u32,
}

fn ms(samples: usize, rate: u32) -> u32 {
    (samples as u64 * 1000 / u64::from(rate)) as u32
}

/// K-weighted ungated loudness of `samples` (mono, `rate` Hz), LUFS.
pub fn loudness(samples: &[f32], rate: u32) -> f64 {
    let window = ms(samples.len(), rate);
    if window == 0 {
        return f64::NEG_INFINITY;
    }
    let mut m = EbuR128::new(1, rate, Mode::M).expect("mono at a supported rate");
    m.set_max_window(window).expect("mode M has a window");
    m.add_frames_f32(samples).expect("mono frames");
    m.loudness_window(window).expect("the window fits")
}

/// EBU R 128 integrated (gated) loudness of `samples`, LUFS: for a whole announcement, whose
/// pauses between words the gating leaves out.
pub fn integrated(samples: &[f32], rate: u32) -> f64 {
    let mut m = EbuR128::new(1, rate, Mode::I).expect("mono at a supported rate");
    m.add_frames_f32(samples).expect("mono frames");
    m.loudness_global().expect("mode I")
}

/// The true peak of `samples`, dBFS.
pub fn true_peak(samples: &[f32], rate: u32) -> f64 {
    let mut m = EbuR128::new(1, rate, Mode::TRUE_PEAK).expect("mono at a supported rate");
    m.add_frames_f32(samples).expect("mono frames");
    20.0 * m.true_peak(0).expect("true peak mode").log10()
}

fn to_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|s| f32::from(*s) / 32768.0).collect()
}

/// Loudness, peak, clipping and edge silence of a 16-bit mono clip at `rate` Hz.
pub fn measure(samples: &[i16], rate: u32) -> Measure {
    let f = to_f32(samples);
    let top = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    let mut clipped = 0;
    let mut run = 0;
    for s in samples {
        if top > 0 && s.unsigned_abs() == top {
            run += 1;
            if run == 3 {
                clipped += 1;
            }
        } else {
            run = 0;
        }
    }
    let loud = |s: &&i16| s.unsigned_abs() > SILENCE_LEVEL as u16;
    let lead = samples.iter().take_while(|s| !loud(s)).count();
    let trail = if lead == samples.len() {
        0
    } else {
        samples.iter().rev().take_while(|s| !loud(s)).count()
    };
    Measure {
        loudness: loudness(&f, rate),
        true_peak: true_peak(&f, rate),
        clipped,
        lead_ms: ms(lead, rate),
        trail_ms: ms(trail, rate),
        duration_ms: ms(samples.len(), rate),
    }
}

/// Gain that keeps every sample of `x` under `ceiling` (linear): a look-ahead minimum, a
/// release back towards 1, then a moving average over the look-ahead, which ramps the gain
/// down before each peak and never lets a peak through.
fn limiter_gain(x: &[f32], ceiling: f32, rate: u32) -> Vec<f32> {
    let la = ((rate * LOOKAHEAD_MS / 1000) as usize).max(1);
    let need: Vec<f32> = x
        .iter()
        .map(|v| {
            if v.abs() > ceiling {
                ceiling / v.abs()
            } else {
                1.0
            }
        })
        .collect();
    let n = need.len();
    // Minimum over the next `la` samples.
    let ahead: Vec<f32> = (0..n)
        .map(|i| need[i..(i + la).min(n)].iter().copied().fold(1.0, f32::min))
        .collect();
    let rel = (-1.0 / (RELEASE_MS / 1000.0 * rate as f32)).exp();
    let mut env = Vec::with_capacity(n);
    let mut g = 1.0f32;
    for a in &ahead {
        g = a.min(1.0 - (1.0 - g) * rel);
        env.push(g);
    }
    // Moving average over the `la` samples up to each one: each of them is at most the
    // need of this sample, so the average is too.
    let mut out = Vec::with_capacity(n);
    let mut sum = 0.0f64;
    for i in 0..n {
        sum += f64::from(env[i]);
        if i >= la {
            sum -= f64::from(env[i - la]);
        }
        out.push((sum / (i + 1).min(la) as f64) as f32);
    }
    out
}

/// `samples` (mono, float, `rate` Hz) made ready to ship: silence trimmed to [`EDGE_MS`] at
/// each end, DC removed, brought to `target` LUFS with true peaks at or under
/// [`PEAK_CEILING_DBFS`], faded in and out, rounded to 16 bits without dither (the same input
/// always gives the same bytes). `None` when the clip is silent.
pub fn level(samples: &[f32], rate: u32, target: f64) -> Option<Vec<i16>> {
    let threshold = f32::from(SILENCE_LEVEL) / 32768.0;
    let first = samples.iter().position(|v| v.abs() > threshold)?;
    let last = samples.iter().rposition(|v| v.abs() > threshold)?;
    let edge = (rate * EDGE_MS / 1000) as usize;
    let mut x: Vec<f32> =
        samples[first.saturating_sub(edge)..(last + 1 + edge).min(samples.len())].to_vec();
    let mean = x.iter().map(|v| f64::from(*v)).sum::<f64>() / x.len() as f64;
    x.iter_mut().for_each(|v| *v -= mean as f32);
    let fade = ((rate * FADE_MS / 1000) as usize).min(x.len() / 2);
    for i in 0..fade {
        let k = i as f32 / fade as f32;
        x[i] *= k;
        let j = x.len() - 1 - i;
        x[j] *= k;
    }
    // The limiter takes loudness away; the gain is raised until the result lands on the
    // target, and the sample ceiling lowered while a true peak (between samples) is over.
    let mut gain = 10f64.powf((target - loudness(&x, rate)) / 20.0);
    let mut ceiling = 10f64.powf((PEAK_CEILING_DBFS - 0.3) / 20.0) as f32;
    let mut out = Vec::new();
    for _ in 0..12 {
        let y: Vec<f32> = x.iter().map(|v| v * gain as f32).collect();
        let g = limiter_gain(&y, ceiling, rate);
        out = y
            .iter()
            .zip(&g)
            .map(|(v, g)| (v * g * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        let f = to_f32(&out);
        let (l, p) = (loudness(&f, rate), true_peak(&f, rate));
        let off = target - l;
        if p > PEAK_CEILING_DBFS - 0.05 {
            ceiling *= 10f64.powf((PEAK_CEILING_DBFS - 0.1 - p) / 20.0) as f32;
        } else if off.abs() < 0.05 {
            break;
        }
        gain *= 10f64.powf(off / 20.0);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 22050;

    fn tone(freq: f32, amp: f32, ms: u32) -> Vec<f32> {
        (0..RATE * ms / 1000)
            .map(|i| amp * (i as f32 * freq * std::f32::consts::TAU / RATE as f32).sin())
            .collect()
    }

    #[test]
    fn a_full_scale_1khz_sine_measures_as_ebu_says() {
        // EBU Tech 3341: a 997 Hz sine at 0 dBFS on one channel reads −3.01 LUFS.
        let l = loudness(&tone(997.0, 1.0, 1000), RATE);
        assert!((l + 3.01).abs() < 0.1, "{l}");
        let quiet = loudness(&tone(997.0, 0.1, 1000), RATE);
        assert!((quiet - (l - 20.0)).abs() < 0.05, "{quiet}");
        assert_eq!(loudness(&[0.0; 4000], RATE), f64::NEG_INFINITY);
    }

    #[test]
    fn levelling_lands_on_the_target_under_the_ceiling() {
        // A loud burst among quiet speech-like tones: the limiter has to work.
        let mut x = vec![0.0; 2000];
        x.extend(tone(300.0, 0.05, 400));
        x.extend(tone(2000.0, 0.95, 30));
        x.extend(tone(450.0, 0.05, 400));
        x.extend(vec![0.0; 3000]);
        let out = level(&x, RATE, TARGET_LUFS).unwrap();
        let m = measure(&out, RATE);
        assert!((m.loudness - TARGET_LUFS).abs() < 0.2, "{m:?}");
        assert!(m.true_peak <= PEAK_CEILING_DBFS, "{m:?}");
        assert!(m.lead_ms <= 15 && m.trail_ms <= 15, "{m:?}");
        assert_eq!(level(&x, RATE, TARGET_LUFS).unwrap(), out, "deterministic");
        assert_eq!(level(&[0.0; 1000], RATE, TARGET_LUFS), None);
    }

    #[test]
    fn measure_finds_flat_tops_and_edge_silence() {
        let mut s = vec![0i16; 2205];
        s.extend((0..2205).map(|i| if i % 50 < 10 { 32767 } else { -2000 }));
        s.extend(vec![0i16; 4410]);
        let m = measure(&s, RATE);
        assert_eq!(m.lead_ms, 100);
        assert_eq!(m.trail_ms, 200);
        assert!(m.clipped >= 40, "{m:?}");
        assert_eq!(m.duration_ms, 400);
        let clean: Vec<i16> = tone(440.0, 0.5, 200)
            .iter()
            .map(|v| (v * 32768.0) as i16)
            .collect();
        assert_eq!(measure(&clean, RATE).clipped, 0);
    }
}
