//! AES-256-GCM in the browser, through Web Crypto: the owner's page seals a token value
//! under a fresh random key before anything is sent, and the co-worker's page opens it
//! with the key from the link's fragment. Neither the key nor the value reaches the
//! server. On the server these only say that they run in the browser.

use domain::shares::{self, KEY_LEN};

/// Why sealing or opening failed, for the page to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// Web Crypto exists only on https (or localhost).
    Insecure,
    /// The key in the link is missing or malformed.
    BadKey,
    /// The key does not open this ciphertext (a changed link).
    WrongKey,
    /// Anything else the browser refused.
    Failed,
}

/// The key in a link's fragment (`#<base64url>`), if it has the right shape.
pub fn key_from_fragment(fragment: &str) -> Result<Vec<u8>, CryptoError> {
    shares::decode(fragment.trim_start_matches('#'))
        .filter(|k| k.len() == KEY_LEN)
        .ok_or(CryptoError::BadKey)
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Array, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AesGcmParams, Crypto, CryptoKey, SubtleCrypto};

    use super::{CryptoError, KEY_LEN};
    use domain::shares::NONCE_LEN;

    fn crypto() -> Result<(Crypto, SubtleCrypto), CryptoError> {
        let crypto = leptos::prelude::window()
            .crypto()
            .map_err(|_| CryptoError::Insecure)?;
        let subtle = js_sys::Reflect::get(&crypto, &JsValue::from_str("subtle"))
            .map_err(|_| CryptoError::Insecure)?;
        if subtle.is_undefined() || subtle.is_null() {
            return Err(CryptoError::Insecure);
        }
        Ok((crypto, subtle.unchecked_into()))
    }

    fn random(crypto: &Crypto, n: usize) -> Result<Vec<u8>, CryptoError> {
        let mut bytes = vec![0u8; n];
        crypto
            .get_random_values_with_u8_array(&mut bytes)
            .map_err(|_| CryptoError::Failed)?;
        Ok(bytes)
    }

    async fn import(
        subtle: &SubtleCrypto,
        key: &[u8],
        usage: &str,
    ) -> Result<CryptoKey, CryptoError> {
        let usages = Array::of1(&JsValue::from_str(usage));
        let promise = subtle
            .import_key_with_str("raw", &Uint8Array::from(key), "AES-GCM", false, &usages)
            .map_err(|_| CryptoError::Failed)?;
        let key = JsFuture::from(promise)
            .await
            .map_err(|_| CryptoError::BadKey)?;
        Ok(key.unchecked_into())
    }

    /// Seals `value` under a new key: (nonce ‖ ciphertext ‖ tag, key).
    pub async fn seal(value: &str) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        let (crypto, subtle) = crypto()?;
        let key = random(&crypto, KEY_LEN)?;
        let nonce = random(&crypto, NONCE_LEN)?;
        let handle = import(&subtle, &key, "encrypt").await?;
        let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce.as_slice()));
        let promise = subtle
            .encrypt_with_object_and_u8_array(&params, &handle, value.as_bytes())
            .map_err(|_| CryptoError::Failed)?;
        let sealed = JsFuture::from(promise)
            .await
            .map_err(|_| CryptoError::Failed)?;
        let mut out = nonce;
        out.extend(Uint8Array::new(&sealed).to_vec());
        Ok((out, key))
    }

    /// Opens what `seal` made; a wrong key or a changed byte fails the tag check.
    pub async fn unseal(
        nonce: &[u8],
        ciphertext: &[u8],
        key: &[u8],
    ) -> Result<String, CryptoError> {
        let (_, subtle) = crypto()?;
        let handle = import(&subtle, key, "decrypt").await?;
        let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce));
        let promise = subtle
            .decrypt_with_object_and_u8_array(&params, &handle, ciphertext)
            .map_err(|_| CryptoError::Failed)?;
        let plain = JsFuture::from(promise)
            .await
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(Uint8Array::new(&plain).to_vec()).map_err(|_| CryptoError::WrongKey)
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{seal, unseal};

/// Without the browser there is nothing to seal with (server rendering never calls it).
#[cfg(not(feature = "hydrate"))]
pub async fn seal(_value: &str) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    Err(CryptoError::Failed)
}

#[cfg(not(feature = "hydrate"))]
pub async fn unseal(_nonce: &[u8], _ciphertext: &[u8], _key: &[u8]) -> Result<String, CryptoError> {
    Err(CryptoError::Failed)
}
