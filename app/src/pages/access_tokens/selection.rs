//! How clicks and keys move the selection in the token table: plain click, Ctrl/Cmd and
//! Shift like a file manager; arrows, Home and End move (Shift extends), Space toggles,
//! Enter edits.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::state::TokensPage;
use crate::components::token_form::FormMode;

/// The new selection after a click on row `index`: plain click selects only it,
/// Ctrl/Cmd toggles it, Shift selects the range from the anchor.
pub fn select(
    ids: &[i64],
    current: &[i64],
    anchor: Option<usize>,
    index: usize,
    toggle: bool,
    range: bool,
) -> Vec<i64> {
    let Some(&id) = ids.get(index) else {
        return current.to_vec();
    };
    if range {
        let start = anchor.unwrap_or(index).min(ids.len().saturating_sub(1));
        let (a, b) = if start <= index {
            (start, index)
        } else {
            (index, start)
        };
        let mut out = if toggle { current.to_vec() } else { Vec::new() };
        for &i in &ids[a..=b] {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    } else if toggle {
        let mut out = current.to_vec();
        if let Some(pos) = out.iter().position(|&x| x == id) {
            out.remove(pos);
        } else {
            out.push(id);
        }
        out
    } else {
        vec![id]
    }
}

/// The table's keyboard position and the row a Shift range starts from, over the
/// page's selection.
#[derive(Clone, Copy)]
pub struct Selection {
    page: TokensPage,
    anchor: RwSignal<Option<usize>>,
    /// The row the keyboard is on.
    pub cursor: RwSignal<Option<usize>>,
}

impl Selection {
    pub fn new(page: TokensPage) -> Self {
        Self {
            page,
            anchor: RwSignal::new(None),
            cursor: RwSignal::new(None),
        }
    }

    pub fn contains(self, id: i64) -> bool {
        self.page.selected.with(|s| s.contains(&id))
    }

    fn ids(self) -> Vec<i64> {
        self.page.list.with(|l| l.iter().map(|t| t.id).collect())
    }

    /// A click on row `index`, with Ctrl/Cmd (`toggle`) or Shift (`range`).
    pub fn click(self, index: usize, toggle: bool, range: bool) {
        self.page.selected.set(select(
            &self.ids(),
            &self.page.selected.get_untracked(),
            self.anchor.get_untracked(),
            index,
            toggle,
            range,
        ));
        if !range {
            self.anchor.set(Some(index));
        }
        self.cursor.set(Some(index));
    }

    pub fn key(self, ev: &KeyboardEvent) {
        let n = self.page.list.with(Vec::len);
        if n == 0 {
            return;
        }
        let at = self.cursor.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => Some(at.map_or(0, |i| (i + 1).min(n - 1))),
            "ArrowUp" => Some(at.map_or(0, |i| i.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(n - 1),
            " " => {
                ev.prevent_default();
                if let Some(i) = at {
                    self.click(i, true, false);
                }
                None
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(t) = self.page.one() {
                    self.page.form.set(Some(FormMode::Edit(t)));
                }
                None
            }
            _ => None,
        };
        if let Some(i) = next {
            ev.prevent_default();
            if ev.shift_key() {
                self.page.selected.set(select(
                    &self.ids(),
                    &[],
                    self.anchor.get_untracked().or(at),
                    i,
                    false,
                    true,
                ));
                self.cursor.set(Some(i));
            } else {
                self.click(i, false, false);
            }
        }
    }
}
