//! Write transactions: every change the store makes goes through a `Write`,
//! which inserts rows (one, or many in multi-row statements) and records
//! the change in the audit log before it commits, so a change and its audit
//! row land together or not at all.

use chrono::{DateTime, Utc};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Transaction};

use crate::audit::AuditChange;
use crate::error::{Doing, Error, Result};
use crate::rows::Columns;
use crate::{Backend, Store};

/// A value bound into an insert.
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// A text value.
pub(crate) fn text(value: impl ToString) -> Value {
    Value::Text(Some(value.to_string()))
}

/// An optional text value.
pub(crate) fn opt_text<T: ToString>(value: &Option<T>) -> Value {
    Value::Text(value.as_ref().map(ToString::to_string))
}

/// An integer value.
pub(crate) fn int(value: i64) -> Value {
    Value::Int(Some(value))
}

/// A count, refused when too large for the database's 64-bit integers.
pub(crate) fn count(value: u64) -> Result<Value> {
    i64::try_from(value)
        .map(int)
        .map_err(|_| Error::Invalid(format!("the count {value} is too large to store")))
}

/// A write transaction on behalf of `actor` at `at`.
pub(crate) struct Write<'a> {
    tx: Transaction<'static, Any>,
    backend: Backend,
    pub(crate) at: DateTime<Utc>,
    pub(crate) actor: &'a str,
}

impl Store {
    /// Begins a write transaction. On SQLite it takes the write lock first
    /// (`BEGIN IMMEDIATE`), waiting for another writer up to the busy
    /// timeout: a deferred transaction that reads and then writes cannot
    /// wait for the lock, and fails at once when another process holds it.
    /// On PostgreSQL rows are locked as they are written (and by `lock`).
    pub(crate) async fn write<'a>(&self, at: DateTime<Utc>, actor: &'a str) -> Result<Write<'a>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .doing("starting a write transaction")?;
        Ok(Write {
            tx,
            backend: self.backend,
            at,
            actor,
        })
    }
}

