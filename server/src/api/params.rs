//! The parameters of one API call, from the query string and the body alike.

use axum::extract::Multipart;
use bytes::Bytes;
use domain::catalogue::{Method, ParamKind};
use domain::DomainError;

/// Longest value accepted for any text parameter.
const VALUE_MAX: usize = 64 * 1024;

#[derive(Default)]
pub struct Params {
    values: Vec<(String, String)>,
    pub file: Option<(String, Bytes)>,
}

impl Params {
    pub fn from_urlencoded(text: &str) -> Result<Self, DomainError> {
        let values: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(|_| {
            DomainError::InvalidParam("the parameters are not valid URL encoding".into())
        })?;
        if let Some((name, _)) = values.iter().find(|(_, v)| v.len() > VALUE_MAX) {
            return Err(DomainError::param(
                name,
                format!("is longer than {VALUE_MAX} bytes"),
            ));
        }
        Ok(Self { values, file: None })
    }

    pub fn extend(&mut self, other: Params) {
        self.values.extend(other.values);
    }

    pub async fn read_multipart(
        &mut self,
        mut multipart: Multipart,
        method: &Method,
    ) -> Result<(), DomainError> {
        let malformed =
            |_| DomainError::InvalidParam("the multipart body is malformed or too large".into());
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = method
                .params
                .iter()
                .any(|p| p.name == name && p.kind == ParamKind::File);
            if is_file {
                if self.file.is_some() {
                    return Err(DomainError::param(&name, "is given twice"));
                }
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(malformed)?;
                self.file = Some((file_name, bytes));
            } else {
                let text = field.text().await.map_err(malformed)?;
                if text.len() > VALUE_MAX {
                    return Err(DomainError::param(
                        &name,
                        format!("is longer than {VALUE_MAX} bytes"),
                    ));
                }
                self.values.push((name, text));
            }
        }
        Ok(())
    }

    /// The one value of `name`; a parameter given twice is refused.
    pub fn single(&self, name: &str) -> Result<Option<&str>, DomainError> {
        let mut found = self.values.iter().filter(|(k, _)| k == name);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(DomainError::param(name, "is given more than once")),
            (first, _) => Ok(first.map(|(_, v)| v.as_str())),
        }
    }

    pub fn optional(&self, name: &str) -> Result<Option<&str>, DomainError> {
        self.single(name)
    }

    /// A value that must be present and not blank.
    pub fn required(&self, name: &str) -> Result<&str, DomainError> {
        self.single(name)?
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| DomainError::param(name, "is required"))
    }

    /// A value that must be present (a password may not be trimmed).
    pub fn password(&self, name: &str) -> Result<&str, DomainError> {
        self.single(name)?
            .filter(|v| !v.is_empty())
            .ok_or_else(|| DomainError::param(name, "is required"))
    }

    pub fn id(&self, name: &str) -> Result<i64, DomainError> {
        let raw = self.required(name)?;
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| DomainError::param(name, "is not an id"))
    }
}
