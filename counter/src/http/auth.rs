//! Who is who: officers' sessions (in memory: a restart signs everyone out), the sign-in
//! failure count, device tokens, and the one thread that runs every argon2 check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua::config::{Config, DeviceRole, Role};

/// Failed sign-ins per login before it is locked for [`LOCKOUT`].
pub const MAX_FAILURES: u32 = 5;
/// How long a login stays locked after [`MAX_FAILURES`].
pub const LOCKOUT: Duration = Duration::from_secs(60);
/// A session unused this long ends (an officer who went home without signing out frees the
/// counter the next morning).
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// The length of a device token made by `counter device-token` (24 random bytes in hex).
pub const DEVICE_TOKEN_LEN: usize = 48;
/// The longest login accepted at sign-in (`counter user add` allows 32): longer ones are refused
/// before they cost anything or take room in the failure count.
pub const MAX_LOGIN_LEN: usize = 64;
/// At most this many logins are tracked in the failure count; the oldest entry goes first.
pub const MAX_TRACKED_LOGINS: usize = 1024;

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
}

/// 24 random bytes in hex: session ids, CSRF and device tokens.
pub fn token() -> String {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new device token and its hash for `[[devices]]` (`counter device-token`).
pub fn device_token() -> Result<(String, String), String> {
    let t = token();
    let h = motcua::secret::hash_password(&t)?;
    Ok((t, h))
}

/// The live sessions.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    fn live(map: &mut HashMap<String, Session>) -> &mut HashMap<String, Session> {
        map.retain(|_, s| s.seen.elapsed() < SESSION_IDLE);
        map
    }

    /// The session with this id, if alive; marks it used.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut map = self.0.lock().expect("sessions");
        let s = Sessions::live(&mut map).get_mut(id)?;
        s.seen = Instant::now();
        Some(s.clone())
    }

    /// Ends a session.
    pub fn end(&self, id: &str) -> Option<Session> {
        self.0.lock().expect("sessions").remove(id)
    }

    /// Who sits at each counter.
    pub fn officers(&self) -> HashMap<u32, String> {
        Sessions::live(&mut self.0.lock().expect("sessions"))
            .values()
            .filter_map(|s| Some((s.counter?, s.login.clone())))
            .collect()
    }

    /// Starts a session for `login` at `counter`, ending their earlier ones. Refused while
    /// another officer holds the counter (their login is the error). Returns the session and the
    /// counters the officer's earlier sessions held, which are now free.
    pub fn start(
        &self,
        login: &str,
        role: Role,
        counter: Option<u32>,
    ) -> Result<(Session, Vec<u32>), String> {
        let mut guard = self.0.lock().expect("sessions");
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
        map.retain(|_, s| s.login != login);
        let s = Session {
            id: token(),
            login: login.to_string(),
            role,
            counter,
            csrf: token(),
            seen: Instant::now(),
        };
        map.insert(s.id.clone(), s.clone());
        Ok((s, left))
    }
}

/// Failed sign-ins per login, bounded in the length of a login and the number of entries.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, (u32, Instant)>>);

impl Failures {
    /// Counts a sign-in attempt for `login` before its PIN is checked; `false` when the login
    /// is locked (the attempt is not counted then). Counting first means that concurrent
    /// guesses cannot all pass the check before any failure is recorded.
    pub fn begin(&self, login: &str) -> bool {
        let mut map = self.0.lock().expect("failures");
        map.retain(|_, (_, at)| at.elapsed() < LOCKOUT);
        if let Some((n, _)) = map.get(login)
            && *n >= MAX_FAILURES
        {
            return false;
        }
        if !map.contains_key(login) && map.len() >= MAX_TRACKED_LOGINS {
            // Full of recent failures: forget the oldest.
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let e = map.entry(login.to_string()).or_insert((0, Instant::now()));
        e.0 += 1;
        e.1 = Instant::now();
        true
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
pub struct Hasher(std::sync::mpsc::Sender<Job>);

impl Hasher {
    /// Starts the thread.
    pub fn start() -> Hasher {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("start the argon2 thread");
        Hasher(tx)
    }

    /// Runs `f` on the hasher thread and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0
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
    /// Device tokens already checked against their argon2 hash: token -> device index.
    devices_seen: Mutex<HashMap<String, usize>>,
    /// The argon2 thread.
    pub hasher: Hasher,
}

impl Auth {
    /// Nobody signed in.
    pub fn new() -> Auth {
        Auth {
            sessions: Sessions::default(),
            failures: Failures::default(),
            devices_seen: Mutex::default(),
            hasher: Hasher::start(),
        }
    }

    /// The device holding `token`, if any.
    pub async fn device(&self, cfg: &Arc<Config>, token: &str) -> Option<Device> {
        // Only the shape `counter device-token` makes is worth an argon2 check.
        if token.len() != DEVICE_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let known = self
            .devices_seen
            .lock()
            .expect("devices")
            .get(token)
            .copied();
        let index = match known {
            Some(i) => i,
            None => {
                let c = cfg.clone();
                let t = token.to_string();
                let i = self
                    .hasher
                    .run(move || {
                        c.devices
                            .iter()
                            .position(|d| motcua::secret::verify(&t, &d.token_hash))
                    })
                    .await
                    .flatten()?;
                self.devices_seen
                    .lock()
                    .expect("devices")
                    .insert(token.to_string(), i);
                i
            }
        };
        let d = &cfg.devices[index];
        Some(Device {
            name: d.name.clone(),
            role: d.role,
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
        for i in 0..(MAX_TRACKED_LOGINS * 5) {
            assert!(f.begin(&format!("guess-{i}")));
        }
        assert_eq!(f.len(), MAX_TRACKED_LOGINS);
        // A login being guessed is still locked after the flood went by.
        for _ in 0..MAX_FAILURES {
            assert!(f.begin("lan"));
        }
        for i in 0..MAX_TRACKED_LOGINS / 2 {
            f.begin(&format!("more-{i}"));
        }
        assert!(!f.begin("lan"), "locked");
        f.succeeded("lan");
        assert!(f.begin("lan"));
    }

    #[test]
    fn signing_in_elsewhere_frees_the_earlier_counter() {
        let s = Sessions::default();
        let (a, left) = s.start("lan", Role::Officer, Some(1)).unwrap();
        assert!(left.is_empty());
        assert_eq!(s.start("minh", Role::Officer, Some(1)).unwrap_err(), "lan");
        let (_, left) = s.start("lan", Role::Officer, Some(2)).unwrap();
        assert_eq!(left, vec![1]);
        assert!(s.touch(&a.id).is_none(), "the earlier session ended");
        assert_eq!(s.officers(), HashMap::from([(2, "lan".to_string())]));
    }
}
