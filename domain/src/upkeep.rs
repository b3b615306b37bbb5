//! Upkeep: what requests only noted (last uses of tokens and sessions, denied calls),
//! written once a second in one batch each, and old rows pruned.

use std::sync::atomic::Ordering;

crate::platform::service! {
    /// The once-a-second writer's work: `platform.upkeep()`.
    Upkeep, upkeep
}

impl Upkeep<'_> {
    /// Items waiting for the once-a-second writer: token uses, denied-call tallies.
    pub fn pending_writes(&self) -> (usize, usize) {
        (self.last_used.len(), self.audit().denial_backlog())
    }

    /// Session uses waiting for the once-a-second writer.
    pub fn pending_session_uses(&self) -> usize {
        self.session_uses.len()
    }

    /// Writes what requests only noted (last uses of tokens and sessions, denied calls),
    /// in one batch each.
    pub async fn flush_pending(&self) -> Result<(), crate::DomainError> {
        let uses = self.uses().flush().await;
        let sessions = self.sessions().flush_uses().await;
        let denials = self.audit().flush_denials().await;
        let pruned = self.audit().prune().await;
        // An expired link's ciphertext is deleted within a minute (it is never handed
        // out after its expiry in any case).
        let minute = self.now().timestamp() / 60;
        let shares = if self.pruned_minute.swap(minute, Ordering::AcqRel) == minute {
            Ok(())
        } else {
            self.shares().prune().await
        };
        uses.and(sessions).and(denials).and(pruned).and(shares)
    }
}
