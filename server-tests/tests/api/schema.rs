//! The SQLite and PostgreSQL migration trees end in the same schema: both are applied
//! with the project's own migrators, each database's catalogue is read into one model
//! (tables, columns with their type mapped to a family, nullability, defaults, generated
//! ids, primary keys, indexes, foreign keys, check constraints) and the two must be
//! equal. Without `PATIO_TEST_POSTGRES` only the SQLite side is read and checked, and the
//! test says it needs PostgreSQL for the comparison.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sqlx::{Connection, Row};

use crate::helpers::fresh_postgres;

/// Tables only PostgreSQL has, on purpose, with the reason. Each must still be there, so
/// the list cannot outlive the table.
const POSTGRES_ONLY: &[(&str, &str)] = &[(
    "write_lock",
    "writers locked it before they took advisory locks; a replica of that older version \
     may still lock it during a rolling upgrade",
)];

#[tokio::test]
async fn the_sqlite_and_postgresql_migrations_end_in_the_same_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_schema(&dir.path().join("schema.db")).await;
    assert_sound(&sqlite, "SQLite");

    let Some(url) = fresh_postgres().await else {
        eprintln!(
            "checked the SQLite schema alone ({}); comparing it with PostgreSQL's needs \
             PATIO_TEST_POSTGRES",
            sqlite.summary()
        );
        return;
    };
    let mut postgres = postgres_schema(&url).await;
    assert_sound(&postgres, "PostgreSQL");
    for (table, why) in POSTGRES_ONLY {
        assert!(
            postgres.remove(*table).is_some() && !sqlite.contains_key(*table),
            "{table} is no longer only in PostgreSQL ({why}): take it off POSTGRES_ONLY"
        );
    }

    let differences = differences(&sqlite, &postgres);
    assert!(
        differences.is_empty(),
        "the SQLite and PostgreSQL migrations end in different schemas; add a migration to \
         the tree that is wrong:\n  - {}",
        differences.join("\n  - ")
    );
    eprintln!(
        "the SQLite and PostgreSQL schemas match: {}",
        sqlite.summary()
    );
}

// ---- The model both catalogues are read into ----

type Schema = BTreeMap<String, Table>;

#[derive(Debug, Default, PartialEq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// By name: PostgreSQL reports a unique violation by the index's name, and the code
    /// matches on it. Unique constraints (no name of their own in SQLite) go by columns.
    indexes: BTreeMap<String, Index>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// The columns each check constraint reads; SQLite keeps no parsed form to compare
    /// the expressions by.
    checks: BTreeSet<BTreeSet<String>>,
}

#[derive(Debug, PartialEq)]
struct Column {
    family: String,
    not_null: bool,
    default: Option<String>,
    /// Filled in by the database and never handed out twice: SQLite's AUTOINCREMENT,
    /// PostgreSQL's identity (or serial).
    generated: bool,
}

#[derive(Debug, PartialEq)]
struct Index {
    unique: bool,
    /// Column names, `desc` after one sorted downwards, `(expression)` for an expression.
    columns: Vec<String>,
    partial: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    target: Vec<String>,
    on_delete: String,
    on_update: String,
}

/// The type family a declared SQLite type stores, or `None` for a name the map does not
/// know (SQLite takes any name, typos too). Its integers and reals are 64-bit whatever the
/// name says, and a length (`varchar(20)`) limits nothing.
fn sqlite_family(declared: &str) -> Option<&'static str> {
    let name = declared.split('(').next().unwrap_or_default().trim();
    Some(match name.to_lowercase().as_str() {
        "integer" | "int" | "bigint" => "integer",
        "text" | "varchar" => "text",
        "blob" => "bytes",
        "real" | "double" | "double precision" | "float" => "real",
        "boolean" => "boolean",
        _ => return None,
    })
}

/// The family of a PostgreSQL type. Only the 64-bit kinds match SQLite's: a PostgreSQL
/// `integer` overflows on values SQLite keeps (sizes over 2 GiB, times after 2038).
fn postgres_family(data_type: &str) -> Option<&'static str> {
    Some(match data_type {
        "bigint" => "integer",
        "integer" => "integer (32-bit)",
        "smallint" => "integer (16-bit)",
        "text" | "character varying" => "text",
        "bytea" => "bytes",
        "double precision" => "real",
        "real" => "real (32-bit)",
        "boolean" => "boolean",
        _ => return None,
    })
}

