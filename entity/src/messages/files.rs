//! Recordings on disk: `{data dir}/messages/{business id}/{message id}`, a path made only
//! of ids the server generated — nothing a caller sends names a file. Directories are
//! private to the process's user.

use std::path::{Path, PathBuf};

use uuid::Uuid;

/// Where message `id` of `business_id` keeps its recording under `root` (the data
/// directory).
#[must_use]
pub fn path(root: &Path, business_id: Uuid, id: Uuid) -> PathBuf {
    root.join("messages")
        .join(business_id.simple().to_string())
        .join(id.simple().to_string())
}

/// Writes a recording (a fresh file; never replaces one).
///
/// # Errors
/// When the directory or the file cannot be written.
pub async fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder.create(dir).await?;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    file.sync_all().await
}

/// Removes a recording; one already gone is fine.
pub async fn remove(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, "removing a recording failed");
        }
    }
}
