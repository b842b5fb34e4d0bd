//! What the server remembers between requests to keep clients it has not authenticated in check:
//! the console's login sessions, the back-off of clients that present wrong admin tokens, the
//! rate of wrong tokens from all clients together, and the memory all POST forms together may
//! hold of their fields before authentication. Plain data behind locks, below the state; the
//! decisions that use them are in [`admin`](crate::admin) (admission),
//! [`console`](crate::console) (login, logout) and the form reader
//! ([`read_form`](crate::s3::post_object::read_form)).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The S3 API (`--addr`): object bytes are served here, so no page on it may hold authority.
    S3,
    /// The console and the admin API it uses (`--console-addr`): an origin that serves no object
    /// as a live page.
    Console,
}

/// Sessions, back-off, the global rate of wrong tokens and the budget of unauthenticated form
/// fields, in [`AppState`](crate::state::AppState).
#[derive(Debug, Default)]
pub struct Gate {
    pub sessions: Sessions,
    pub backoff: Backoff,
    pub guesses: GuessRate,
    pub forms: FormBudget,
}

/// How long a console login lasts. Twelve hours, the S3 console's longest session too; counted
/// in real time, not on the server's clock, so that moving the clock (what the console is for)
/// neither logs the user out nor stretches a session.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The most console sessions kept; a login beyond them ends the one that expires first (one
/// person behind one token needs few; memory stays bounded whatever the logins).
pub const MAX_SESSIONS: usize = 64;

