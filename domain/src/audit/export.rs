//! The Security Log as CSV (RFC 4180): a header row, then one row per entry, CRLF line
//! ends, and a field quoted only when it holds a comma, a quote or a line break. The
//! `csv` crate writes it; a cell a spreadsheet would run as a formula is defused first.

use anyhow::Context;

use super::AuditEvent;
use crate::error::DomainError;

const COLUMNS: [&str; 7] = [
    "time_utc", "action", "outcome", "target", "actor", "ip", "count",
];

/// The header row of the CSV export, line end included.
pub fn csv_header() -> Result<String, DomainError> {
    write([COLUMNS.map(str::to_owned)])
}

/// The entries as CSV rows, line ends included.
pub fn csv_rows(events: &[AuditEvent]) -> Result<String, DomainError> {
    write(events.iter().map(|e| {
        [
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.action.clone(),
            e.outcome.clone(),
            e.target.clone().unwrap_or_default(),
            e.actor.clone(),
            e.ip.clone().unwrap_or_default(),
            e.count.to_string(),
        ]
    }))
}

/// The entries as CSV, header row first.
pub fn to_csv(events: &[AuditEvent]) -> Result<String, DomainError> {
    Ok(csv_header()? + &csv_rows(events)?)
}

fn write(records: impl IntoIterator<Item = [String; 7]>) -> Result<String, DomainError> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        out.write_record(record.map(defused))
            .context("write a CSV row")?;
    }
    let bytes = out.into_inner().context("finish the CSV rows")?;
    Ok(String::from_utf8(bytes).context("CSV rows as text")?)
}

/// A leading =, +, - or @ would be a formula in a spreadsheet: quote it away.
fn defused(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(target: &str) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
                .unwrap(),
            action: "token.edit".into(),
            outcome: "ok".into(),
            target: Some(target.into()),
            actor: "token patio_abcd".into(),
            ip: Some("127.0.0.1".into()),
            count: 1,
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let csv = to_csv(&[event("a \"quoted\", thing"), event("=HYPERLINK()")]).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time_utc,action,outcome,target,actor,ip,count");
        assert_eq!(lines[1], "2026-11-23 12:00:00,token.edit,ok,\"a \"\"quoted\"\", thing\",token patio_abcd,127.0.0.1,1");
        assert!(lines[2].contains(",'=HYPERLINK(),"));
    }

    #[test]
    fn line_breaks_empty_cells_and_every_formula_sign_are_written_as_before() {
        let mut bare = event("two\r\nlines");
        bare.ip = None;
        bare.target = None;
        assert_eq!(
            csv_rows(&[bare]).unwrap(),
            "2026-11-23 12:00:00,token.edit,ok,,token patio_abcd,,1\r\n"
        );
        let cells = ["two\r\nlines", "-1", "+x", "@SUM(A1)", "=a,b", " =x", "'"];
        let rows = csv_rows(&cells.map(event)).unwrap();
        let targets: Vec<&str> = rows
            .split(",token patio_abcd,")
            .filter_map(|part| part.split_once(",ok,").map(|(_, target)| target))
            .collect();
        assert_eq!(
            targets,
            [
                "\"two\r\nlines\"",
                "'-1",
                "'+x",
                "'@SUM(A1)",
                "\"'=a,b\"",
                " =x",
                "'"
            ]
        );
    }
}