fn family(found: Option<&str>, declared: &str) -> String {
    found.map_or_else(|| format!("unknown type {declared:?}"), str::to_owned)
}

/// A default as both catalogues can agree on it: PostgreSQL adds casts (`''::text`) and
/// quotes negative numbers (`'-1'::integer`).
fn normalise_default(text: &str) -> String {
    let mut text = text.trim();
    while let Some((value, cast)) = text.rsplit_once("::") {
        if cast
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '_')
        {
            text = value.trim();
        } else {
            break;
        }
    }
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // Only when the two are a pair: not `(1) + (2)`.
        let mut depth = 0;
        if inner.chars().any(|c| {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            depth < 0
        }) {
            break;
        }
        text = inner.trim();
    }
    match text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        Some(number) if number.parse::<f64>().is_ok() => number.to_owned(),
        _ => text.to_owned(),
    }
}

// ---- SQLite ----

/// Migrates a new SQLite file as the server does, and reads its catalogue.
async fn sqlite_schema(path: &std::path::Path) -> Schema {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = domain::platform::connect(&url)
        .await
        .expect("migrate a new SQLite database");
    db.pool.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open the SQLite database");

    let tables = sqlx::query(
        "select l.name, l.wr, m.sql from pragma_table_list as l
         join sqlite_master as m on m.type = 'table' and m.name = l.name
         where l.schema = 'main' and l.type = 'table'
           and substr(l.name, 1, 7) <> 'sqlite_' and l.name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list the SQLite tables");

    let mut schema = Schema::new();
    for row in tables {
        let name: String = row.get("name");
        let without_rowid = row.get::<i64, _>("wr") == 1;
        let sql = tokens(&row.get::<String, _>("sql"));
        let mut table = Table::default();

        let columns = sqlx::query(
            r#"select name, type, "notnull", dflt_value, pk from pragma_table_info(?) order by cid"#,
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .expect("read the SQLite columns");
        let mut key: Vec<(i64, String, String)> = columns
            .iter()
            .filter(|c| c.get::<i64, _>("pk") > 0)
            .map(|c| (c.get("pk"), c.get("name"), c.get("type")))
            .collect();
        key.sort();
        // A single `integer primary key` is the rowid: never null, and handed out once
        // only with AUTOINCREMENT.
        let rowid = match key.as_slice() {
            [(_, column, kind)] if !without_rowid && kind.eq_ignore_ascii_case("integer") => {
                Some(column.clone())
            }
            _ => None,
        };
        let autoincrement = sql
            .iter()
            .any(|t| matches!(t, Token::Word(w) if w == "autoincrement"));
        for c in &columns {
            let column: String = c.get("name");
            let declared: String = c.get("type");
            let in_key = c.get::<i64, _>("pk") > 0;
            let is_rowid = rowid.as_deref() == Some(column.as_str());
            table.columns.insert(
                column,
                Column {
                    family: family(sqlite_family(&declared), &declared),
                    not_null: c.get::<i64, _>("notnull") == 1
                        || is_rowid
                        || (in_key && without_rowid),
                    default: c
                        .get::<Option<String>, _>("dflt_value")
                        .map(|d| normalise_default(&d)),
                    generated: is_rowid && autoincrement,
                },
            );
        }
        table.primary_key = key.into_iter().map(|(_, column, _)| column).collect();

        let indexes =
            sqlx::query(r#"select name, "unique", origin, partial from pragma_index_list(?)"#)
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .expect("list the SQLite indexes");
        for index in indexes {
            let origin: String = index.get("origin");
            if origin == "pk" {
                continue;
            }
            let index_name: String = index.get("name");
            let columns: Vec<String> = sqlx::query(
                r#"select name, "desc" from pragma_index_xinfo(?) where key = 1 order by seqno"#,
            )
            .bind(&index_name)
            .fetch_all(&mut conn)
            .await
            .expect("read the SQLite index columns")
            .iter()
            .map(|c| {
                let column = c
                    .get::<Option<String>, _>("name")
                    .unwrap_or_else(|| "(expression)".into());
                match c.get::<i64, _>("desc") {
                    1 => format!("{column} desc"),
                    _ => column,
                }
            })
            .collect();
            let index = Index {
                unique: index.get::<i64, _>("unique") == 1,
                partial: index.get::<i64, _>("partial") == 1,
                columns,
            };
            let key = match origin.as_str() {
                "u" => unique_constraint(&index.columns),
                _ => index_name,
            };
            table.indexes.insert(key, index);
        }

        let references = sqlx::query(
            r#"select id, "table", "from", "to", on_update, on_delete
               from pragma_foreign_key_list(?) order by id, seq"#,
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .expect("read the SQLite foreign keys");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for r in references {
            let key = by_id.entry(r.get("id")).or_insert_with(|| ForeignKey {
                columns: vec![],
                table: r.get("table"),
                // Filled in below when the reference names no columns (the target's key).
                target: vec![],
                on_delete: r.get::<String, _>("on_delete").to_lowercase(),
                on_update: r.get::<String, _>("on_update").to_lowercase(),
            });
            key.columns.push(r.get("from"));
            if let Some(to) = r.get::<Option<String>, _>("to") {
                key.target.push(to);
            }
        }
        table.foreign_keys = by_id.into_values().collect();
        table.checks = sqlite_checks(&sql, &table.columns);
        schema.insert(name, table);
    }

    // A reference without columns means the target's primary key.
    let keys: BTreeMap<String, Vec<String>> = schema
        .iter()
        .map(|(name, t)| (name.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut key| {
                if key.target.is_empty() {
                    key.target = keys.get(&key.table).cloned().unwrap_or_default();
                }
                key
            })
            .collect();
    }
    conn.close().await.expect("close the SQLite database");
    schema
}

fn unique_constraint(columns: &[String]) -> String {
    format!("unique constraint ({})", columns.join(", "))
}

#[derive(Debug)]
enum Token {
    /// A bare word, lower-cased: a keyword or an identifier.
    Word(String),
    /// A quoted identifier, lower-cased as SQLite compares them.
    Quoted(String),
    Punct(char),
    Literal,
}

/// The words of a `create table` statement, without comments and string literals, so
/// that a comment mentioning a `check` is not taken for one.
fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    // The text up to `close`, a doubled `close` standing for itself; `i` moves past it.
    let quoted = |i: &mut usize, close: char| {
        let mut text = String::new();
        *i += 1;
        while *i < chars.len() {
            if chars[*i] == close {
                if chars.get(*i + 1) == Some(&close) {
                    text.push(close);
                    *i += 2;
                    continue;
                }
                *i += 1;
                break;
            }
            text.push(chars[*i]);
            *i += 1;
        }
        text
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            quoted(&mut i, '\'');
            out.push(Token::Literal);
        } else if matches!(c, '"' | '`' | '[') {
            let close = if c == '[' { ']' } else { c };
            out.push(Token::Quoted(quoted(&mut i, close).to_lowercase()));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Token::Word(word.to_lowercase()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// The columns each `check (...)` of a table reads.
fn sqlite_checks(sql: &[Token], columns: &BTreeMap<String, Column>) -> BTreeSet<BTreeSet<String>> {
    let mut checks = BTreeSet::new();
    for (at, token) in sql.iter().enumerate() {
        if !matches!(token, Token::Word(w) if w == "check")
            || !matches!(sql.get(at + 1), Some(Token::Punct('(')))
        {
            continue;
        }
        let mut depth = 0;
        let mut read = BTreeSet::new();
        for t in &sql[at + 1..] {
            match t {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::Word(w) | Token::Quoted(w) => {
                    if let Some(name) = columns.keys().find(|c| c.eq_ignore_ascii_case(w)) {
                        read.insert(name.clone());
                    }
                }
                _ => {}
            }
        }
        checks.insert(read);
    }
    checks
}

// ---- PostgreSQL ----

/// Migrates a new PostgreSQL database as the server does, and reads its catalogue.
async fn postgres_schema(url: &str) -> Schema {
    let db = domain::platform::connect(url)
        .await
        .expect("migrate a new PostgreSQL database");
    db.pool.close().await;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");

    let mut schema: Schema = sqlx::query_scalar::<_, String>(
        "select table_name::text from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE'
           and table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list the PostgreSQL tables")
    .into_iter()
    .map(|name| (name, Table::default()))
    .collect();

    let columns = sqlx::query(
        "select table_name::text, column_name::text, data_type::text,
                is_nullable = 'YES' as nullable, column_default::text,
                is_identity = 'YES' as identity
         from information_schema.columns where table_schema = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the PostgreSQL columns");
    for c in columns {
        let Some(table) = schema.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let data_type: String = c.get("data_type");
        let default: Option<String> = c.get("column_default");
        // A serial column is generated through its sequence's default.
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        table.columns.insert(
            c.get("column_name"),
            Column {
                family: family(postgres_family(&data_type), &data_type),
                not_null: !c.get::<bool, _>("nullable"),
                default: default.filter(|_| !serial).map(|d| normalise_default(&d)),
                generated: c.get::<bool, _>("identity") || serial,
            },
        );
    }

    let indexes = sqlx::query(
        "select t.relname::text as table_name, c.relname::text as index_name,
                i.indisprimary as primary_key, i.indisunique as unique,
                i.indpred is not null as partial,
                array(select case when k.attnum = 0 then '(expression)' else a.attname::text end
                             || case when k.option & 1 = 1 then ' desc' else '' end
                      from unnest(i.indkey::int2[], i.indoption::int2[])
                           with ordinality as k(attnum, option, n)
                      left join pg_attribute as a
                             on a.attrelid = i.indrelid and a.attnum = k.attnum
                      where k.n <= i.indnkeyatts order by k.n) as columns,
                exists (select 1 from pg_constraint as u
                        where u.conindid = i.indexrelid and u.contype = 'u') as constraint
         from pg_index as i
         join pg_class as c on c.oid = i.indexrelid
         join pg_class as t on t.oid = i.indrelid
         join pg_namespace as n on n.oid = t.relnamespace
         where n.nspname = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the PostgreSQL indexes");
    for index in indexes {
        let Some(table) = schema.get_mut(&index.get::<String, _>("table_name")) else {
            continue;
        };
        let columns: Vec<String> = index.get("columns");
        if index.get("primary_key") {
            table.primary_key = columns;
            continue;
        }
        let key = if index.get("constraint") {
            unique_constraint(&columns)
        } else {
            index.get("index_name")
        };
        table.indexes.insert(
            key,
            Index {
                unique: index.get("unique"),
                partial: index.get("partial"),
                columns,
            },
        );
    }

    let constraints = sqlx::query(
        "select t.relname::text as table_name, c.contype::text as kind,
                coalesce(f.relname::text, '') as target_table,
                array(select a.attname::text
                      from unnest(c.conkey) with ordinality as k(attnum, n)
                      join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum
                      order by k.n) as columns,
                array(select a.attname::text
                      from unnest(c.confkey) with ordinality as k(attnum, n)
                      join pg_attribute as a on a.attrelid = c.confrelid and a.attnum = k.attnum
                      order by k.n) as target,
                c.confdeltype::text as on_delete, c.confupdtype::text as on_update
         from pg_constraint as c
         join pg_class as t on t.oid = c.conrelid
         join pg_namespace as n on n.oid = t.relnamespace
         left join pg_class as f on f.oid = c.confrelid
         where n.nspname = current_schema() and c.contype in ('f', 'c')",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the PostgreSQL constraints");
    for c in constraints {
        let Some(table) = schema.get_mut(&c.get::<String, _>("table_name")) else {
            continue;
        };
        let columns: Vec<String> = c.get("columns");
        if c.get::<String, _>("kind") == "c" {
            table.checks.insert(columns.into_iter().collect());
            continue;
        }
        table.foreign_keys.insert(ForeignKey {
            columns,
            table: c.get("target_table"),
            target: c.get("target"),
            on_delete: postgres_action(&c.get::<String, _>("on_delete")),
            on_update: postgres_action(&c.get::<String, _>("on_update")),
        });
    }
    conn.close().await.expect("close the PostgreSQL connection");
    schema
}

/// `pg_constraint`'s one-letter referential actions, spelled as SQLite reports them.
fn postgres_action(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_owned()
}

// ---- Checking and comparing ----

/// What one backend's schema gets wrong by itself: types the map does not know, and
/// references SQLite accepts but PostgreSQL refuses (to a missing table, or to columns
/// that are neither its primary key nor unique).
#[track_caller]
fn assert_sound(schema: &Schema, backend: &str) {
    let mut problems = vec![];
    for (name, table) in schema {
        for (column, c) in &table.columns {
            if c.family.starts_with("unknown") {
                problems.push(format!("{name}.{column}: {}", c.family));
            }
        }
        for key in &table.foreign_keys {
            let Some(target) = schema.get(&key.table) else {
                problems.push(format!("{name} {key}: no table {}", key.table));
                continue;
            };
            let unique = target.primary_key == key.target
                || target
                    .indexes
                    .values()
                    .any(|i| i.unique && !i.partial && i.columns == key.target);
            if !unique {
                problems.push(format!(
                    "{name} {key}: the target is not the primary key of {} nor unique",
                    key.table
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the {backend} schema has problems:\n  - {}",
        problems.join("\n  - ")
    );
}

fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = vec![];
    for name in sqlite
        .keys()
        .chain(postgres.keys())
        .collect::<BTreeSet<_>>()
    {
        let (s, p) = match (sqlite.get(name), postgres.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (Some(t), None) => {
                out.push(format!(
                    "table {name} ({}): only in SQLite",
                    t.column_list()
                ));
                continue;
            }
            (None, Some(t)) => {
                out.push(format!(
                    "table {name} ({}): only in PostgreSQL",
                    t.column_list()
                ));
                continue;
            }
            (None, None) => unreachable!(),
        };
        compare(&mut out, &s.columns, &p.columns, |c| format!("{name}.{c}"));
        if s.primary_key != p.primary_key {
            out.push(format!(
                "{name} primary key: SQLite ({}), PostgreSQL ({})",
                s.primary_key.join(", "),
                p.primary_key.join(", ")
            ));
        }
        compare(&mut out, &s.indexes, &p.indexes, |i| {
            format!("{name} index {i}")
        });
        for key in s.foreign_keys.difference(&p.foreign_keys) {
            out.push(format!("{name} {key}: only in SQLite"));
        }
        for key in p.foreign_keys.difference(&s.foreign_keys) {
            out.push(format!("{name} {key}: only in PostgreSQL"));
        }
        if s.checks != p.checks {
            let list = |checks: &BTreeSet<BTreeSet<String>>| {
                let each: Vec<String> = checks
                    .iter()
                    .map(|c| format!("({})", Vec::from_iter(c.iter().cloned()).join(", ")))
                    .collect();
                format!("[{}]", each.join(", "))
            };
            out.push(format!(
                "{name} check constraints, by the columns they read: SQLite {}, PostgreSQL {}",
                list(&s.checks),
                list(&p.checks)
            ));
        }
    }
    out
}

/// Adds a line for each entry only one side has or the sides describe differently.
fn compare<V: PartialEq + fmt::Display>(
    out: &mut Vec<String>,
    sqlite: &BTreeMap<String, V>,
    postgres: &BTreeMap<String, V>,
    what: impl Fn(&str) -> String,
) {
    for key in sqlite
        .keys()
        .chain(postgres.keys())
        .collect::<BTreeSet<_>>()
    {
        match (sqlite.get(key), postgres.get(key)) {
            (Some(s), Some(p)) if s != p => {
                out.push(format!("{}: SQLite has {s}, PostgreSQL has {p}", what(key)))
            }
            (Some(s), None) => out.push(format!("{} ({s}): only in SQLite", what(key))),
            (None, Some(p)) => out.push(format!("{} ({p}): only in PostgreSQL", what(key))),
            _ => {}
        }
    }
}

trait Summary {
    fn summary(&self) -> String;
}

impl Summary for Schema {
    fn summary(&self) -> String {
        let count = |f: fn(&Table) -> usize| self.values().map(f).sum::<usize>();
        format!(
            "{} tables, {} columns, {} indexes, {} foreign keys, {} checks",
            self.len(),
            count(|t| t.columns.len()),
            count(|t| t.indexes.len()),
            count(|t| t.foreign_keys.len()),
            count(|t| t.checks.len()),
        )
    }
}

impl Table {
    fn column_list(&self) -> String {
        self.columns.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.family)?;
        f.write_str(if self.not_null { " not null" } else { " null" })?;
        if let Some(default) = &self.default {
            write!(f, " default {default}")?;
        }
        if self.generated {
            f.write_str(" generated")?;
        }
        Ok(())
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unique {
            f.write_str("unique ")?;
        }
        write!(f, "({})", self.columns.join(", "))?;
        if self.partial {
            f.write_str(" partial")?;
        }
        Ok(())
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "foreign key ({}) references {} ({}) on delete {} on update {}",
            self.columns.join(", "),
            self.table,
            self.target.join(", "),
            self.on_delete,
            self.on_update
        )
    }
}

#[test]
fn defaults_read_alike_from_both_catalogues() {
    assert_eq!(normalise_default("''::text"), "''");
    assert_eq!(normalise_default("'other'::text"), "'other'");
    assert_eq!(normalise_default("'-1'::integer"), "-1");
    assert_eq!(normalise_default("'a'::character varying"), "'a'");
    assert_eq!(normalise_default("(0)"), "0");
    assert_eq!(normalise_default("(1) + (2)"), "(1) + (2)");
}
