//! Prompts: on a terminal, secrets are read without echo (rpassword, from the terminal itself); otherwise every
//! answer is a line of standard input, so scripts and tests can feed them. Prompts go to standard error, so
//! standard output stays clean for `--json`.

use std::io::{BufRead, IsTerminal, Write};

use autoshares::Secret;

use crate::exit::{CliError, CliResult};

/// Whether standard input is a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

fn read_stdin_line(label: &str) -> CliResult<Option<String>> {
    let mut err = std::io::stderr();
    write!(err, "{label}")?;
    err.flush()?;
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line)?;
    if !interactive() {
        // The answer was not echoed by a terminal: end the prompt's line ourselves.
        writeln!(err)?;
    }
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// A visible answer (a username). `Usage` error when standard input ends first.
pub fn line(label: &str) -> CliResult<String> {
    read_stdin_line(label)?.ok_or_else(|| {
        CliError::Usage(format!(
            "no answer to `{}`: standard input ended",
            label.trim()
        ))
    })
}

/// A secret answer (password, code, PIN): no echo on a terminal. Never printed or logged.
pub fn secret(label: &str) -> CliResult<Secret> {
    if interactive() {
        let value = rpassword::prompt_password(label)?;
        return Ok(Secret::new(value));
    }
    let value = read_stdin_line(label)?.ok_or_else(|| {
        CliError::Usage(format!(
            "no answer to `{}`: standard input ended",
            label.trim()
        ))
    })?;
    Ok(Secret::new(value))
}

/// A yes/no question; anything but `y`/`yes` (or the end of input) is no.
pub fn confirm(question: &str) -> CliResult<bool> {
    let answer = read_stdin_line(&format!("{question} [y/N] "))?;
    Ok(matches!(
        answer
            .as_deref()
            .map(|a| a.trim().to_ascii_lowercase())
            .as_deref(),
        Some("y" | "yes")
    ))
}
