//! Staff PINs: stored only as argon2 hashes (`kiosk hash-pin`), checked in constant time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes `pin` with argon2id and a random salt (PHC string, e.g. `$argon2id$v=19$...`).
pub fn hash(pin: &str) -> Result<String, String> {
    if pin.len() < 4 || pin.len() > 12 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a staff PIN is 4 to 12 digits".into());
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `pin` matches the stored `hash`; a malformed hash matches nothing.
pub fn verify(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .and_then(|h| Argon2::default().verify_password(pin.as_bytes(), &h))
        .is_ok()
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
        assert_ne!(hash("2468").unwrap(), h, "random salt");
    }

    #[test]
    fn weak_or_odd_pins_refused() {
        assert!(hash("12").is_err());
        assert!(hash("12ab").is_err());
        assert!(hash("1234567890123").is_err());
    }
}
