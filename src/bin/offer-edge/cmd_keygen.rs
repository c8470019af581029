//! `offer-edge keygen`: a fresh key pair from OS entropy.

use crate::io::pretty;
use crate::keyfile::{check_keyid, write_private, KeyKind, PublicFile, SecretFile};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::seal::{fulfilment_key_files, FulfilmentPrivateKey};
use offer_edge::{Error, ErrorCode, Result};
use std::path::PathBuf;

/// Arguments of `keygen`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  offer-edge keygen --out-dir keys --keyid acme-2026
      writes keys/acme-2026.key (mode 0600, keep it secret) and keys/acme-2026.pub
  offer-edge keygen --out-dir keys --keyid acme-fulfilment-1 --kind x25519
      an X25519 key for the bundle's fulfilmentKey (sealed confirmation emails)
  offer-edge keygen --out-dir keys --keyid acme-checkout-1 --kind checkout
      an Ed25519 key for the partner's checkout tokens (see checkout-token);
      its public key goes in the edge's pinned checkout keys")]
pub struct Args {
    /// Directory to write `ID.key` and `ID.pub` into (created if missing).
    #[arg(long)]
    out_dir: PathBuf,
    /// Key id, also the file name (letters, digits, - _ .).
    #[arg(long)]
    keyid: String,
    /// ed25519 signs bundles; x25519 receives sealed emails; checkout (Ed25519)
    /// signs a partner's checkout tokens.
    #[arg(long, value_enum, default_value = "ed25519")]
    kind: KeyKind,
}

/// Generates and writes the pair; never overwrites an existing key.
pub fn run(args: Args) -> Result<()> {
    check_keyid(&args.keyid)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::new(ErrorCode::Io, format!("no OS entropy: {e}")))?;
    let key_path = args.out_dir.join(format!("{}.key", args.keyid));
    let pub_path = args.out_dir.join(format!("{}.pub", args.keyid));
    std::fs::create_dir_all(&args.out_dir).map_err(|e| crate::io::io_err(&args.out_dir, e))?;
    let (secret, public) = match args.kind {
        KeyKind::Ed25519 | KeyKind::Checkout => {
            let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
            let secret_file = SecretFile {
                keyid: args.keyid.clone(),
                kind: args.kind,
                secret_key: B64.encode(seed),
            };
            (pretty(&secret_file)?, B64.encode(public))
        }
        // The seal module's own format, so the fulfilment side opens
        // requests with exactly the key `keygen` wrote.
        KeyKind::X25519 => {
            let (private_json, _) = fulfilment_key_files(&args.keyid, seed)?;
            let public = FulfilmentPrivateKey::from_json(&private_json)?
                .public()
                .public_key;
            (private_json, public)
        }
    };
    let public_file = PublicFile {
        keyid: args.keyid.clone(),
        kind: args.kind,
        public_key: public,
    };
    write_private(&key_path, secret.as_bytes())?;
    crate::io::write_atomic(&pub_path, pretty(&public_file)?.as_bytes())?;
    eprintln!(
        "wrote {} (secret, mode 0600) and {}",
        key_path.display(),
        pub_path.display()
    );
    Ok(())
}
