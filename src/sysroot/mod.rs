//! Every write into the target root. [`root::Root`] is the only way to touch
//! the sysroot: all paths resolve inside it, files are replaced atomically.
//! [`accounts`] edits the account databases as text; [`apply`] turns a
//! `Context` into writes, with [`nodes`] for directories, links and units.

pub mod accounts;
pub mod apply;
pub mod nodes;
pub mod root;
