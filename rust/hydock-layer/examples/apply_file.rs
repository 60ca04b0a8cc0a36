//! Applies a layer blob file onto a directory and prints the digests and the elapsed time:
//! `cargo run --release -p hydock-layer --example apply_file -- LAYER TARGET_DIR`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(layer), Some(target)) = (args.next(), args.next()) else {
        return Err("usage: apply_file LAYER TARGET_DIR".into());
    };
    let input = std::fs::File::open(&layer)?;
    let started = Instant::now();
    let stats = hydock_layer::apply_layer(input, target.as_ref(), None)?;
    let elapsed = started.elapsed();
    println!("{stats:?}");
    println!(
        "applied in {:.2?}: {:.0} MB/s compressed, {:.0} MB/s uncompressed",
        elapsed,
        stats.compressed_size as f64 / 1e6 / elapsed.as_secs_f64(),
        stats.size as f64 / 1e6 / elapsed.as_secs_f64()
    );
    Ok(())
}
