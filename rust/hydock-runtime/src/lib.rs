#![deny(unsafe_op_in_unsafe_fn)]
//! Container root filesystems and processes: overlay mounts, and starting a container's first
//! process from an OCI runtime spec (namespaces, mounts, pivot_root, credentials, exec), and
//! starting further processes inside a running container.

pub mod netns;
pub mod overlay;
pub mod view;

mod caps;
mod cgroup_mount;
mod devices;
mod error;
mod exec;
mod exec_in;
mod in_root;
mod init;
mod mount_api;
mod mount_options;
mod mounts;
mod namespaces;
mod paths;
mod placement;
mod process_attrs;
mod rootfs;
mod signals;
mod spawn;
mod stdio;
mod terminal;
mod tiny_init;
mod user;

pub use error::{SpawnError, SpawnErrorKind};
pub use exec_in::exec_in;
pub use placement::ChildPlacement;
pub use spawn::{spawn, SpawnOptions, Spawned};
