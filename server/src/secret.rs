//! Secrets the server hands out (device tokens, session tokens, enrolment codes) and how it
//! keeps them: only their SHA-256 hash is stored, so a copy of the database lets nobody sync or
//! sign in. Tokens carry 256 random bits, so a fast hash is enough; passwords, which people
//! choose, are hashed with argon2id instead (see `auth`).

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
