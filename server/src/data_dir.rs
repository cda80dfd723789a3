//! Keeping the data directory private: it holds the SQLite database, the generated
//! signing keys (`secrets.json`) and the mail outbox, whose `.eml` files carry live
//! invitation and sign-in links. Anyone else on the machine who can read them can sign in.
//!
//! Fixed at the root rather than file by file: at start the process umask becomes `077`,
//! so every file and directory it creates from then on — SQLite's `-wal`/`-shm`, lettre's
//! outbox files, whatever comes next — is `0600`/`0700` without each writer remembering;
//! and whatever an earlier version left behind is tightened (directories `0700`, files
//! `0600`). What cannot be tightened (another owner, a read-only mount) is logged as a
//! warning, once per start, and does not stop the server.

use std::path::Path;

/// Makes every file and directory the process creates from now on private to its user
/// (umask `077`). Process-wide; call before anything is written.
pub fn restrict_new_files() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
}

/// Creates `dir` (and its missing parents) private to the process's user.
///
/// # Errors
/// When the directory cannot be created.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Restricts the umask, creates `dir` if needed and tightens it and everything in it
/// (directories `0700`, files `0600`; symbolic links are left alone). Failures are
/// logged, not returned: the server still runs, the operator is told.
pub fn secure(dir: &Path) {
    restrict_new_files();
    if let Err(e) = create_private_dir(dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot create the data directory");
        return;
    }
    let mut refused = Vec::new();
    tighten(dir, 0, &mut refused);
    if !refused.is_empty() {
        tracing::warn!(
            dir = %dir.display(),
            paths = ?refused,
            "cannot make these paths in the data directory private to this user (0700/0600); \
             other local users may read the database, keys and mail with links in them"
        );
    }
}

/// Tightens one file that may live outside the data directory (a SQLite database
/// elsewhere) to `0600`, if it exists; a failure is logged.
pub fn secure_file(path: &Path) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_file() {
        if let Err(e) = set_private(path, &meta) {
            tracing::warn!(path = %path.display(), error = %e, "cannot make this file private to this user (0600)");
        }
    }
}

/// Tightens one path (a file or directory), then a directory's entries (at most a few
/// levels deep: the data directory is flat but for the outbox).
fn tighten(path: &Path, depth: usize, refused: &mut Vec<String>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    if let Err(e) = set_private(path, &meta) {
        refused.push(format!("{}: {e}", path.display()));
    }
    if !meta.is_dir() || depth >= 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        refused.push(format!("{}: unreadable", path.display()));
        return;
    };
    for entry in entries.flatten() {
        tighten(&entry.path(), depth + 1, refused);
    }
}

#[cfg(unix)]
fn set_private(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
    if meta.permissions().mode() & 0o777 == wanted {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))
}

#[cfg(not(unix))]
fn set_private(_path: &Path, _meta: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_directory_is_closed_and_new_files_are_private() {
        let dir = std::env::temp_dir().join(format!("dc-perm-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("outbox")).unwrap();
        std::fs::write(dir.join("domaincall.db"), "x").unwrap();
        std::fs::write(dir.join("outbox/a.eml"), "x").unwrap();
        for p in [&dir, &dir.join("outbox")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for p in ["domaincall.db", "outbox/a.eml"] {
            std::fs::set_permissions(dir.join(p), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        secure(&dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("outbox")), 0o700);
        assert_eq!(mode(&dir.join("domaincall.db")), 0o600);
        assert_eq!(mode(&dir.join("outbox/a.eml")), 0o600);
        std::fs::write(dir.join("outbox/b.eml"), "x").unwrap();
        assert_eq!(mode(&dir.join("outbox/b.eml")), 0o600, "the umask holds");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