impl Write<'_> {
    /// The connection, for queries inside the transaction.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// When the change is made, as stored (RFC 3339).
    pub(crate) fn at_text(&self) -> String {
        self.at.to_rfc3339()
    }

    /// Takes a named lock until the transaction ends, so that writers of
    /// the same thing (one census, one user name) go one at a time on
    /// PostgreSQL too; a later statement then sees what the one before
    /// committed. Lock names in one transaction are taken in a fixed order
    /// by each caller, so two transactions never wait for each other.
    pub(crate) async fn lock(&mut self, name: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO write_lock (name, taken) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET taken = write_lock.taken + 1",
        )
        .bind(name)
        .execute(&mut *self.tx)
        .await
        .doing(format!("taking the lock {name:?}"))?;
        Ok(())
    }

    /// `n` ids for new rows of `table`, which no other writer can be given:
    /// on SQLite past the table's highest id and its AUTOINCREMENT counter
    /// (this transaction holds the write lock, and inserting them moves the
    /// counter on); on PostgreSQL drawn from the table's identity sequence,
    /// which is shared safely with concurrent writers. For a bulk insert
    /// whose rows must be known by id afterwards.
    pub(crate) async fn reserve_ids(&mut self, table: &'static str, n: usize) -> Result<Vec<i64>> {
        let count = i64::try_from(n)
            .map_err(|_| Error::Invalid(format!("{n} ids are too many to reserve")))?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let doing = || format!("reserving ids for {table}");
        match self.backend {
            Backend::Sqlite => {
                let sql = format!(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = $1), 0), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0)) AS last"
                );
                let query = sqlx::query(&sql).bind(table);
                let row = query.fetch_one(&mut *self.tx).await.doing(doing())?;
                let last: i64 = Columns::new(&row, table).int("last")?;
                Ok((1..=count).map(|i| last + i).collect())
            }
            Backend::Postgres => {
                let query = sqlx::query(
                    "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id \
                     FROM generate_series(1, $2)",
                )
                .bind(table)
                .bind(count);
                let rows = query.fetch_all(&mut *self.tx).await.doing(doing())?;
                rows.iter()
                    .map(|r| Columns::new(r, table).int("id"))
                    .collect()
            }
        }
    }

    /// Inserts one row; returns the id the database gave it.
    pub(crate) async fn insert(
        &mut self,
        table: &'static str,
        columns: &str,
        values: Vec<Value>,
    ) -> Result<i64> {
        let rows = self
            .insert_returning(table, columns, vec![values], "id")
            .await?;
        match rows.first() {
            Some(row) => Columns::new(row, table).int("id"),
            None => Err(Error::NotFound(format!("the id of the new {table} row"))),
        }
    }

    /// Inserts rows and returns the `returning` columns of each (in no
    /// particular order: neither engine promises one).
    pub(crate) async fn insert_returning(
        &mut self,
        table: &str,
        columns: &str,
        rows: Vec<Vec<Value>>,
        returning: &str,
    ) -> Result<Vec<AnyRow>> {
        let columns = &column_list(columns);
        let mut out = Vec::with_capacity(rows.len());
        for chunk in chunks(columns, rows) {
            let sql = insert_sql(self.backend, table, columns, &chunk)? + " RETURNING " + returning;
            let mut query = sqlx::query(&sql);
            for value in chunk.into_iter().flatten() {
                query = bind(query, value);
            }
            out.extend(
                query
                    .fetch_all(&mut *self.tx)
                    .await
                    .doing(format!("writing {table}"))?,
            );
        }
        Ok(out)
    }

    /// Inserts rows in multi-row statements. SQLite gets anonymous `?`
    /// placeholders: binding numbered ones makes SQLite look each name up in
    /// a list, which is quadratic in a statement this long.
    pub(crate) async fn insert_rows(
        &mut self,
        table: &str,
        columns: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<()> {
        let columns = &column_list(columns);
        for chunk in chunks(columns, rows) {
            let sql = insert_sql(self.backend, table, columns, &chunk)?;
            let mut query = sqlx::query(&sql);
            for value in chunk.into_iter().flatten() {
                query = bind(query, value);
            }
            query
                .execute(&mut *self.tx)
                .await
                .doing(format!("writing {table}"))?;
        }
        Ok(())
    }

    /// Inserts the facts of an import, each row led by the import's id.
    pub(crate) async fn insert_facts<T>(
        &mut self,
        import_id: i64,
        table: &str,
        columns: &str,
        facts: &[T],
        row: impl Fn(&T) -> Result<Vec<Value>>,
    ) -> Result<()> {
        let mut rows = Vec::with_capacity(facts.len());
        for fact in facts {
            let mut values = vec![int(import_id)];
            values.extend(row(fact)?);
            rows.push(values);
        }
        self.insert_rows(table, &format!("import_id, {columns}"), rows)
            .await
    }

    /// Whether statements may go to the database as one batch (SQLite: a
    /// round trip to its thread each, which is most of a small edit's time).
    pub(crate) fn batches(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    /// Runs statements separated by `;` with their values in order, in one
    /// round trip (SQLite only: see [`Write::batches`]).
    pub(crate) async fn execute_batch(
        &mut self,
        sql: &str,
        values: Vec<Value>,
        what: &str,
    ) -> Result<()> {
        let mut query = sqlx::query(sql);
        for value in values {
            query = bind(query, value);
        }
        query
            .fetch_all(&mut *self.tx)
            .await
            .doing(what.to_string())?;
        Ok(())
    }

    /// Records the change in the audit log.
    pub(crate) async fn audit(&mut self, change: AuditChange) -> Result<()> {
        let row = self.audit_row(change);
        self.insert("audit_log", AUDIT_COLUMNS, row).await?;
        Ok(())
    }

    /// The values of `AUDIT_COLUMNS` for a change made in this transaction.
    fn audit_row(&self, change: AuditChange) -> Vec<Value> {
        audit_values(&self.at_text(), self.actor, change)
    }

    /// Inserts a row, the rows that refer to it (`Child::parent_column`
    /// holds its id) and the change's audit row, whose key is
    /// `change.entity_key` followed by the new id; returns the id.
    ///
    /// On SQLite the three go to the database as one batch of statements,
    /// one round trip instead of one each (a small edit's latency is its
    /// round trips to SQLite's thread): the new id is the table's largest,
    /// since this transaction holds the write lock and an `INTEGER PRIMARY
    /// KEY` only grows. On PostgreSQL they are sent one by one, the id
    /// taken from `RETURNING`.
    pub(crate) async fn insert_with_children(
        &mut self,
        parent: Insert,
        children: Vec<Child>,
        change: AuditChange,
    ) -> Result<i64> {
        if self.backend == Backend::Postgres {
            let id = self
                .insert(parent.table, parent.columns, parent.values)
                .await?;
            for child in children {
                let mut values = child.row.values;
                values[child.parent_column] = int(id);
                self.insert(child.row.table, child.row.columns, values)
                    .await?;
            }
            let key = format!("{}{id}", change.entity_key);
            self.audit(AuditChange {
                entity_key: key,
                ..change
            })
            .await?;
            return Ok(id);
        }
        let what = format!("writing {}", parent.table);
        let batch = Batch::with_children(parent, children, self.audit_row(change));
        let mut query = sqlx::query(&batch.sql);
        for value in batch.values {
            query = bind(query, value);
        }
        let rows = query.fetch_all(&mut *self.tx).await.doing(what)?;
        new_id(&rows)
    }

    /// Commits the change and its audit rows.
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await.doing("committing a change")
    }
}

