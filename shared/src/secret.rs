//! Staff PINs and officer passwords: stored only as argon2 hashes, checked in constant time.

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Hashes a kiosk staff PIN (4 to 12 digits).
pub fn hash(pin: &str) -> Result<String, String> {
    if pin.len() < 4 || pin.len() > 12 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a staff PIN is 4 to 12 digits".into());
    }
    hash_secret(pin)
}

/// The shortest officer PIN (digits only).
pub const MIN_PIN_DIGITS: usize = 6;
/// The shortest officer password (anything but digits only).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest officer PIN or password.
pub const MAX_PASSWORD_CHARS: usize = 64;

/// Whether `secret` meets today's rule for officers: a PIN of at least 6 digits, or a password
/// of at least 8 characters (at most 64, no spaces at the ends). Older, shorter PINs still sign
/// in; the console then asks to change them.
pub fn is_strong(secret: &str) -> bool {
    let n = secret.chars().count();
    let min = if secret.bytes().all(|b| b.is_ascii_digit()) {
        MIN_PIN_DIGITS
    } else {
        MIN_PASSWORD_CHARS
    };
    (min..=MAX_PASSWORD_CHARS).contains(&n) && secret.trim() == secret
}

/// Hashes an officer's PIN or password (see [`is_strong`]).
pub fn hash_password(secret: &str) -> Result<String, String> {
    if !is_strong(secret) {
        return Err("a PIN is at least 6 digits, a password at least 8 characters (at most 64, without spaces at the ends)".into());
    }
    hash_secret(secret)
}

/// Hashes a device token (made by `counter device-token`, never typed).
pub fn hash_token(token: &str) -> Result<String, String> {
    hash_secret(token)
}

/// Hashes `secret` with argon2id and a random salt (PHC string, e.g. `$argon2id$v=19$...`).
fn hash_secret(pin: &str) -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    // OWASP's argon2id settings with the smallest memory (7 MiB, 5 passes, 1 lane): as strong
    // as its 19 MiB/2-pass option, and the staff console's memory stays small. Hashes carry
    // their settings, so hashes made with other settings still verify.
    let params = Params::new(7 * 1024, 5, 1, None).map_err(|e| e.to_string())?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// The most memory a stored hash may ask for (KiB): a larger one matches nothing.
pub const MAX_MEMORY_KIB: u32 = 64 * 1024;
/// The most passes a stored hash may ask for: one check stays well under a second.
pub const MAX_TIME_COST: u32 = 16;
/// The most lanes a stored hash may ask for.
pub const MAX_LANES: u32 = 4;

/// Whether `hash` is an argon2 PHC string this program will check, or why not (its settings
/// are capped so that no stored hash can stall every sign-in).
pub fn check_hash(hash: &str) -> Result<(), String> {
    let h = PasswordHash::new(hash).map_err(|_| "not an argon2 hash".to_string())?;
    Algorithm::try_from(h.algorithm).map_err(|_| "not an argon2 hash".to_string())?;
    if h.salt.is_none() || h.hash.is_none() {
        return Err("an argon2 hash without salt or output".into());
    }
    let p = Params::try_from(&h).map_err(|e| format!("bad argon2 settings: {e}"))?;
    if p.m_cost() > MAX_MEMORY_KIB || p.t_cost() > MAX_TIME_COST || p.p_cost() > MAX_LANES {
        return Err(format!(
            "argon2 settings m={},t={},p={} are above the limits m={MAX_MEMORY_KIB},t={MAX_TIME_COST},p={MAX_LANES}",
            p.m_cost(),
            p.t_cost(),
            p.p_cost()
        ));
    }
    Ok(())
}

thread_local! {
    /// argon2's working memory, kept per thread and reused: each check needs m KiB (7 MiB for
    /// new hashes, 19 MiB for those made by earlier versions), and allocating it afresh leaves the freed blocks in the allocator, so a server
    /// checking sign-ins would keep growing.
    static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `pin` matches the stored `hash` (constant-time comparison); a malformed hash matches
/// nothing.
pub fn verify(pin: &str, hash: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(h.algorithm) else {
        return false;
    };
    let Ok(version) = h.version.map_or(Ok(Version::V0x13), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB
        || params.t_cost() > MAX_TIME_COST
        || params.p_cost() > MAX_LANES
    {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let computed = MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        argon.hash_password_into_with_memory(pin.as_bytes(), salt, &mut out, &mut memory[..blocks])
    });
    // `Output` compares in constant time.
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("2468").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("2468"));
        assert!(verify("2468", &h));
        assert!(!verify("2469", &h));
        assert!(!verify("2468", "not a hash"));
        assert!(h.contains("m=7168,t=5,p=1"), "{h}");
        let greedy = h.replace("m=7168", "m=300000");
        assert!(
            greedy.contains("m=300000") && !verify("2468", &greedy),
            "memory cap"
        );
        // #17.5: a huge time cost is refused before it is computed.
        let slow = h.replace("t=5", "t=100000");
        assert!(!verify("2468", &slow), "time cap");
        assert!(check_hash(&slow).unwrap_err().contains("t=100000"));
        assert!(check_hash(&greedy).is_err());
        assert!(check_hash("$argon2id$nonsense").is_err());
        check_hash(&h).unwrap();
        assert!(
            !verify("2468", &h.replace("argon2id", "argon2i")),
            "algorithm is part of it"
        );
        assert_ne!(hash("2468").unwrap(), h, "random salt");
    }

    #[test]
    fn hashes_with_other_settings_still_verify() {
        // Made by the argon2 crate's defaults (19 MiB, 2 passes), as earlier versions did.
        let salt = SaltString::encode_b64(b"motcua-test-salt").unwrap();
        let old = Argon2::default()
            .hash_password(b"2468", &salt)
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2,p=1"));
        assert!(verify("2468", &old));
        assert!(!verify("2469", &old));
    }

    #[test]
    fn passwords() {
        let h = hash_password("mật khẩu").unwrap();
        assert!(verify("mật khẩu", &h));
        assert!(hash_password("abc").is_err());
        assert!(hash_password(" abcdefgh").is_err());
    }

    /// #17.1: officers' PINs have at least 6 digits; passwords at least 8 characters.
    #[test]
    fn officer_pins_have_six_digits() {
        for weak in ["2468", "12345", "abcdefg", " 123456", &"1".repeat(65)] {
            assert!(!is_strong(weak), "{weak}");
            assert!(hash_password(weak).is_err(), "{weak}");
        }
        for strong in ["246810", "mật khẩu", "12345678901234"] {
            assert!(is_strong(strong), "{strong}");
        }
        // A short PIN made before the rule still signs in.
        let old = hash_secret("2468").unwrap();
        assert!(verify("2468", &old));
    }

    #[test]
    fn weak_or_odd_pins_refused() {
        assert!(hash("12").is_err());
        assert!(hash("12ab").is_err());
        assert!(hash("1234567890123").is_err());
    }
}
