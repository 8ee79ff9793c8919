//! Playing the spoken call: the clips and scripts are [`motcua::voice`]'s (re-exported here);
//! announcements queue and play whole, in order, on their own thread.

use std::sync::mpsc;

pub use motcua::voice::*;

/// Where announcements are played: a sound card, or a collector in tests.
pub trait Sink: Send {
    /// Plays `samples` to the end before returning (an announcement is never cut off).
    fn play(&mut self, script: &[Clip], samples: &[i16]);
}

/// The sound card through rodio.
pub struct Speaker {
    _stream: rodio::OutputStream,
    sink: rodio::Sink,
}

impl Speaker {
    /// Opens the default output device; an error when there is none.
    pub fn open() -> Result<Speaker, String> {
        let stream =
            rodio::OutputStreamBuilder::open_default_stream().map_err(|e| e.to_string())?;
        let sink = rodio::Sink::connect_new(stream.mixer());
        Ok(Speaker {
            _stream: stream,
            sink,
        })
    }
}

impl Sink for Speaker {
    fn play(&mut self, _script: &[Clip], samples: &[i16]) {
        let f: Vec<f32> = samples.iter().map(|s| f32::from(*s) / 32768.0).collect();
        self.sink
            .append(rodio::buffer::SamplesBuffer::new(1, RATE, f));
        self.sink.sleep_until_end();
    }
}

/// No sound device: announcements are logged and skipped; the board goes on.
pub struct Silent;

impl Sink for Silent {
    fn play(&mut self, script: &[Clip], _samples: &[i16]) {
        tracing::debug!(
            clips = script.len(),
            "no audio device: announcement not played"
        );
    }
}

/// Announcements waiting to be spoken, played one after another on their own thread.
pub struct Announcer {
    tx: mpsc::Sender<Vec<Clip>>,
    done: Option<std::thread::JoinHandle<()>>,
}

impl Announcer {
    /// Starts the player thread with `bank` and `sink`.
    pub fn start(bank: Bank, mut sink: Box<dyn Sink>) -> Announcer {
        let (tx, rx) = mpsc::channel::<Vec<Clip>>();
        let done = std::thread::Builder::new()
            .name("announcer".into())
            .spawn(move || {
                for script in rx {
                    let samples = bank.render(&script);
                    sink.play(&script, &samples);
                }
            })
            .expect("start the announcer thread");
        Announcer {
            tx,
            done: Some(done),
        }
    }

    /// Queues the call of `number` to `counter` (a burst is spoken in order, none dropped).
    pub fn announce(&self, number: &str, counter: u32) {
        self.say(script(number, counter));
    }

    /// Queues any announcement.
    pub fn say(&self, script: Vec<Clip>) {
        if self.tx.send(script).is_err() {
            tracing::error!("announcer thread has stopped");
        }
    }

    /// Waits until every queued announcement has been played.
    pub fn finish(mut self) {
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(h) = self.done.take() {
            let _ = h.join();
        }
    }
}

/// Opens the speaker, or falls back to silence with a warning.
pub fn default_sink() -> Box<dyn Sink> {
    match Speaker::open() {
        Ok(s) => Box::new(s),
        Err(e) => {
            tracing::warn!(error = %e, "no audio output: the board runs without voice");
            Box::new(Silent)
        }
    }
}
