//! `Built`: a view that is only ever built in the browser (a dialog's content while open,
//! a part of the page fetched later), type-erased without the code for hydrating it.
//!
//! An `AnyView` erases a view's type too, but keeps both ways of hydrating it, synchronous
//! and asynchronous, whether or not the view is ever hydrated; and a view's own type keeps
//! them wherever it sits in a hydrated page. Neither is ever used for a view the server
//! never renders. On the Access Tokens page that code was over a quarter of the token
//! tools' part, and 33 KB (brotli) of the page's own.

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::types::{Element, Node};
use leptos::tachys::view::{Position, PositionState};
use leptos::wasm_bindgen::JsCast;
use send_wrapper::SendWrapper;

/// How to build the view, run where it is put in the page, under the page's owner.
pub struct Built(SendWrapper<Box<dyn FnOnce() -> BuiltState>>);

impl Built {
    pub fn new<V>(view: impl FnOnce() -> V + 'static) -> Self
    where
        V: IntoView + 'static,
        V::State: 'static,
    {
        Built(SendWrapper::new(Box::new(move || {
            BuiltState(Box::new(view().build()))
        })))
    }
}

/// The built view, in the page.
pub struct BuiltState(Box<dyn Mountable>);

impl Mountable for BuiltState {
    fn unmount(&mut self) {
        self.0.unmount();
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        self.0.mount(parent, marker);
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        self.0.insert_before_this(child)
    }

    fn elements(&self) -> Vec<Element> {
        self.0.elements()
    }
}

impl Render for Built {
    type State = BuiltState;

    fn build(self) -> BuiltState {
        (self.0.take())()
    }

    fn rebuild(self, state: &mut BuiltState) {
        let mut new = self.build();
        state.insert_before_this(&mut new);
        state.unmount();
        *state = new;
    }
}

impl AddAnyAttr for Built {
    type Output<SomeNewAttr: Attribute> = Built;

    fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Built {
        self
    }
}

impl RenderHtml for Built {
    type AsyncOutput = Self;
    type Owned = Self;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self {
        self
    }

    /// The server leaves only a placeholder, as for an empty view: the view is built in
    /// the browser.
    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        _mark_branches: bool,
        _extra_attrs: Vec<AnyAttribute>,
    ) {
        if escape {
            buf.push_str("<!>");
            *position = Position::NextChild;
        }
    }

    /// Builds the view before the server's placeholder (none of Patio's views of this
    /// kind are open when the server renders a page, so this is a fallback).
    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> BuiltState {
        let marker = cursor.next_placeholder(position);
        position.set(Position::NextChild);
        let mut state = self.build();
        if let Some(parent) = marker
            .parent_node()
            .and_then(|p| p.dyn_into::<Element>().ok())
        {
            state.mount(&parent, Some(&marker));
        }
        state
    }

    fn into_owned(self) -> Self {
        self
    }
}