/// The columns of the audit log, and where the key is among them.
const AUDIT_COLUMNS: &str =
    "at, actor, action, entity, entity_key, before_value, after_value, detail";
const AUDIT_KEY: usize = 4;

/// One row to insert: its table, columns and values.
pub(crate) struct Insert {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static str,
    pub(crate) values: Vec<Value>,
}

/// A row that refers to a row inserted before it in the same call: the
/// value at `parent_column` is replaced by that row's id.
pub(crate) struct Child {
    pub(crate) row: Insert,
    pub(crate) parent_column: usize,
}

/// The values of `AUDIT_COLUMNS` for a change made at `at` by `actor`.
fn audit_values(at: &str, actor: &str, change: AuditChange) -> Vec<Value> {
    vec![
        text(at),
        text(actor),
        text(change.action),
        text(change.entity),
        text(change.entity_key),
        Value::Text(change.before_value),
        Value::Text(change.after_value),
        Value::Text(change.detail),
    ]
}

/// The id a batch of [`Batch::with_children`] ends with.
fn new_id(rows: &[AnyRow]) -> Result<i64> {
    match rows.last() {
        Some(row) => Columns::new(row, "the new row").int("id"),
        None => Err(Error::NotFound("the id of the new row".into())),
    }
}

/// Statements sent to SQLite in one go, with their values in order.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) sql: String,
    pub(crate) values: Vec<Value>,
}

impl Batch {
    /// A row, the rows that refer to it and the audit row of the change
    /// (`audit`, whose key gets the new id appended), ending with a
    /// `SELECT` of the new id: the table's largest, since the batch runs
    /// under the write lock and an `INTEGER PRIMARY KEY` only grows.
    fn with_children(parent: Insert, children: Vec<Child>, audit: Vec<Value>) -> Batch {
        let new_id = format!("(SELECT MAX(id) FROM {})", parent.table);
        let mut batch = Batch::default();
        batch.insert(parent, None);
        for child in children {
            batch.insert(child.row, Some((child.parent_column, new_id.clone())));
        }
        // The audit key's text is bound and the id appended in SQL.
        let audit = Insert {
            table: "audit_log",
            columns: AUDIT_COLUMNS,
            values: audit,
        };
        batch.insert(audit, Some((AUDIT_KEY, format!("? || {new_id}"))));
        batch.sql.push_str(&format!("SELECT {new_id} AS id;\n"));
        batch
    }

    /// Adds an insert; `computed` puts an SQL expression in place of one
    /// column's placeholder (its value is bound when the expression has a
    /// `?`, else dropped).
    fn insert(&mut self, row: Insert, computed: Option<(usize, String)>) {
        let columns = column_list(row.columns).join(", ");
        self.sql
            .push_str(&format!("INSERT INTO {} ({columns}) VALUES (", row.table));
        for (i, value) in row.values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            match &computed {
                Some((at, expr)) if *at == i => {
                    self.sql.push_str(expr);
                    if expr.contains('?') {
                        self.values.push(value);
                    }
                }
                _ => {
                    self.sql.push('?');
                    self.values.push(value);
                }
            }
        }
        self.sql.push_str(");\n");
    }
}

/// The names in a comma-separated column list.
fn column_list(columns: &str) -> Vec<&str> {
    columns.split(',').map(str::trim).collect()
}

/// Rows in chunks small enough for one statement each: both engines limit
/// the bound parameters of a statement (SQLite 32,766; PostgreSQL 65,535).
fn chunks(columns: &[&str], rows: Vec<Vec<Value>>) -> Vec<Vec<Vec<Value>>> {
    const MAX_PARAMETERS: usize = 30_000;
    let per_statement = (MAX_PARAMETERS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::new();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(per_statement).collect());
    }
    out
}

