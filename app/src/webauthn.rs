//! The browser's side of a passkey ceremony: the server's options (WebAuthn's JSON) to
//! `navigator.credentials`, and the answer back as JSON. Through the browser's own JSON
//! helpers (`PublicKeyCredential.parseCreationOptionsFromJSON`, `toJSON`), so no binary
//! field is converted here. Only in the browser; on the server there is no ceremony.

/// Why the browser gave no answer: cancelled, timed out, no authenticator, or a browser
/// without passkeys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// Creates a passkey with the server's creation options; the answer as JSON.
pub async fn create(options: &str) -> Result<String, Refused> {
    ceremony(options, "parseCreationOptionsFromJSON", "create").await
}

/// Signs with a passkey for the server's request options; the answer as JSON.
pub async fn get(options: &str) -> Result<String, Refused> {
    ceremony(options, "parseRequestOptionsFromJSON", "get").await
}

#[cfg(feature = "hydrate")]
async fn ceremony(options: &str, parse: &str, call: &str) -> Result<String, Refused> {
    use js_sys::{Function, Object, Promise, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};

    let refused = |e: JsValue| {
        Refused(
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| format!("{e:?}")),
        )
    };
    let window = web_sys::window().ok_or_else(|| Refused("no window".into()))?;
    let options = JSON::parse(options).map_err(refused)?;
    let public_key = Reflect::get(&options, &"publicKey".into()).map_err(refused)?;
    let class = Reflect::get(&window, &"PublicKeyCredential".into()).map_err(refused)?;
    let parse: Function = Reflect::get(&class, &parse.into())
        .map_err(refused)?
        .dyn_into()
        .map_err(|_| Refused("this browser has no passkeys".into()))?;
    let public_key = parse.call1(&class, &public_key).map_err(refused)?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &public_key).map_err(refused)?;
    let credentials = Reflect::get(&window.navigator(), &"credentials".into()).map_err(refused)?;
    let call: Function = Reflect::get(&credentials, &call.into())
        .map_err(refused)?
        .dyn_into()
        .map_err(|_| Refused("this browser has no passkeys".into()))?;
    let promise: Promise = call
        .call1(&credentials, &request)
        .map_err(refused)?
        .dyn_into()
        .map_err(|_| Refused("no answer".into()))?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(refused)?;
    if credential.is_null() {
        return Err(Refused("no passkey was chosen".into()));
    }
    let to_json: Function = Reflect::get(&credential, &"toJSON".into())
        .map_err(refused)?
        .dyn_into()
        .map_err(|_| Refused("this browser cannot write the answer".into()))?;
    let json = to_json.call0(&credential).map_err(refused)?;
    JSON::stringify(&json)
        .map_err(refused)?
        .as_string()
        .ok_or_else(|| Refused("an empty answer".into()))
}

#[cfg(not(feature = "hydrate"))]
async fn ceremony(_options: &str, _parse: &str, _call: &str) -> Result<String, Refused> {
    Err(Refused("passkeys run in the browser".into()))
}
