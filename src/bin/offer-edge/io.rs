//! File and clock helpers shared by the subcommands (the library itself never
//! touches either).

use offer_edge::time::Timestamp;
use offer_edge::{Error, ErrorCode, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// An `IO` error mentioning `path`.
pub fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Io, format!("{}: {e}", path.display()))
}

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_err(path, e))
}

/// Writes `bytes` to `out` (atomically: temp file + rename) or to stdout.
pub fn write_output(out: Option<&PathBuf>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| io_err(Path::new("<stdout>"), e))
        }
    }
}

/// Replaces `path` with `bytes` so readers never see a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

/// `--now`/`--issued-at` style argument, or the system clock.
pub fn instant(arg: Option<&str>) -> Result<Timestamp> {
    match arg {
        Some(text) => Timestamp::parse_rfc3339(text),
        None => {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| Error::new(ErrorCode::Io, format!("system clock: {e}")))?
                .as_millis();
            Ok(Timestamp(i64::try_from(ms).unwrap_or(i64::MAX)))
        }
    }
}

/// Pretty JSON with a trailing newline (for files people read).
pub fn pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Error::new(ErrorCode::Io, e.to_string()))
}