fn bind<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    value: Value,
) -> Query<'q, Any, AnyArguments<'q>> {
    match value {
        Value::Int(v) => query.bind(v),
        Value::Text(v) => query.bind(v),
        Value::Bytes(v) => query.bind(v),
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for a chunk of rows.
fn insert_sql(
    backend: Backend,
    table: &str,
    columns: &[&str],
    chunk: &[Vec<Value>],
) -> Result<String> {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for (i, row) in chunk.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(Error::Invalid(format!(
                "internal error: {} values for {} columns of {table}",
                row.len(),
                columns.len()
            )));
        }
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..row.len() {
            n += 1;
            if j > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    Ok(sql)
}

impl Store {
    /// Runs a read on a connection of the pool and maps each row of `table`.
    pub(crate) async fn fetch<'q, T>(
        &self,
        query: Query<'q, Any, AnyArguments<'q>>,
        table: &'static str,
        map: impl Fn(&Columns) -> Result<T>,
    ) -> Result<Vec<T>> {
        fetch_mapped(&mut *self.pool.acquire().await?, query, table, map).await
    }
}

/// Runs a query and maps each row of `table` with `map`.
pub(crate) async fn fetch_mapped<'q, T>(
    conn: &mut AnyConnection,
    query: Query<'q, Any, AnyArguments<'q>>,
    table: &'static str,
    map: impl Fn(&Columns) -> Result<T>,
) -> Result<Vec<T>> {
    let rows: Vec<AnyRow> = query
        .fetch_all(conn)
        .await
        .doing(format!("reading {table}"))?;
    rows.iter()
        .map(|row| map(&Columns::new(row, table)))
        .collect()
}

