//! Who is who: officers' sessions (in memory: a restart signs everyone out), the sign-in
//! failure count, device tokens, and the one thread that runs every argon2 check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua::config::{Config, DeviceRole, Role};

/// Failed sign-ins per login before it is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a login stays locked after each run of [`MAX_FAILURES`]: 1 minute, then 5, then 30,
/// then 2 hours for every further run (until a right PIN, or a day without failures).
pub const LOCKOUTS: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
];
/// A login with no failure for this long starts again from the first lockout.
pub const FAILURES_FORGOTTEN: Duration = Duration::from_secs(24 * 3600);
/// A session unused this long ends (an officer who went home without signing out frees the
/// counter the next morning).
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// The length of a device token's secret part made by `counter device-token` (24 random bytes
/// in hex). The whole token is `NAME.SECRET`: the name says which hash to check, so a token
/// naming no device costs nothing.
pub const DEVICE_TOKEN_LEN: usize = 48;
/// The longest login accepted at sign-in (`counter user add` allows 32): longer ones are refused
/// before they cost anything or take room in the failure count.
pub const MAX_LOGIN_LEN: usize = 64;
/// At most this many logins are tracked in the failure count; logins not locked go first.
pub const MAX_TRACKED_LOGINS: usize = 1024;

/// The lockout after the `run`-th run of failures (0-based).
pub fn lockout(run: u32) -> Duration {
    LOCKOUTS[(run as usize).min(LOCKOUTS.len() - 1)]
}

/// A signed-in officer.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id (the cookie).
    pub id: String,
    /// Their login.
    pub login: String,
    /// Their role.
    pub role: Role,
    /// The counter they sit at; a supervisor may sign in without one (monitor only).
    pub counter: Option<u32>,
    /// The token every state-changing request must carry.
    pub csrf: String,
    /// The PIN hash the officer signed in with: a changed PIN ends the session.
    pub pin_hash: String,
    /// The PIN is shorter than today's rule allows: the console asks to change it.
    pub weak_pin: bool,
    /// The last request of this session.
    seen: Instant,
}

impl Session {
    /// A supervisor.
    pub fn is_supervisor(&self) -> bool {
        self.role == Role::Supervisor
    }
}

/// A device with a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its name in `[[devices]]`.
    pub name: String,
    /// What it may do.
    pub role: DeviceRole,
    /// A rating device's counter.
    pub counter: Option<u32>,
}

/// 24 random bytes in hex: session ids, CSRF and device tokens.
pub fn token() -> String {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new token for device `name` (`NAME.SECRET`) and its hash for `[[devices]]`
/// (`counter device-token`).
pub fn device_token(name: &str) -> Result<(String, String), String> {
    let t = format!("{name}.{}", token());
    let h = motcua::secret::hash_token(&t)?;
    Ok((t, h))
}

/// The live sessions. Every ended session bumps [`Sessions::ended`], so event streams of
/// ended sessions stop at once.
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    ended: tokio::sync::watch::Sender<u64>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            map: Mutex::default(),
            ended: tokio::sync::watch::channel(0).0,
        }
    }
}

/// What a session needs from the officer's account.
#[derive(Debug, Clone)]
pub struct SignIn<'a> {
    /// The login as stored.
    pub login: &'a str,
    /// Their role.
    pub role: Role,
    /// The counter, if any.
    pub counter: Option<u32>,
    /// The stored PIN hash.
    pub pin_hash: &'a str,
    /// The PIN they typed is too short for today's rule.
    pub weak_pin: bool,
}

impl Sessions {
    fn live(map: &mut HashMap<String, Session>) -> &mut HashMap<String, Session> {
        map.retain(|_, s| s.seen.elapsed() < SESSION_IDLE);
        map
    }

