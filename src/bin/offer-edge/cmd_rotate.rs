//! `offer-edge rotate`: write a signed keyset update (key rotation).
//!
//! A rotation replaces a partner's trusted keys. Hosts accept it only when a
//! threshold of the CURRENT keys signed it (the old owners consent) and the
//! new threshold of the NEW keys signed it (the new owners hold their private
//! keys), for the same partner, with a keyset version above the current one
//! (`Trust::rotate`, src/bundle/keyset.rs). This command refuses early, with a
//! code, what hosts would refuse late, and verifies its own output with
//! `Trust::rotate` before writing it: a rotation the hosts would refuse is
//! never written.

use crate::io::{pretty, read, write_atomic};
use crate::keyfile::{read_public, read_signing_key, KeyKind};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use offer_edge::bundle::{Keyset, Trust};
use offer_edge::{Error, ErrorCode, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `rotate`.
#[derive(clap::Args)]
#[command(after_help = "\
Signs a keyset update with a threshold of the current keys (--current, the
private key files of keys the trust config holds) and every new key
(--new, private key files: the new owners prove they hold them). The update
is verified as every host verifies it before it is written; with
--write-trust the trust config it yields is written too (pin it in the next
deployment). Upload the update with `scripts/upload-bundle --keyset`, next to
a bundle signed by the new keys.

Codes: UNKNOWN_KEY (a --current key the trust does not hold), KEY_INVALID (a
key file whose public half does not match the trust or its .pub file, a
keyid used twice for different keys), THRESHOLD_NOT_MET (fewer distinct
current signers than the trust's threshold), KEYSET_INVALID (a threshold
outside 1..=new keys), VERSION_ROLLBACK (--version not above the current).

Examples:
  offer-edge rotate --trust trust.json --current keys/acme-1.key --new keys/acme-2.key -o keyset.signed.json
  offer-edge rotate --trust trust.json --current keys/a.key --current keys/b.key \\
      --new keys/c.key --new keys/d.key --threshold 2 -o keyset.signed.json --write-trust trust.next.json")]
pub struct Args {
    /// The trust config in force (partner, current keys, threshold, keysetVersion).
    #[arg(long)]
    trust: PathBuf,
    /// A current private key file (repeat up to the trust's threshold).
    #[arg(long = "current", required = true)]
    current: Vec<PathBuf>,
    /// A new private key file (repeat for several keys).
    #[arg(long = "new", required = true)]
    new: Vec<PathBuf>,
    /// Distinct new keys that must sign from now on (default: the current
    /// threshold, at most the number of new keys).
    #[arg(long)]
    threshold: Option<usize>,
    /// Keyset version (default: the trust's keysetVersion + 1).
    #[arg(long)]
    version: Option<u64>,
    /// Where the signed keyset update is written.
    #[arg(short, long)]
    out: PathBuf,
    /// Also write the trust config the update yields (what hosts derive).
    #[arg(long)]
    write_trust: Option<PathBuf>,
}

/// One private key file with its key id.
struct Signer {
    keyid: String,
    key: SigningKey,
}

/// Reads a private signing key; when its `.pub` file sits next to it, the
/// two must be halves of one key pair (a mismatch means a mixed-up file).
fn read_signer(path: &Path) -> Result<Signer> {
    let (keyid, key) = read_signing_key(path)?;
    let public = B64.encode(key.verifying_key().as_bytes());
    let pub_path = path.with_extension("pub");
    if pub_path != path && pub_path.exists() {
        let file = read_public(&pub_path, KeyKind::Ed25519)?;
        if file.public_key != public || file.keyid != keyid {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                format!(
                    "{}: private key does not match its public key file {}",
                    path.display(),
                    pub_path.display()
                ),
            ));
        }
    }
    Ok(Signer { keyid, key })
}

