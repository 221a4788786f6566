//! Where tokens live between calls and between runs.
//!
//! [`FileTokenStore`] is the one the Rust, Python and Node libraries (and the CLI) share: a JSON file of
//! sessions keyed by [`super::TokenProvider::session_key`], created with mode 0600 in a 0700 directory, replaced
//! atomically (write a temporary file beside it, fsync, rename), and guarded by an exclusive lock on
//! `<file>.lock` while a process refreshes, so two processes sharing the file make one refresh between them.
//! A file readable by others is refused rather than used, as ssh does with private keys.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Token;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// A token as persisted by a [`TokenStore`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The bearer token.
    pub access_token: Secret,
    /// The OAuth refresh token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl From<&Token> for StoredToken {
    fn from(t: &Token) -> Self {
        StoredToken {
            access_token: t.access_token().clone(),
            refresh_token: t.refresh_token().cloned(),
            expires_at: t.expires_at(),
        }
    }
}

impl From<StoredToken> for Token {
    fn from(s: StoredToken) -> Self {
        Token::expiring_at(s.access_token, s.expires_at).with_refresh_token(s.refresh_token)
    }
}

/// A held cross-process lock; released when dropped.
pub trait StoreLock: Send {}

impl StoreLock for () {}

/// Keeps tokens by session key. Methods are blocking and quick; the SDK calls them off the async executor.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The token stored for `key`, if any.
    fn load(&self, key: &str) -> Result<Option<StoredToken>>;
    /// Stores `token` for `key`, replacing any previous one.
    fn save(&self, key: &str, token: &StoredToken) -> Result<()>;
    /// Forgets the token of `key`.
    fn remove(&self, key: &str) -> Result<()>;
    /// Every stored session with its key, for finding a session that another process logged in (see
    /// [`super::StoredSession::find`]). Stores that cannot list their sessions return an empty list.
    fn sessions(&self) -> Result<Vec<(String, StoredToken)>> {
        Ok(Vec::new())
    }
    /// Takes the store's exclusive lock for a refresh (blocking until it is free). Stores used by one process
    /// only may return a no-op lock.
    fn lock(&self) -> Result<Box<dyn StoreLock>> {
        Ok(Box::new(()))
    }
}

/// Tokens in memory only: gone when the process ends. The default.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<BTreeMap<String, StoredToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned())
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<()> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), token.clone());
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }

    fn sessions(&self) -> Result<Vec<(String, StoredToken)>> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

#[derive(Serialize, Deserialize, Default)]
struct TokenFile {
    version: u32,
    #[serde(default)]
    sessions: BTreeMap<String, StoredToken>,
}

const FILE_VERSION: u32 = 1;

/// Tokens in a JSON file (0600), shared between processes and languages.
///
/// ```no_run
/// use autoshares::auth::FileTokenStore;
/// let store = FileTokenStore::new(FileTokenStore::default_path().unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path` (created on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    /// `$XDG_CONFIG_HOME/autoshares/tokens.json`, or `~/.config/autoshares/tokens.json`.
    pub fn default_path() -> Result<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .ok_or_else(|| {
                Error::config("token_file", "neither XDG_CONFIG_HOME nor HOME is set")
            })?;
        Ok(base.join("autoshares").join("tokens.json"))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::TokenStore {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }

    fn read(&self) -> Result<TokenFile> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TokenFile::default()),
            Err(e) => return Err(self.err(format!("cannot read: {e}"))),
        };
        self.check_private(&self.path)?;
        let file: TokenFile = serde_json::from_slice(&bytes).map_err(|e| {
            self.err(format!(
                "not a valid token file ({e}); delete it and log in again"
            ))
        })?;
        if file.version != FILE_VERSION {
            return Err(self.err(format!(
                "token file version {} is not supported (expected {FILE_VERSION})",
                file.version
            )));
        }
        Ok(file)
    }

    fn write(&self, file: &TokenFile) -> Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir)
            .map_err(|e| self.err(format!("cannot create {}: {e}", dir.display())))?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let result = (|| -> std::io::Result<()> {
            let mut f = open_private(&tmp, true)?;
            serde_json::to_writer_pretty(&mut f, file)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(|e| self.err(format!("cannot write: {e}")))
    }

    #[cfg(unix)]
    fn check_private(&self, path: &Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| self.err(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(self.err(format!(
                "permissions {:04o} let other users read the tokens; run `chmod 600 {}`",
                mode & 0o7777,
                path.display()
            )));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_private(&self, _path: &Path) -> Result<()> {
        Ok(())
    }

    fn lock_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }
}

struct FileLock(#[allow(dead_code)] File);
impl StoreLock for FileLock {}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>> {
        Ok(self.read()?.sessions.remove(key))
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<()> {
        let mut file = self.read()?;
        file.version = FILE_VERSION;
        file.sessions.insert(key.to_owned(), token.clone());
        self.write(&file)
    }

    fn remove(&self, key: &str) -> Result<()> {
        let mut file = self.read()?;
        if file.sessions.remove(key).is_some() {
            file.version = FILE_VERSION;
            self.write(&file)?;
        }
        Ok(())
    }

    fn sessions(&self) -> Result<Vec<(String, StoredToken)>> {
        Ok(self.read()?.sessions.into_iter().collect())
    }

    fn lock(&self) -> Result<Box<dyn StoreLock>> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir)
            .map_err(|e| self.err(format!("cannot create {}: {e}", dir.display())))?;
        let path = self.lock_path();
        let f = open_private(&path, false)
            .map_err(|e| self.err(format!("cannot open lock file: {e}")))?;
        f.lock()
            .map_err(|e| self.err(format!("cannot lock: {e}")))?;
        Ok(Box::new(FileLock(f)))
    }
}

#[cfg(unix)]
pub(crate) fn open_private(path: &Path, create_new: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.write(true).mode(0o600);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(false);
    }
    o.open(path)
}

#[cfg(not(unix))]
pub(crate) fn open_private(path: &Path, create_new: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(false);
    }
    o.open(path)
}

#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample() -> StoredToken {
        StoredToken::from(
            &Token::new("tok-abc", Duration::from_secs(60))
                .with_refresh_token(Some("ref-xyz".into())),
        )
    }

    #[cfg(unix)]
    #[test]
    fn file_is_created_0600_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("sub").join("tokens.json"));
        let token = sample();
        store.save("k", &token).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(dir.path().join("sub"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        assert_eq!(store.load("k").unwrap(), Some(token));
        assert_eq!(store.load("other").unwrap(), None);
        let _lock = store.lock().unwrap();
        let lmode = fs::metadata(store.lock_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(lmode, 0o600);
        store.remove("k").unwrap();
        assert_eq!(store.load("k").unwrap(), None);
        // no temporary files are left behind
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn malformed_and_world_readable_files_are_typed_errors() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        fs::write(&path, "{ not json").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let store = FileTokenStore::new(&path);
        let err = store.load("k").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::TokenStore);
        assert!(err.to_string().contains("not a valid token file"), "{err}");
        fs::write(&path, r#"{"version":1,"sessions":{}}"#).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load("k").unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn debug_never_shows_tokens() {
        let s = format!("{:?}", sample());
        assert!(!s.contains("tok-abc") && !s.contains("ref-xyz"), "{s}");
    }
}