/// A connection inside a one-round-trip change ([`Store::one_shot`]) until
/// the change has finished. Dropped before then (its request was
/// dropped), it sends `ROLLBACK` on a task of its own before the connection
/// goes back to the pool, or closes the connection when there is no
/// runtime to send it on or the rollback fails.
struct Unfinished(Option<sqlx::pool::PoolConnection<Any>>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        let Some(mut conn) = self.0.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    // An error here is "no transaction is active" when the
                    // change had committed; a closed connection costs only
                    // a reconnection.
                    if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                        conn.close_on_drop();
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl Store {
    /// Whether a small change may go to the database in one round trip
    /// ([`Store::one_shot`]): SQLite, where each round trip to its thread is
    /// most of such a change's time.
    pub(crate) fn one_shot_writes(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    /// Runs `batch` as one transaction in one round trip to SQLite:
    /// `BEGIN IMMEDIATE` (waiting for another writer up to the busy
    /// timeout), its statements, `COMMIT`. On a failure the transaction is
    /// rolled back, and a connection that cannot roll back is closed rather
    /// than returned to the pool. It runs in the caller's task (a task of
    /// its own would wait its turn behind every request being served); if
    /// the caller is dropped part way, [`Unfinished`] rolls the connection
    /// back before it goes back to the pool. Returns the rows the
    /// statements gave.
    pub(crate) async fn one_shot(&self, batch: Batch, what: String) -> Result<Vec<AnyRow>> {
        let sql = format!("BEGIN IMMEDIATE;\n{}COMMIT;\n", batch.sql);
        let mut open = Unfinished(None);
        let conn = open
            .0
            .insert(self.pool.acquire().await.doing("opening a connection")?);
        let mut query = sqlx::query(&sql);
        for value in batch.values {
            query = bind(query, value);
        }
        let result = query.fetch_all(&mut **conn).await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
            conn.close_on_drop();
        }
        // Finished: the connection goes back to the pool as it is.
        drop(open.0.take());
        result.doing(what)
    }

    /// Inserts one row and the change's audit row as one transaction, in
    /// one round trip on SQLite ([`Store::one_shot`]), else in a write
    /// transaction. `row` gives the values of `columns` of a change made at
    /// `at` (its text is `at.to_rfc3339()`).
    pub(crate) async fn insert_audited(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        row: Insert,
        change: AuditChange,
    ) -> Result<()> {
        let what = format!("writing a row of {}", row.table);
        if self.one_shot_writes() {
            let mut batch = Batch::default();
            batch.insert(row, None);
            let audit = Insert {
                table: "audit_log",
                columns: AUDIT_COLUMNS,
                values: audit_values(&at.to_rfc3339(), actor, change),
            };
            batch.insert(audit, None);
            self.one_shot(batch, what).await?;
            return Ok(());
        }
        let mut w = self.write(at, actor).await?;
        w.insert_rows(row.table, row.columns, vec![row.values])
            .await?;
        w.audit(change).await?;
        w.commit().await
    }

    /// Inserts a row, the rows that refer to it and the change's audit row
    /// (its key followed by the new id) in one round trip on SQLite, else
    /// in a write transaction ([`Write::insert_with_children`]); returns the id.
    pub(crate) async fn insert_with_children(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        parent: Insert,
        children: Vec<Child>,
        change: AuditChange,
    ) -> Result<i64> {
        if self.one_shot_writes() {
            let what = format!("writing {}", parent.table);
            let audit = audit_values(&at.to_rfc3339(), actor, change);
            let rows = self
                .one_shot(Batch::with_children(parent, children, audit), what)
                .await?;
            return new_id(&rows);
        }
        let mut w = self.write(at, actor).await?;
        let id = w.insert_with_children(parent, children, change).await?;
        w.commit().await?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store in a new SQLite file, and the folder that holds it.
    async fn sqlite() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite").display().to_string();
        let store = Store::open(&path).await.unwrap();
        (dir, store)
    }

    /// How many `write_lock` rows have a name `LIKE` the pattern.
    async fn named(store: &Store, like: &str) -> i64 {
        sqlx::query("SELECT COUNT(*) AS n FROM write_lock WHERE name LIKE $1")
            .bind(like.to_string())
            .fetch_one(&store.pool)
            .await
            .map(|row| Columns::new(&row, "write_lock").int("n").unwrap())
            .unwrap()
    }

    /// A one-round-trip change that fails part way leaves nothing written,
    /// and every pooled connection fit for the next change (none left inside
    /// the transaction).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_one_shot_change_that_fails_writes_nothing_and_frees_its_connection() {
        let (_dir, store) = sqlite().await;
        assert!(store.one_shot_writes());
        let batch = |name: &str, then: &str| Batch {
            sql: format!("INSERT INTO write_lock (name, taken) VALUES (?, 1);\n{then}"),
            values: vec![text(name)],
        };
        // More failures than the pool has connections: a connection left
        // inside its transaction would make a later BEGIN fail.
        for _ in 0..12 {
            let Err(err) = store
                .one_shot(
                    batch("failed", "INSERT INTO no_such_table VALUES (1);\n"),
                    "a change that fails".into(),
                )
                .await
            else {
                panic!("a change naming no table was written");
            };
            assert!(err.to_string().contains("a change that fails"), "{err}");
        }
        assert_eq!(named(&store, "failed").await, 0);
        for i in 0..12 {
            store
                .one_shot(batch(&format!("ok-{i}"), ""), "a change".into())
                .await
                .unwrap();
        }
        assert_eq!(named(&store, "ok-11").await, 1);
    }

    /// A checkpoint (the server's, every few seconds) moves every page the
    /// log holds into the database file, on a connection of its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_checkpoint_moves_the_log_into_the_file() {
        let (_dir, store) = sqlite().await;
        for i in 0..20 {
            let batch = Batch {
                sql: "INSERT INTO write_lock (name, taken) VALUES (?, 1);\n".into(),
                values: vec![text(format!("row-{i}"))],
            };
            store.one_shot(batch, "a change".into()).await.unwrap();
        }
        let (log, moved) = store.checkpoint().await.unwrap().unwrap();
        assert!(log > 0, "20 changes left nothing in the log");
        assert_eq!(moved, log);
        assert_eq!(named(&store, "row-%").await, 20);
    }

    /// A one-round-trip change whose request is dropped part way (polled
    /// once, the statements sent, then dropped) is written whole or not at
    /// all, and leaves its connection fit for the next change.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_one_shot_change_dropped_part_way_leaves_its_connection_fit() {
        use std::future::Future;
        let (_dir, store) = sqlite().await;
        let batch = |name: String| Batch {
            sql: "INSERT INTO write_lock (name, taken) VALUES (?, 1);\n\
                  INSERT INTO write_lock (name, taken) VALUES (? || '-2', 1);\n"
                .into(),
            values: vec![text(&name), text(&name)],
        };
        for i in 0..40 {
            // Dropped after one, two, ... turns of the runtime: at every
            // point of the change, from waiting for the connection to
            // waiting for SQLite's answer.
            let mut change = Box::pin(store.one_shot(batch(format!("dropped-{i}")), "a".into()));
            let mut polls = 0;
            for _ in 0..=(i % 8) {
                let ready = std::future::poll_fn(|cx| {
                    std::task::Poll::Ready(change.as_mut().poll(cx).is_ready())
                })
                .await;
                if ready {
                    break;
                }
                polls += 1;
                tokio::task::yield_now().await;
            }
            drop(change);
            store
                .one_shot(batch(format!("after-{i}")), "the next change".into())
                .await
                .unwrap_or_else(|e| panic!("the change after one dropped ({polls} polls): {e}"));
            assert_eq!(named(&store, &format!("after-{i}%")).await, 2);
            let dropped = named(&store, &format!("dropped-{i}%")).await;
            assert!(
                dropped == 0 || dropped == 2,
                "half a change written: {dropped}"
            );
        }
    }
}
