//! Secrets the server hands out (device tokens, session tokens, enrolment codes) and how it
//! keeps them: only their SHA-256 hash is stored, so a copy of the database lets nobody sync or
//! sign in. Tokens carry 256 random bits, so a fast hash is enough; passwords, which people
//! choose, are hashed with argon2id instead.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A fresh token: 256 random bits as 64 hex digits.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a token or code.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Letters for codes people type: no 0/O, 1/I/L or U, so a code read aloud or off a screen is
/// typed right.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_LEN: usize = 10;

/// A fresh enrolment code, `ABCDE-FGHJK` (about 49 bits): short enough to type on a phone,
/// and good for one use within 72 hours.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(CODE_LEN + 1);
    for i in 0..CODE_LEN {
        if i == CODE_LEN / 2 {
            code.push('-');
        }
        code.push(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char);
    }
    code
}

/// A code as typed, made canonical: case, spaces and dashes do not matter.
pub fn normalise_code(typed: &str) -> String {
    let letters: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == CODE_LEN {
        format!("{}-{}", &letters[..CODE_LEN / 2], &letters[CODE_LEN / 2..])
    } else {
        letters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_survive_how_people_type_them() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN + 1);
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), code);
        assert_ne!(new_token(), new_token());
        assert_eq!(hash("x").len(), 32);
    }
}

/// Passwords longer than this are refused unhashed: nobody types one, and hashing megabytes
/// on request would be a cheap way to load the server.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a password for `users.password_hash`: argon2id with the crate's default cost, as a
/// PHC string that carries its own salt and parameters.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored hash; a stored value that is not a hash matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash of nobody's password, checked when the login is unknown so that refusing an unknown
/// login takes as long as refusing a wrong password, and timing does not tell which logins
/// exist. Made on first use, once per process.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// Compares two secrets in time that depends only on their lengths, so a guess cannot be
/// refined byte by byte from how long the refusal took.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(!same_secret(b"", b"a"));
    }
}
