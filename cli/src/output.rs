//! What commands print: a readable table by default, the core models as JSON with `--json` (money exactly as
//! the server sent it: core's decimals serialize as JSON numbers without going through `f64`).
//!
//! The table is a few lines of our own rather than a crate: columns are plain strings padded to the widest cell.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

use crate::exit::CliResult;

/// Output mode chosen by `--json`.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// Print JSON instead of tables.
    pub json: bool,
}

impl Out {
    /// Prints `value` as pretty JSON on standard output.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> CliResult {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)
            .map_err(|e| crate::exit::CliError::Other(e.to_string()))?;
        writeln!(stdout)?;
        Ok(())
    }

    /// Prints `value` as JSON with `--json`, else the table `table()` builds.
    pub fn show<T: Serialize + ?Sized>(
        &self,
        value: &T,
        table: impl FnOnce() -> Table,
    ) -> CliResult {
        if self.json {
            self.json(value)
        } else {
            print!("{}", table().render());
            Ok(())
        }
    }
}

/// A table of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(headers: I) -> Table {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank).
    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) -> &mut Table {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// The table as text, a header line then one line per row, columns separated by two spaces.
    pub fn render(&self) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                if i + 1 == columns {
                    s.push_str(cell);
                } else {
                    s.push_str(&format!("{cell:<w$}  "));
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut out = line(&self.headers);
        for row in &self.rows {
            out.push_str(&line(row));
        }
        if self.rows.is_empty() {
            out.push_str("(none)\n");
        }
        out
    }
}

/// A cell from an optional value (`-` when absent).
pub fn opt<T: Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

/// A cell from an optional UTC time, to the second.
pub fn opt_time(v: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    v.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// A cell from an optional UTC time, as a date.
pub fn opt_date(v: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    v.map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let mut t = Table::new(["a", "bb"]);
        t.row(["xxx", "1"]).row(["y", "22"]);
        assert_eq!(t.render(), "a    bb\nxxx  1\ny    22\n");
        assert_eq!(Table::new(["a"]).render(), "a\n(none)\n");
    }
}
