//! What a change announces to the other replicas, and the announcements this replica
//! waits to hear back.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Announcements this replica made, by payload, and who waits to hear each.
#[derive(Default)]
pub struct Echoes(Mutex<HashMap<String, oneshot::Sender<()>>>);

impl Echoes {
    pub(super) fn expect(&self, payload: &str) -> oneshot::Receiver<()> {
        let (heard, wait) = oneshot::channel();
        self.lock().insert(payload.to_owned(), heard);
        wait
    }

    pub(super) fn heard(&self, payload: &str) {
        if let Some(waiter) = self.lock().remove(payload) {
            let _ = waiter.send(());
        }
    }

    pub(super) fn forget(&self, payload: &str) {
        self.lock().remove(payload);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a committed change touched, so each replica forgets just that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Any token (a token is cached by its digest, not its account).
    Tokens,
    /// Sessions of one account: signed out, password changed.
    Sessions(i64),
    /// An account as a whole (disabled, enabled): its tokens, sessions, environments.
    Account(i64),
    /// Environments of one account: status, deployments, removal.
    Environments(i64),
}

impl Change {
    /// The announcement's text: a letter for the kind, the account and a random part
    /// that tells this announcement apart (base62, digits and '.' only, so it can stand
    /// in the statement: NOTIFY takes no parameters).
    pub(super) fn payload(self, nonce: &str) -> String {
        match self {
            Self::Tokens => format!("t.{nonce}"),
            Self::Sessions(account) => format!("s{account}.{nonce}"),
            Self::Account(account) => format!("a{account}.{nonce}"),
            Self::Environments(account) => format!("e{account}.{nonce}"),
        }
    }

    /// Reads an announcement; `None` for one this version does not know (a replica of
    /// another version): then everything is forgotten.
    pub(super) fn parse(payload: &str) -> Option<Self> {
        let (head, _) = payload.split_once('.')?;
        let mut chars = head.chars();
        let kind = chars.next()?;
        let account = chars.as_str().parse::<i64>();
        match (kind, account) {
            ('t', _) if head.len() == 1 => Some(Self::Tokens),
            ('s', Ok(a)) => Some(Self::Sessions(a)),
            ('a', Ok(a)) => Some(Self::Account(a)),
            ('e', Ok(a)) => Some(Self::Environments(a)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn announcements_read_back_as_what_they_announce() {
        for change in [
            Change::Tokens,
            Change::Sessions(42),
            Change::Account(7),
            Change::Environments(1),
        ] {
            assert_eq!(
                Change::parse(&change.payload("Ab3dEf9hIj2lMn0p")),
                Some(change)
            );
        }
        // An older replica's announcement (random text) is read as "anything changed".
        assert_eq!(Change::parse("Ab3dEf9hIj2lMn0p"), None);
        assert_eq!(Change::parse("sx.abc"), None);
    }
}
