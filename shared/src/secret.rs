//! Staff PINs and officer passwords: stored only as argon2 hashes, checked in constant time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes a kiosk staff PIN (4 to 12 digits).
pub fn hash(pin: &str) -> Result<String, String> {
    if pin.len() < 4 || pin.len() > 12 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a staff PIN is 4 to 12 digits".into());
    }
    hash_secret(pin)
}

/// Hashes an officer's PIN or password (4 to 64 characters, no spaces at the ends).
pub fn hash_password(secret: &str) -> Result<String, String> {
    let n = secret.chars().count();
    if !(4..=64).contains(&n) || secret.trim() != secret {
        return Err("a PIN or password is 4 to 64 characters, without spaces at the ends".into());
    }
    hash_secret(secret)
}

/// Hashes `secret` with argon2id and a random salt (PHC string, e.g. `$argon2id$v=19$...`).
fn hash_secret(pin: &str) -> Result<String, String> {
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
    fn passwords() {
        let h = hash_password("mật khẩu").unwrap();
        assert!(verify("mật khẩu", &h));
        assert!(hash_password("abc").is_err());
        assert!(hash_password(" abcd").is_err());
    }

    #[test]
    fn weak_or_odd_pins_refused() {
        assert!(hash("12").is_err());
        assert!(hash("12ab").is_err());
        assert!(hash("1234567890123").is_err());
    }
}
