//! Builds the hydock-shim binary with a nested cargo so that `_core` can carry it inside the
//! extension module: a wheel stays one self-contained file, and the shim is written out next
//! to the store on first use (see src/shim_binary.rs).

use std::env;
use std::path::PathBuf;
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.join("../..");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = out_dir.join("shim-target");
    let profile = env::var("PROFILE").unwrap_or_else(|_| "debug".into());
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let mut build = Command::new(cargo);
    build
        .arg("build")
        .args(["-p", "hydock-shim", "--target", &target])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags (e.g. maturin's link args for a cdylib) do not fit a binary.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.status().expect("running cargo for hydock-shim");
    assert!(status.success(), "building hydock-shim failed");

    let binary = target_dir.join(&target).join(&profile).join("hydock-shim");
    let content = std::fs::read(&binary).expect("reading the built hydock-shim");
    // Hashed here, once, rather than at run time: the file name carries the content's identity.
    let tag: String = Sha256::digest(&content)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=HYDOCK_SHIM_BINARY={}", binary.display());
    println!("cargo:rustc-env=HYDOCK_SHIM_TAG={tag}");
    for dir in ["hydock-shim", "hydock-runtime", "hydock-cgroups"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join("rust").join(dir).display()
        );
    }
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
}