    /// The session with this id, if alive; marks it used.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().expect("sessions");
        let s = Sessions::live(&mut map).get_mut(id)?;
        s.seen = Instant::now();
        Some(s.clone())
    }

    /// No session at all.
    pub fn is_empty(&self) -> bool {
        self.map.lock().expect("sessions").is_empty()
    }

    /// Whether the session with this id is alive (without marking it used).
    pub fn alive(&self, id: &str) -> bool {
        Sessions::live(&mut self.map.lock().expect("sessions")).contains_key(id)
    }

    /// Changes each time sessions end: streams of signed-in officers watch it.
    pub fn watch_ended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    fn bump(&self) {
        self.ended.send_modify(|n| *n += 1);
    }

    /// Ends a session.
    pub fn end(&self, id: &str) -> Option<Session> {
        let s = self.map.lock().expect("sessions").remove(id);
        self.bump();
        s
    }

    /// The live sessions `pick` chooses.
    pub fn matching(&self, pick: impl Fn(&Session) -> bool) -> Vec<Session> {
        let map = self.map.lock().expect("sessions");
        map.values().filter(|s| pick(s)).cloned().collect()
    }

    /// Ends every session whose account `keep` no longer accepts (disabled, removed, or a new
    /// PIN), and returns them.
    pub fn revoke(&self, keep: impl Fn(&Session) -> bool) -> Vec<Session> {
        let mut map = self.map.lock().expect("sessions");
        let gone: Vec<Session> = map.values().filter(|s| !keep(s)).cloned().collect();
        map.retain(|_, s| keep(s));
        drop(map);
        if !gone.is_empty() {
            self.bump();
        }
        gone
    }

    /// Who sits at each counter.
    pub fn officers(&self) -> HashMap<u32, String> {
        Sessions::live(&mut self.map.lock().expect("sessions"))
            .values()
            .filter_map(|s| Some((s.counter?, s.login.clone())))
            .collect()
    }

    /// Starts a session for the officer at their counter, ending their earlier ones. Refused
    /// while another officer holds the counter (their login is the error). Returns the session
    /// and the counters the officer's earlier sessions held, which are now free.
    pub fn start(&self, who: SignIn<'_>) -> Result<(Session, Vec<u32>), String> {
        let SignIn {
            login,
            role,
            counter,
            pin_hash,
            weak_pin,
        } = who;
        let mut guard = self.map.lock().expect("sessions");
        let map = Sessions::live(&mut guard);
        if let Some(other) = map
            .values()
            .find(|s| counter.is_some() && s.counter == counter && s.login != login)
        {
            return Err(other.login.clone());
        }
        let left: Vec<u32> = map
            .values()
            .filter(|s| s.login == login && s.counter != counter)
            .filter_map(|s| s.counter)
            .collect();
        let before = map.len();
        map.retain(|_, s| s.login != login);
        let ended = map.len() != before;
        let s = Session {
            id: token(),
            login: login.to_string(),
            role,
            counter,
            csrf: token(),
            pin_hash: pin_hash.to_string(),
            weak_pin,
            seen: Instant::now(),
        };
        map.insert(s.id.clone(), s.clone());
        drop(guard);
        if ended {
            self.bump();
        }
        Ok((s, left))
    }
}

/// One login's failures.
#[derive(Debug, Clone, Copy)]
struct Strikes {
    /// Failures in the current run.
    count: u32,
    /// Runs of [`MAX_FAILURES`] already locked (the next lockout is longer).
    runs: u32,
    /// Locked until then.
    locked_until: Option<Instant>,
    /// The last attempt.
    at: Instant,
}

/// Sign-in attempts per login, counted before the PIN is checked, with escalating lockouts;
/// bounded in the length of a login and the number of entries.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, Strikes>>);

/// Why a sign-in attempt may not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// For how much longer.
    pub remaining: Duration,
}

impl Failures {
    /// Counts a sign-in attempt for `login` before its PIN is checked; refused while the login
    /// is locked (the attempt is not counted then). Counting first means that at most
    /// [`MAX_FAILURES`] PIN checks run per login and lockout, whatever the concurrency.
    pub fn begin(&self, login: &str) -> Result<(), Locked> {
        let now = Instant::now();
        let mut map = self.0.lock().expect("failures");
        map.retain(|_, e| {
            now.duration_since(e.at) < FAILURES_FORGOTTEN || e.locked_until.is_some_and(|u| u > now)
        });
        if let Some(e) = map.get_mut(login) {
            if let Some(until) = e.locked_until {
                if until > now {
                    return Err(Locked {
                        remaining: until - now,
                    });
                }
                e.locked_until = None;
            }
        } else if map.len() >= MAX_TRACKED_LOGINS {
            // Full: forget a login that is not locked (the oldest), else the one whose lock
            // ends first.
            let victim = map
                .iter()
                .filter(|(_, e)| e.locked_until.is_none())
                .min_by_key(|(_, e)| e.at)
                .or_else(|| map.iter().min_by_key(|(_, e)| e.locked_until))
                .map(|(k, _)| k.clone());
            if let Some(v) = victim {
                map.remove(&v);
            }
        }
        let e = map.entry(login.to_string()).or_insert(Strikes {
            count: 0,
            runs: 0,
            locked_until: None,
            at: now,
        });
        e.count += 1;
        e.at = now;
        if e.count >= MAX_FAILURES {
            // This attempt is the last of the run: the login is locked from now on, whether
            // the PIN is right or not ([`Failures::succeeded`] lifts it).
            e.locked_until = Some(now + lockout(e.runs));
            e.runs += 1;
            e.count = 0;
        }
        Ok(())
    }