/// Checks every current signer is a key of the trust, and that they are
/// enough distinct keys to meet its threshold.
fn check_current(trust: &Trust, signers: &[Signer]) -> Result<()> {
    let mut distinct: Vec<[u8; 32]> = Vec::new();
    for s in signers {
        let Some(pinned) = trust.keys().get(&s.keyid) else {
            return Err(Error::new(
                ErrorCode::UnknownKey,
                format!(
                    "--current key {:?} is not in the trust config of {}",
                    s.keyid,
                    trust.partner()
                ),
            ));
        };
        if pinned.as_bytes() != s.key.verifying_key().as_bytes() {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                format!(
                    "--current key {:?} is not the key the trust config holds under that id",
                    s.keyid
                ),
            ));
        }
        let bytes = s.key.verifying_key().to_bytes();
        if !distinct.contains(&bytes) {
            distinct.push(bytes);
        }
    }
    if distinct.len() < trust.threshold() {
        return Err(Error::new(
            ErrorCode::ThresholdNotMet,
            format!(
                "{} distinct current key(s) given, the trust config of {} needs {}",
                distinct.len(),
                trust.partner(),
                trust.threshold()
            ),
        ));
    }
    Ok(())
}

/// The new keys by keyid, refusing one keyid for two different keys (also
/// across current and new: a signature is looked up by keyid).
fn new_keys(current: &[Signer], new: &[Signer]) -> Result<BTreeMap<String, String>> {
    let mut keys = BTreeMap::new();
    for s in new {
        let public = B64.encode(s.key.verifying_key().as_bytes());
        let clash = current
            .iter()
            .any(|c| c.keyid == s.keyid && c.key.verifying_key() != s.key.verifying_key());
        if clash || keys.get(&s.keyid).is_some_and(|k| *k != public) {
            return Err(Error::new(
                ErrorCode::KeyInvalid,
                format!("keyid {:?} names two different keys", s.keyid),
            ));
        }
        keys.insert(s.keyid.clone(), public);
    }
    Ok(keys)
}

fn list(ids: &[&String]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// Signs, verifies as hosts do, writes, and prints what changed.
pub fn run(args: Args) -> Result<()> {
    let trust = Trust::from_json(&read(&args.trust)?)?;
    let current = args
        .current
        .iter()
        .map(|p| read_signer(p))
        .collect::<Result<Vec<_>>>()?;
    let new = args
        .new
        .iter()
        .map(|p| read_signer(p))
        .collect::<Result<Vec<_>>>()?;
    check_current(&trust, &current)?;
    let keys = new_keys(&current, &new)?;
    let keyset = Keyset {
        partner: trust.partner().to_owned(),
        version: args
            .version
            .unwrap_or_else(|| trust.keyset_version().saturating_add(1)),
        threshold: args
            .threshold
            .unwrap_or_else(|| trust.threshold().min(keys.len())),
        keys,
    };
    // Each signer once: a key both current and new (kept) signs one time.
    let mut signers: Vec<(&str, &SigningKey)> = Vec::new();
    for s in current.iter().chain(&new) {
        if !signers.iter().any(|(id, _)| *id == s.keyid) {
            signers.push((&s.keyid, &s.key));
        }
    }
    let envelope = keyset.sign(&signers)?;
    let bytes = envelope.to_json()?.into_bytes();
    // Exactly what every host runs: what it refuses is never written.
    let next = trust.rotate(&bytes)?;
    write_atomic(&args.out, &bytes)?;
    if let Some(path) = &args.write_trust {
        write_atomic(path, pretty(&next.to_doc())?.as_bytes())?;
    }
    let (old_ids, new_ids) = (trust.keys(), next.keys());
    let added: Vec<_> = new_ids
        .keys()
        .filter(|k| !old_ids.contains_key(*k))
        .collect();
    let retired: Vec<_> = old_ids
        .keys()
        .filter(|k| !new_ids.contains_key(*k))
        .collect();
    let kept: Vec<_> = new_ids
        .keys()
        .filter(|k| old_ids.contains_key(*k))
        .collect();
    println!(
        "rotated: partner {} keyset version {} -> {}, threshold {} -> {}; added {}; retired {}; kept {}; signed by {}; wrote {}{}",
        next.partner(),
        trust.keyset_version(),
        next.keyset_version(),
        trust.threshold(),
        next.threshold(),
        list(&added),
        list(&retired),
        list(&kept),
        signers.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(","),
        args.out.display(),
        args.write_trust
            .as_ref()
            .map(|p| format!(", next trust {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}
