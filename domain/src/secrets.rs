//! The server's key for secrets it must be able to read back (two-factor secrets):
//! 32 random bytes in a key file beside the database, never in it. Sealed values are
//! AES-256-GCM, bound to what they belong to, and name the key they were sealed with,
//! so a server started with another key file says so instead of failing codes.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{bail, Context};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use rand::RngCore;
use sha2::{Digest, Sha256};

const FORMAT: &str = "v1";

pub struct SecretKey {
    cipher: Aes256Gcm,
    /// The first 8 bytes of the key's SHA-256, in hex: which key sealed a value.
    id: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
            id: HEXLOWER.encode(&Sha256::digest(key)[..8]),
        }
    }

    /// A key nobody else has, for tests and tools that seal nothing lasting.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self::from_bytes(&key)
    }

    /// Reads the key file (64 hex digits), or creates it, readable by its owner only,
    /// when it does not exist yet.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = HEXLOWER
                    .decode(text.trim().to_ascii_lowercase().as_bytes())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .with_context(|| {
                        format!(
                            "the key file {} must hold 64 hexadecimal digits",
                            path.display()
                        )
                    })?;
                Ok(Self::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("create {}", dir.display()))?;
                }
                // Written whole under a name of its own, then linked into place: a replica
                // starting at the same moment finds either no key file or a complete one
                // (a link never replaces a file another replica put there first).
                let partial = path.with_extension(format!("new-{:016x}", rand::random::<u64>()));
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options
                    .open(&partial)
                    .with_context(|| format!("create the key file {}", partial.display()))?;
                file.write_all(format!("{}\n", HEXLOWER.encode(&key)).as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("write the key file {}", partial.display()))?;
                let linked = std::fs::hard_link(&partial, path);
                let _ = std::fs::remove_file(&partial);
                match linked {
                    Ok(()) => {}
                    // Another process made it first: that one is the key.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return Self::load_or_create(path);
                    }
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("create the key file {}", path.display()))
                    }
                }
                tracing::info!(file = %path.display(), "created a new key file for two-factor secrets");
                Ok(Self::from_bytes(&key))
            }
            Err(e) => Err(e).with_context(|| format!("read the key file {}", path.display())),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// `v1.<key id>.<nonce>.<ciphertext>`; `context` must be given again to open it.
    pub fn seal(&self, plain: &[u8], context: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        format!(
            "{FORMAT}.{}.{}.{}",
            self.id,
            BASE64URL_NOPAD.encode(&nonce),
            BASE64URL_NOPAD.encode(&sealed)
        )
    }

    /// The key id a sealed value names.
    pub fn sealed_with(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split('.');
        (parts.next() == Some(FORMAT))
            .then(|| parts.next())
            .flatten()
    }

    pub fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        let parts: Vec<&str> = sealed.split('.').collect();
        let [FORMAT, id, nonce, data] = parts[..] else {
            bail!("not a sealed value");
        };
        if id != self.id {
            bail!("sealed with key {id}, this server has key {}", self.id);
        }
        let nonce = BASE64URL_NOPAD.decode(nonce.as_bytes())?;
        let data = BASE64URL_NOPAD.decode(data.as_bytes())?;
        if nonce.len() != 12 {
            bail!("not a sealed value");
        }
        self.cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &data,
                    aad: context.as_bytes(),
                },
            )
            .ok()
            .context("the sealed value does not open with this key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = SecretKey::random();
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP", "account 7");
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(SecretKey::sealed_with(&sealed), Some(key.id()));
        assert_eq!(key.open(&sealed, "account 7").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(
            key.open(&sealed, "account 8").is_err(),
            "moved to another account"
        );
        assert!(SecretKey::random().open(&sealed, "account 7").is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.open(&tampered, "account 7").is_err());
        assert_ne!(key.seal(b"x", "c"), key.seal(b"x", "c"), "fresh nonces");
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("patio-key-{}", std::process::id()));
        let path = dir.join("patio.key");
        let _ = std::fs::remove_file(&path);
        let first = SecretKey::load_or_create(&path).unwrap();
        let again = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(first.id(), again.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(SecretKey::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn replicas_starting_together_share_one_key() {
        let dir = std::env::temp_dir().join(format!("patio-key-race-{}", std::process::id()));
        let path = dir.join("patio.key");
        for _ in 0..20 {
            let _ = std::fs::remove_dir_all(&dir);
            let ids: Vec<String> = std::thread::scope(|s| {
                let starts: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| SecretKey::load_or_create(&path).map(|k| k.id().to_owned()))
                    })
                    .collect();
                starts
                    .into_iter()
                    .map(|t| t.join().unwrap().unwrap())
                    .collect()
            });
            assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
            assert_eq!(left.len(), 1, "no partial file is left");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
