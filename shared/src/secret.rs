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
const MAX_MEMORY_KIB: u32 = 256 * 1024;

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
    if params.m_cost() > MAX_MEMORY_KIB {
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
        assert!(hash_password(" abcd").is_err());
    }

    #[test]
    fn weak_or_odd_pins_refused() {
        assert!(hash("12").is_err());
        assert!(hash("12ab").is_err());
        assert!(hash("1234567890123").is_err());
    }
}
