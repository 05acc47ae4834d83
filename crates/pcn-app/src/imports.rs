//! Importing an official file: read it (every problem with file, row and
//! column, or every fact), then write it in one transaction. The same content
//! is never written twice.

use std::path::Path;

use chrono::Utc;
use pcn_import::{ImportError, ImportOptions, ParsedFile};
use pcn_store::{ImportOutcome, ImportRecord, NewImport};

use crate::{App, Result};

/// What happened to one file.
pub enum FileOutcome {
    Written {
        parsed: ParsedFile,
        id: i64,
    },
    AlreadyImported {
        parsed: ParsedFile,
        record: ImportRecord,
    },
    /// The file was refused; nothing was written. The error lists every problem.
    Refused(ImportError),
}

impl App {
    /// Reads `path` and writes it; `progress` is told the rows read so far.
    pub async fn import_file(
        &self,
        path: &Path,
        options: &ImportOptions,
        actor: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<FileOutcome> {
        let parsed = match pcn_import::read_path(path, options, progress) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(FileOutcome::Refused(e)),
        };
        self.write_parsed(parsed, &path.display().to_string(), actor)
            .await
    }

    /// What a file read whole still lacks before it may be written: a
    /// remittance CSV names rulebook streams and networks, which only the
    /// rulebook and the registry can confirm (every problem named by file,
    /// row, column and value). Other files need nothing more.
    pub async fn check_parsed(
        &self,
        parsed: &ParsedFile,
        file_name: &str,
    ) -> Result<Option<ImportError>> {
        if parsed.facts.remittances.is_empty() {
            return Ok(None);
        }
        let registry = self.registry().await?;
        Ok(pcn_import::remittance::check(
            file_name,
            &parsed.facts.remittances,
            &self.rulebook,
            |pcn| registry.knows_network(pcn),
        )
        .err())
    }

    /// Writes a file already read (the web app's preview, then commit),
    /// after [`App::check_parsed`]: a refused file writes nothing.
    pub async fn write_parsed(
        &self,
        parsed: ParsedFile,
        file_name: &str,
        actor: &str,
    ) -> Result<FileOutcome> {
        if let Some(refused) = self.check_parsed(&parsed, file_name).await? {
            return Ok(FileOutcome::Refused(refused));
        }
        // Service records are checked against the registry and the roster
        // before anything is written: the file is refused whole.
        if let Some(e) = self
            .check_services(file_name, &parsed.facts.services)
            .await?
        {
            return Ok(FileOutcome::Refused(e));
        }
        let import = NewImport {
            sha256: &parsed.sha256,
            file_name,
            kind: parsed.kind,
            data_date: parsed.data_date,
            rows_read: parsed.rows,
            imported_at: Utc::now(),
            imported_by: actor,
        };
        let outcome = self
            .store
            .write_import(&import, &parsed.facts, &self.rulebook)
            .await?;
        Ok(match outcome {
            ImportOutcome::Written(id) => FileOutcome::Written { parsed, id },
            ImportOutcome::AlreadyImported(record) => {
                FileOutcome::AlreadyImported { parsed, record }
            }
        })
    }

    /// Rebuilds the registry cache after imports, so the next read is fast.
    pub async fn refresh_cache(&self) -> Result<()> {
        self.store.load_facts().await?;
        Ok(())
    }
}

/// Whether a file is worth a progress bar.
pub fn is_large(path: &Path) -> bool {
    const PROGRESS_BYTES: u64 = 1 << 20;
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) >= PROGRESS_BYTES
}
