//! Integration tests of hydock-runtime against the real kernel: run as root, they create
//! namespaces, mounts and processes, and clean all of them up.

mod errors;
mod exec_in;
mod filesystem;
mod isolation;
mod overlay;
mod process;
mod support;
mod terminal;
mod tiny_init;
