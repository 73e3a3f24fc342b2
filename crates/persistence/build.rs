//! Rebuild when a migration changes: `embed_migrations!` reads these folders at compile time.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
