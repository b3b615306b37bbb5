//! A software passkey, as a phone or laptop with a fingerprint reader is one: it makes a
//! P-256 key when the browser asks for a new credential, keeps it with the account
//! handle it was made for (a discoverable key), and signs each sign-in with user
//! verification and a counter that only goes up. It reads the options as the browser is
//! handed them and answers with the JSON the dashboard posts back, so a test walks the
//! same path as a browser.

use crypto_glue::ecdsa_p256::{self, EcdsaP256PublicSec1Point, EcdsaP256Signature};
use crypto_glue::ecdsa_p256::{EcdsaP256PrivateKey, EcdsaP256SigningKey};
use crypto_glue::traits::Signer;
use data_encoding::BASE64URL_NOPAD;
use serde_cbor_2::value::Value as Cbor;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The authenticator data's flags: the user was present and verified; the credential
/// data follows (registration only).
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const CREDENTIAL_DATA: u8 = 0x40;

pub struct Passkey {
    credential_id: Vec<u8>,
    key: EcdsaP256PrivateKey,
    /// The account's handle from the creation options (base64url), sent back with each
    /// sign-in, as a discoverable key does.
    pub user_handle: String,
    rp_id: String,
    counter: u32,
}

impl Passkey {
    /// Answers `navigator.credentials.create` with the options' JSON: a new key, with
    /// no attestation (`fmt: none`), as passkeys from the big platforms answer.
    pub fn register(origin: &str, options: &str) -> (Passkey, String) {
        let options: Value = serde_json::from_str(options).unwrap();
        let public_key = &options["publicKey"];
        assert!(
            public_key["pubKeyCredParams"]
                .as_array()
                .unwrap()
                .iter()
                .any(|param| param["alg"] == -7),
            "the server takes ES256: {options}"
        );
        let rp_id = public_key["rp"]["id"].as_str().unwrap().to_owned();
        let user_handle = public_key["user"]["id"].as_str().unwrap().to_owned();
        let client_data = client_data(
            "webauthn.create",
            public_key["challenge"].as_str().unwrap(),
            origin,
        );
        let credential_id: [u8; 16] = rand::random();
        let key = ecdsa_p256::new_key();
        let point = EcdsaP256PublicSec1Point::from(key.public_key());
        let cose_key = Cbor::Map(BTreeMap::from([
            (Cbor::Integer(1), Cbor::Integer(2)),  // key type: EC2
            (Cbor::Integer(3), Cbor::Integer(-7)), // algorithm: ES256
            (Cbor::Integer(-1), Cbor::Integer(1)), // curve: P-256
            (Cbor::Integer(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
            (Cbor::Integer(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
        ]));
        let mut authenticator_data =
            header(&rp_id, USER_PRESENT | USER_VERIFIED | CREDENTIAL_DATA, 0);
        authenticator_data.extend([0; 16]); // no model identifier (AAGUID)
        authenticator_data.extend((credential_id.len() as u16).to_be_bytes());
        authenticator_data.extend(credential_id);
        authenticator_data.extend(serde_cbor_2::to_vec(&cose_key).unwrap());
        let attestation = Cbor::Map(BTreeMap::from([
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new())),
            (
                Cbor::Text("authData".into()),
                Cbor::Bytes(authenticator_data),
            ),
        ]));
        let id = BASE64URL_NOPAD.encode(&credential_id);
        let answer = json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "attestationObject": BASE64URL_NOPAD.encode(&serde_cbor_2::to_vec(&attestation).unwrap()),
                "clientDataJSON": BASE64URL_NOPAD.encode(client_data.as_bytes()),
            },
            "extensions": {},
        });
        let passkey = Passkey {
            credential_id: credential_id.to_vec(),
            key,
            user_handle,
            rp_id,
            counter: 0,
        };
        (passkey, answer.to_string())
    }

    /// Answers `navigator.credentials.get` with the options' JSON, naming the account
    /// by `user_handle` (the one it was made for, unless a test says otherwise).
    pub fn sign_in(&mut self, origin: &str, options: &str, user_handle: &str) -> String {
        let options: Value = serde_json::from_str(options).unwrap();
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rpId"], self.rp_id.as_str(), "{options}");
        let client_data = client_data(
            "webauthn.get",
            public_key["challenge"].as_str().unwrap(),
            origin,
        );
        self.counter += 1;
        let authenticator_data = header(&self.rp_id, USER_PRESENT | USER_VERIFIED, self.counter);
        let mut signed = authenticator_data.clone();
        signed.extend(Sha256::digest(client_data.as_bytes()));
        let signature: EcdsaP256Signature = EcdsaP256SigningKey::from(&self.key)
            .try_sign(&signed)
            .unwrap();
        let id = BASE64URL_NOPAD.encode(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "authenticatorData": BASE64URL_NOPAD.encode(&authenticator_data),
                "clientDataJSON": BASE64URL_NOPAD.encode(client_data.as_bytes()),
                "signature": BASE64URL_NOPAD.encode(&signature.to_der().to_bytes()),
                "userHandle": user_handle,
            },
            "extensions": {},
        })
        .to_string()
    }
}

/// The client data a browser signs over: what was asked, the server's challenge as it
/// came, and the page's origin.
fn client_data(kind: &str, challenge: &str, origin: &str) -> String {
    json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false })
        .to_string()
}

/// The authenticator data's fixed start: the relying party's hash, the flags, the counter.
fn header(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend(counter.to_be_bytes());
    data
}
