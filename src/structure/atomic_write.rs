//! Writing files so that a failure leaves nothing behind and an input is never overwritten by accident.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target is the file the structure was read from.
    #[error("refusing to overwrite the input file {0} (choose another output path)")]
    WouldOverwriteInput(PathBuf),
    /// Creating, writing or renaming failed.
    #[error("cannot write {path}: {reason}")]
    Io {
        /// The target path.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// The data to write is not valid (NaN coordinates, mismatched lengths).
    #[error("cannot write {path}: {reason}")]
    InvalidData {
        /// The target path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// True when `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so readers
/// see the old file or the whole new one. `protected` lists inputs that must not be replaced.
pub fn write_atomic(path: &Path, bytes: &[u8], protected: &[&Path]) -> Result<(), WriteError> {
    if let Some(input) = protected.iter().find(|p| same_file(path, p)) {
        return Err(WriteError::WouldOverwriteInput(input.to_path_buf()));
    }
    let io_error = |reason| WriteError::Io {
        path: path.to_path_buf(),
        reason,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io_error(std::io::Error::other("the path names no file")))?;
    let temp = folder.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = result {
        std::fs::remove_file(&temp).ok();
        return Err(io_error(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_refuses_protected_input() {
        let dir = std::env::temp_dir().join(format!("sigmascope-aw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.txt");
        write_atomic(&target, b"hello", &[]).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        let err = write_atomic(&target, b"other", &[&target]).unwrap_err();
        assert!(matches!(err, WriteError::WouldOverwriteInput(_)));
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file stays behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
