//! Secrets: random tokens, their digests, password hashing and encryption at rest.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("secret key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("stored secret cannot be decrypted")]
    Decrypt,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// A new bearer secret (session, invitation, reset): 256 random bits, URL-safe.
pub fn new_token() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// What is stored instead of a token: its SHA-256, hex.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Argon2id with the OWASP ASVS 5.0 minimum: 19 MiB, two passes, one lane.
fn argon2() -> Result<Argon2<'static>, CryptoError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// At most one Argon2 computation per core at a time: each takes 19 MiB and tens of
/// milliseconds, so a burst of sign-ins queues here instead of exhausting memory and the
/// blocking thread pool. A process-wide bound on a process-wide resource (the CPU).
static ARGON2_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(argon2_slots()));

/// How many Argon2 computations may run at once (the number of cores).
pub fn argon2_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Argon2 computations running right now (for tests and metrics).
pub fn argon2_running() -> usize {
    argon2_slots().saturating_sub(ARGON2_SLOTS.available_permits())
}

/// Hashes on a blocking thread: Argon2 is deliberately slow and must not stall the runtime.
pub async fn hash_password(password: String) -> Result<String, CryptoError> {
    let _slot = ARGON2_SLOTS
        .acquire()
        .await
        .map_err(|e| CryptoError::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| CryptoError::Hash(e.to_string()))?;
        argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CryptoError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| CryptoError::Hash(e.to_string()))?
}

/// Verifies on a blocking thread. With no stored hash a dummy one is checked, so that an
/// unknown e-mail address takes as long as a wrong password.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let Ok(_slot) = ARGON2_SLOTS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let Ok(argon) = argon2() else { return false };
        argon.verify_password(password.as_bytes(), &parsed).is_ok() && stored != DUMMY_HASH
    })
    .await
    .unwrap_or(false)
}

/// An Argon2id hash of a random string nobody knows, with the production parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4jv3rDqBkfxJcE6s6Wz1l6n3Ew0xq2xk2bW4f7mJw8E";

/// Encrypts small secrets (TOTP keys) at rest with XChaCha20-Poly1305.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl SecretBox {
    /// From a base64-encoded 32-byte key.
    pub fn from_base64(key: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        })
    }

    /// A fresh random key, base64-encoded.
    pub fn generate_key() -> Result<String, CryptoError> {
        Ok(STANDARD.encode(random_bytes::<32>()?))
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        let nonce = random_bytes::<24>()?;
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(XNonce::from_slice(&nonce), plaintext)
                .map_err(|_| CryptoError::Decrypt)?,
        );
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| CryptoError::Decrypt)?;
        if bytes.len() < 24 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SecretBox::generate_key().unwrap();
        let sealed_box = SecretBox::from_base64(&key).unwrap();
        let sealed = sealed_box.seal(b"totp secret").unwrap();
        assert_eq!(sealed_box.open(&sealed).unwrap(), b"totp secret");
        let other = SecretBox::from_base64(&SecretBox::generate_key().unwrap()).unwrap();
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let a = new_token().unwrap();
        assert_ne!(a, new_token().unwrap());
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a).len(), 64);
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1), lower-case hex.
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(digest(&a), a);
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_at_asvs_strength() {
        let hash = hash_password("correct horse battery".to_owned())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery".to_owned(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".to_owned(), Some(hash)).await);
        assert!(!verify_password("anything".to_owned(), None).await);
    }
}
