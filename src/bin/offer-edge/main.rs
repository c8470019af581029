//! `offer-edge`: the command-line tool for bundle authors.
#![forbid(unsafe_code)]

fn main() {
    println!("offer-edge {}", env!("CARGO_PKG_VERSION"));
}
