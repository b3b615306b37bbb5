//! The REST API's wire formats, at the edge where they belong: parameters decoded from
//! query strings and form bodies, list parameters read as JSON or as comma lists, and
//! a method's parameters turned into its typed input (`decode`). The domain sees only
//! what these produce: strings, numbers and lists, never URL or JSON text.

mod de;
mod fields;
mod lists;
mod nodes;
mod params;
mod target;

pub use de::decode;
pub use fields::{Id, Password, Required};
pub use lists::{parse_ids, split_list};
pub use nodes::node_groups;
pub use params::{Params, VALUE_MAX};
pub use target::{env_target, NewEnv};