/// Console login sessions: a random id per login, known to the server only by its SHA-256 (a
/// lookup by hash leaks nothing about the id through timing), expiring, revocable.
#[derive(Debug, Default)]
pub struct Sessions {
    expiry_by_hash: Mutex<HashMap<[u8; 32], Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves consistent maps (every change is one insert or
    // remove), so a poisoned lock is used as it is.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// Starts a session; its id (64 hex digits, 244 random bits from the OS).
    pub fn create(&self) -> String {
        let id = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let now = Instant::now();
        let mut map = lock(&self.expiry_by_hash);
        map.retain(|_, until| *until > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(first) = map.iter().min_by_key(|(_, until)| **until).map(|(h, _)| *h) {
                map.remove(&first);
            }
        }
        map.insert(digest(&id), now + SESSION_LIFETIME);
        id
    }

    /// Whether `id` is a live session.
    pub fn is_live(&self, id: &str) -> bool {
        self.is_live_at(id, Instant::now())
    }

    /// Whether `id` is a live session at `now`; an expired one is forgotten.
    fn is_live_at(&self, id: &str, now: Instant) -> bool {
        let key = digest(id);
        let mut map = lock(&self.expiry_by_hash);
        match map.get(&key) {
            Some(until) if *until > now => true,
            Some(_) => {
                map.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Ends session `id` (logout); nothing when there is none.
    pub fn revoke(&self, id: &str) {
        lock(&self.expiry_by_hash).remove(&digest(id));
    }

    /// Live sessions.
    pub fn count(&self) -> usize {
        let now = Instant::now();
        lock(&self.expiry_by_hash).values().filter(|until| **until > now).count()
    }
}

/// Failures a client may make before it has to wait: a mistyped token costs nothing.
pub const FREE_FAILURES: u32 = 3;
/// The wait after the first failure beyond the free ones; it doubles with each further failure.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait: past it, one guess per five minutes.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// A client without a failure for this long starts over.
pub const FORGET_AFTER: Duration = Duration::from_secs(900);
/// The most clients remembered. When full, the client whose last failure is oldest is forgotten
/// first, so memory stays bounded whatever the number of addresses a client uses.
pub const MAX_CLIENTS: usize = 4096;

/// Per-client back-off of failed admin tokens and console logins: after [`FREE_FAILURES`], each
/// failure makes the client wait twice as long ([`FIRST_WAIT`] up to [`MAX_WAIT`]) before its
/// next try is even looked at. Real time, as for sessions.
#[derive(Debug, Default)]
pub struct Backoff {
    clients: Mutex<HashMap<IpAddr, Strikes>>,
}

#[derive(Debug, Clone, Copy)]
struct Strikes {
    failures: u32,
    last: Instant,
    until: Instant,
}

/// The key of a client: its address; for IPv6 its /64, the block one host is usually given.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

impl Backoff {
    /// How long `ip` must still wait before a token or login from it is looked at.
    pub fn wait(&self, ip: IpAddr) -> Option<Duration> {
        let key = client_key(ip);
        let now = Instant::now();
        let mut clients = lock(&self.clients);
        let strikes = *clients.get(&key)?;
        if now.duration_since(strikes.last) >= FORGET_AFTER && strikes.until <= now {
            clients.remove(&key);
            return None;
        }
        (strikes.until > now).then(|| strikes.until - now)
    }

    /// Records a failure of `ip`; the wait it now has (none while within the free failures).
    pub fn failed(&self, ip: IpAddr) -> Option<Duration> {
        let key = client_key(ip);
        let now = Instant::now();
        let mut clients = lock(&self.clients);
        if !clients.contains_key(&key) && clients.len() >= MAX_CLIENTS {
            clients.retain(|_, s| now.duration_since(s.last) < FORGET_AFTER || s.until > now);
            if clients.len() >= MAX_CLIENTS {
                if let Some(oldest) = clients.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| *k) {
                    clients.remove(&oldest);
                }
            }
        }
        let strikes = clients.entry(key).or_insert(Strikes { failures: 0, last: now, until: now });
        if now.duration_since(strikes.last) >= FORGET_AFTER {
            strikes.failures = 0;
        }
        strikes.failures = strikes.failures.saturating_add(1);
        strikes.last = now;
        let beyond = strikes.failures.saturating_sub(FREE_FAILURES);
        if beyond == 0 {
            return None;
        }
        let wait = FIRST_WAIT.saturating_mul(1u32 << (beyond - 1).min(16)).min(MAX_WAIT);
        strikes.until = now + wait;
        Some(wait)
    }

    /// `ip` gave the right token: it starts over.
    pub fn succeeded(&self, ip: IpAddr) {
        lock(&self.clients).remove(&client_key(ip));
    }

    /// Clients remembered.
    pub fn len(&self) -> usize {
        lock(&self.clients).len()
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Wrong admin tokens and logins that all clients together may make at once, before
/// [`GUESSES_PER_SECOND`] limits them.
pub const GUESS_BURST: u32 = 20;
/// Wrong admin tokens and logins all clients together may make per second, past the burst.
pub const GUESSES_PER_SECOND: u32 = 5;

/// A token bucket over the wrong admin tokens and console logins of all clients together, beside
/// the per-client [`Backoff`]: a client with many addresses (127.0.0.0/8 on loopback, an IPv6
/// /48, a NAT's pool) gets a fresh back-off on each, and together they could otherwise guess
/// thousands of times a second. Each check takes a token before it is made and gives it back
/// when the token was right, so only wrong guesses use the rate up, and at most
/// [`GUESS_BURST`] guesses are ever being checked without one. While none is left, every check
/// waits (`429` with `Retry-After`), the right token too, or it would tell a guess apart; the
/// wait is never longer than one token's refill, so no flood locks the right token out for longer
/// than it lasts.
#[derive(Debug)]
pub struct GuessRate {
    bucket: Mutex<(f64, Instant)>,
}

impl Default for GuessRate {
    fn default() -> Self {
        GuessRate { bucket: Mutex::new((f64::from(GUESS_BURST), Instant::now())) }
    }
}

impl GuessRate {
    /// Takes a token for one check, or says how long until one is there.
    pub fn take(&self) -> Result<(), Duration> {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> Result<(), Duration> {
        let mut bucket = lock(&self.bucket);
        let (tokens, at) = *bucket;
        let refilled = now.saturating_duration_since(at).as_secs_f64() * f64::from(GUESSES_PER_SECOND);
        let tokens = (tokens + refilled).min(f64::from(GUESS_BURST));
        if tokens < 1.0 {
            *bucket = (tokens, now);
            return Err(Duration::from_secs_f64((1.0 - tokens) / f64::from(GUESSES_PER_SECOND)));
        }
        *bucket = (tokens - 1.0, now);
        Ok(())
    }

    /// The check the token was taken for found the right token: it goes back.
    pub fn give_back(&self) {
        let mut bucket = lock(&self.bucket);
        bucket.0 = (bucket.0 + 1.0).min(f64::from(GUESS_BURST));
    }
}

/// The most bytes of form fields all POST forms together may hold before authentication beyond
/// each one's [`FORM_ALLOWANCE`]. A legitimate form's fields are a few KiB (a policy, a signature,
/// a key, some metadata), so this is hundreds of forms at their largest; without it, a thousand
/// unauthenticated connections could each hold S3's 1 MiB of fields (2 GiB in all, measured).
pub const FORM_BUDGET: usize = 8 << 20;
/// What each form may read of its fields without drawing on [`FORM_BUDGET`]: every usual form
/// fits, so a client filling the budget cannot turn ordinary forms away (all of these together
/// are bounded by the connection cap).
pub const FORM_ALLOWANCE: usize = 16 << 10;

/// The bytes POST forms may hold of their fields before authentication, beyond their allowance:
/// a form that would need more than what is left is answered `503 SlowDown`, as S3 answers when
/// it is overloaded. Clones share the budget.
#[derive(Debug, Clone)]
pub struct FormBudget {
    bytes: Arc<Semaphore>,
}

impl Default for FormBudget {
    fn default() -> Self {
        FormBudget { bytes: Arc::new(Semaphore::new(FORM_BUDGET)) }
    }
}

impl FormBudget {
    /// `n` bytes of the budget, held until the permit drops; `None` when they are not left.
    pub fn take(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n).ok()?;
        self.bytes.clone().try_acquire_many_owned(n).ok()
    }

    /// Bytes of the budget not held.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_revocable_and_bounded() {
        let s = Sessions::default();
        let a = s.create();
        let b = s.create();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(s.is_live(&a) && s.is_live(&b));
        assert!(!s.is_live(&"0".repeat(64)));
        s.revoke(&a);
        assert!(!s.is_live(&a) && s.is_live(&b));
        for _ in 0..MAX_SESSIONS + 10 {
            s.create();
        }
        assert_eq!(s.count(), MAX_SESSIONS);
        assert!(!s.is_live(&b), "the oldest went first");
        let c = s.create();
        let now = Instant::now();
        assert!(s.is_live_at(&c, now + SESSION_LIFETIME - Duration::from_secs(60)));
        assert!(!s.is_live_at(&c, now + SESSION_LIFETIME + Duration::from_secs(1)), "expired after 12 h");
        assert!(!s.is_live(&c), "and forgotten");
    }

    #[test]
    fn backoff_doubles_after_the_free_failures() {
        let b = Backoff::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let waits: Vec<Option<u64>> = (0..14).map(|_| b.failed(ip).map(|d| d.as_secs())).collect();
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(64),
                Some(128),
                Some(256),
                Some(300),
                Some(300)
            ]
        );
        assert!(b.wait(ip).is_some());
        assert!(b.wait("192.0.2.8".parse().unwrap()).is_none(), "per client");
        b.succeeded(ip);
        assert!(b.wait(ip).is_none());
    }

    #[test]
    fn wrong_guesses_of_all_clients_are_rate_limited() {
        let g = GuessRate::default();
        let start = Instant::now();
        for _ in 0..GUESS_BURST {
            assert!(g.take_at(start).is_ok());
        }
        let wait = g.take_at(start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(200), "one token's refill");
        assert!(g.take_at(start + Duration::from_millis(100)).is_err());
        assert!(g.take_at(start + Duration::from_millis(200)).is_ok());
        // A right token gives its token back: only wrong ones use the rate up.
        let later = start + Duration::from_millis(400);
        assert!(g.take_at(later).is_ok());
        g.give_back();
        assert!(g.take_at(later).is_ok());
        assert!(g.take_at(later).is_err());
        // Refilled to the burst, never beyond.
        let much_later = later + Duration::from_secs(3600);
        for _ in 0..GUESS_BURST {
            assert!(g.take_at(much_later).is_ok());
        }
        assert!(g.take_at(much_later).is_err());
    }

    #[test]
    fn backoff_keys_ipv6_by_its_64_and_stays_bounded() {
        let b = Backoff::default();
        for _ in 0..=FREE_FAILURES {
            b.failed("2001:db8:1:2::1".parse().unwrap());
        }
        assert!(b.wait("2001:db8:1:2:ffff::9".parse().unwrap()).is_some(), "same /64");
        assert!(b.wait("2001:db8:1:3::1".parse().unwrap()).is_none());
        for i in 0..(MAX_CLIENTS as u32 + 100) {
            b.failed(IpAddr::V4(i.into()));
        }
        assert_eq!(b.len(), MAX_CLIENTS);
    }
}