    /// Whether `key` is locked now (nothing is counted).
    pub fn locked(&self, key: &str) -> Option<Locked> {
        let now = Instant::now();
        let map = self.0.lock().expect("failures");
        let until = map.get(key)?.locked_until?;
        (until > now).then(|| Locked {
            remaining: until - now,
        })
    }

    /// Counts one failure of `key` after the check (device tokens: a right token checked by
    /// several connections at once must not count against itself).
    pub fn failed(&self, key: &str) {
        if self.begin(key).is_err() {
            tracing::debug!(key, "already locked");
        }
    }

    /// The PIN was right: the login's count starts again.
    pub fn succeeded(&self, login: &str) {
        self.0.lock().expect("failures").remove(login);
    }

    /// Logins tracked now.
    pub fn len(&self) -> usize {
        self.0.lock().expect("failures").len()
    }

    /// Nothing tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// One thread for every argon2 check (sign-in PINs, device tokens). Each check takes several
/// MiB; one at a time keeps the server's memory small and a flood of sign-ins from exhausting it.
#[derive(Clone)]
pub struct Hasher {
    jobs: std::sync::mpsc::Sender<Job>,
    /// argon2 checks run so far (the hardening tests count them).
    runs: Arc<std::sync::atomic::AtomicU64>,
}

impl Hasher {
    /// Starts the thread.
    pub fn start() -> Hasher {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                // Below the request threads: a flood of sign-ins must not slow the counters.
                // SAFETY: setpriority on this thread's own id; no memory is touched.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
                }
                for job in rx {
                    job();
                }
            })
            .expect("start the argon2 thread");
        Hasher {
            jobs: tx,
            runs: Arc::default(),
        }
    }

    /// How many checks have run.
    pub fn runs(&self) -> u64 {
        self.runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on the hasher thread and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .ok()?;
        rx.await.ok()
    }
}

/// Everything that decides who is who.
pub struct Auth {
    /// Signed-in officers.
    pub sessions: Sessions,
    /// Sign-in failures.
    pub failures: Failures,
    /// Failed device-token checks per device name (the same lockouts as sign-ins).
    device_failures: Failures,
    /// Device tokens already checked against their argon2 hash: token -> device index.
    devices_seen: Mutex<HashMap<String, usize>>,
    /// The argon2 thread.
    pub hasher: Hasher,
    /// A hash made like officers' hashes: an unknown or disabled login is checked against it,
    /// so it takes as long as a wrong PIN.
    dummy_hash: String,
}

impl Auth {
    /// Nobody signed in.
    pub fn new() -> Auth {
        Auth {
            sessions: Sessions::default(),
            failures: Failures::default(),
            device_failures: Failures::default(),
            devices_seen: Mutex::default(),
            hasher: Hasher::start(),
            dummy_hash: motcua::secret::hash_password(&token()).expect("hash a random secret"),
        }
    }

    /// Checks `pin` against `hash` on the argon2 thread; `None` (no account, or a disabled
    /// one) is checked against a dummy hash and fails, in the same time.
    pub async fn check_pin(&self, pin: String, hash: Option<String>) -> bool {
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let ok = self
            .hasher
            .run(move || motcua::secret::verify(&pin, &hash))
            .await
            .unwrap_or(false);
        ok && real
    }

