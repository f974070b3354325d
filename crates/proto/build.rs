use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A vendored protoc: a fresh machine needs no system protobuf compiler.
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = [
        "meridian/v1/kv.proto",
        "meridian/v1/clusters.proto",
        "meridian/v1/global.proto",
        "meridian/internal/v1/raft.proto",
        "meridian/internal/v1/ship.proto",
    ]
    .map(|f| root.join(f));
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("meridian_descriptor.bin"))
        .bytes(".")
        .compile_protos(&files, std::slice::from_ref(&root))?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