    /// The device holding `token` (`NAME.SECRET`), if any: the device's own token (its hash in
    /// the config) or the token of a browser paired as it (`paired`: their hashes, read only
    /// when the token is not known yet). A token naming no device is refused without an argon2
    /// check; a known name with a wrong secret counts a failure, and the name is locked like a
    /// login after [`MAX_FAILURES`].
    pub async fn device(
        &self,
        cfg: &Arc<Config>,
        token: &str,
        paired: impl std::future::Future<Output = Vec<String>>,
    ) -> Option<Device> {
        let (name, secret) = token.rsplit_once('.')?;
        if secret.len() != DEVICE_TOKEN_LEN || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let index = cfg.devices.iter().position(|d| d.name == name)?;
        let known = self
            .devices_seen
            .lock()
            .expect("devices")
            .get(token)
            .copied();
        if known != Some(index) {
            // Device secrets are 24 random bytes: nobody guesses one. The lock only bounds the
            // argon2 work wrong tokens cause; failures are counted after the check, so a
            // board's right token checked by several connections at once never locks it.
            if let Some(l) = self.device_failures.locked(name) {
                tracing::warn!(
                    device = name,
                    locked_s = l.remaining.as_secs(),
                    "device token refused: locked"
                );
                return None;
            }
            let mut hashes = vec![cfg.devices[index].token_hash.clone()];
            hashes.extend(paired.await);
            let t = token.to_string();
            let ok = self
                .hasher
                .run(move || hashes.iter().any(|h| motcua::secret::verify(&t, h)))
                .await
                .unwrap_or(false);
            if !ok {
                tracing::warn!(device = name, "wrong device token");
                self.device_failures.failed(name);
                return None;
            }
            self.device_failures.succeeded(name);
            let mut seen = self.devices_seen.lock().expect("devices");
            if seen.len() >= cfg.devices.len() * 4 + 16 {
                seen.clear();
            }
            seen.insert(token.to_string(), index);
        }
        let d = &cfg.devices[index];
        Some(Device {
            name: d.name.clone(),
            role: d.role,
            counter: d.counter,
        })
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: every login ever tried stayed in the failure map, at any length.
    #[test]
    fn a_flood_of_random_logins_keeps_the_failure_count_bounded() {
        let f = Failures::default();
        // A login being guessed is locked...
        for _ in 0..MAX_FAILURES {
            assert!(f.begin("lan").is_ok());
        }
        assert!(f.begin("lan").is_err(), "locked");
        for i in 0..(MAX_TRACKED_LOGINS * 5) {
            assert!(f.begin(&format!("guess-{i}")).is_ok());
        }
        assert_eq!(f.len(), MAX_TRACKED_LOGINS);
        // ... and stays locked after a flood of other logins went by.
        assert!(f.begin("lan").is_err(), "still locked");
        f.succeeded("lan");
        assert!(f.begin("lan").is_ok());
    }

    /// #17.1: the lockout escalates: 1 minute, then 5, then 30, then 2 hours.
    #[test]
    fn lockouts_grow_with_each_run_of_failures() {
        assert_eq!(
            (0..6)
                .map(|r| lockout(r).as_secs() / 60)
                .collect::<Vec<_>>(),
            [1, 5, 30, 120, 120, 120]
        );
        let f = Failures::default();
        for _ in 0..MAX_FAILURES {
            f.begin("lan").unwrap();
        }
        let first = f.begin("lan").unwrap_err().remaining;
        assert!(first <= LOCKOUTS[0] && first > LOCKOUTS[0] / 2, "{first:?}");
        // The lock ran out: the next run ends in a longer one.
        {
            let mut map = f.0.lock().unwrap();
            let e = map.get_mut("lan").unwrap();
            e.locked_until = Some(Instant::now());
        }
        for _ in 0..MAX_FAILURES {
            f.begin("lan").unwrap();
        }
        let second = f.begin("lan").unwrap_err().remaining;
        assert!(second > LOCKOUTS[0] && second <= LOCKOUTS[1], "{second:?}");
    }

    #[test]
    fn signing_in_elsewhere_frees_the_earlier_counter() {
        let s = Sessions::default();
        let at = |login, counter| SignIn {
            login,
            role: Role::Officer,
            counter: Some(counter),
            pin_hash: "h",
            weak_pin: false,
        };
        let (a, left) = s.start(at("lan", 1)).unwrap();
        assert!(left.is_empty());
        assert_eq!(s.start(at("minh", 1)).unwrap_err(), "lan");
        let (_, left) = s.start(at("lan", 2)).unwrap();
        assert_eq!(left, vec![1]);
        assert!(s.touch(&a.id).is_none(), "the earlier session ended");
        assert_eq!(s.officers(), HashMap::from([(2, "lan".to_string())]));
    }
}
