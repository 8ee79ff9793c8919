//! The centre's PostgreSQL database: every office's events (unique per office and event id),
//! its tickets as last shipped, its ratings, the offices' latest state, the leaders' accounts,
//! and the messages skipped as malformed or foreign.

use chrono::{DateTime, NaiveDate, Utc};
use motcua::centre::{OfficeState, Shipped};
use motcua::report::Figures;
use motcua::store::ReportRow;
use tokio_postgres::{Client, NoTls};

/// The schema; every statement is idempotent.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS event (
    office     TEXT    NOT NULL,
    id         BIGINT  NOT NULL,
    at         BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    ticket_id  BIGINT  NOT NULL,
    counter    INTEGER,
    officer    TEXT,
    data       TEXT    NOT NULL,
    stream_seq BIGINT  NOT NULL,
    PRIMARY KEY (office, id)
);
CREATE TABLE IF NOT EXISTS ticket (
    office        TEXT    NOT NULL,
    id            BIGINT  NOT NULL,
    service       TEXT    NOT NULL,
    number        TEXT    NOT NULL,
    priority      TEXT,
    business_date DATE    NOT NULL,
    status        TEXT    NOT NULL,
    queue_at      BIGINT  NOT NULL,
    issued_at     BIGINT  NOT NULL,
    called_at     BIGINT,
    started_at    BIGINT,
    finished_at   BIGINT,
    counter       INTEGER,
    recalls       INTEGER NOT NULL,
    target_wait_s INTEGER NOT NULL,
    last_event    BIGINT  NOT NULL,
    PRIMARY KEY (office, id)
);
CREATE INDEX IF NOT EXISTS ticket_day ON ticket (business_date, office);
CREATE TABLE IF NOT EXISTS rating (
    office    TEXT     NOT NULL,
    ticket_id BIGINT   NOT NULL,
    score     SMALLINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    reason    TEXT,
    at        BIGINT   NOT NULL,
    counter   INTEGER,
    PRIMARY KEY (office, ticket_id)
);
CREATE TABLE IF NOT EXISTS office_state (
    office      TEXT        PRIMARY KEY,
    state       TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS leader (
    login         TEXT        PRIMARY KEY,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('province', 'office')),
    offices       TEXT[]      NOT NULL DEFAULT '{}',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS skipped (
    id         BIGSERIAL   PRIMARY KEY,
    stream_seq BIGINT      NOT NULL,
    subject    TEXT        NOT NULL,
    reason     TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#;

/// Connects and makes sure the schema is there; the connection runs on a task of its own.
pub async fn connect(conn: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(conn, NoTls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL ({conn}): {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "PostgreSQL connection lost");
        }
    });
    client.batch_execute(SCHEMA).await?;
    Ok(client)
}

/// One message taken off the stream.
pub struct Incoming {
    /// Its stream sequence.
    pub seq: u64,
    /// Its subject.
    pub subject: String,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// What [`store_batch`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Events new to the centre.
    pub events: u64,
    /// Events it had already (a redelivery).
    pub duplicates: u64,
    /// Ratings new to the centre.
    pub ratings: u64,
    /// Messages skipped as malformed or foreign.
    pub skipped: u64,
}

/// Why a message is skipped, or the message.
fn check(m: &Incoming, known: &(dyn Fn(&str) -> bool + Sync)) -> Result<Shipped, String> {
    let Some(office) = motcua::centre::office_of_subject(&m.subject) else {
        return Err(format!("not an office's events subject: {}", m.subject));
    };
    if !known(office) {
        return Err(format!("office '{office}' is not in the centre's config"));
    }
    let shipped: Shipped = serde_json::from_slice(&m.payload)
        .map_err(|e| format!("malformed message from '{office}': {e}"))?;
    if shipped.office() != office {
        return Err(format!(
            "message for office '{}' on office '{office}'s subject",
            shipped.office()
        ));
    }
    match &shipped {
        Shipped::Event(e) if e.id < 1 || e.ticket.id < 1 => Err(format!(
            "event from '{office}' with id {} (ticket {})",
            e.id, e.ticket.id
        )),
        Shipped::Rating(r) if !(1..=5).contains(&r.score) => {
            Err(format!("rating from '{office}' with score {}", r.score))
        }
        _ => Ok(shipped),
    }
}

/// Writes a batch in one transaction: events once each (the (office, id) pair is unique), the
/// ticket as its newest event shipped it, ratings once per ticket; what does not check out goes
/// to `skipped` with its reason. The caller acknowledges the batch only after this returns.
pub async fn store_batch(
    pg: &mut Client,
    batch: &[Incoming],
    known: &(dyn Fn(&str) -> bool + Sync),
) -> anyhow::Result<Stored> {
    let tx = pg.transaction().await?;
    let ins_event = tx
        .prepare(
            "INSERT INTO event (office, id, at, kind, ticket_id, counter, officer, data, stream_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (office, id) DO NOTHING",
        )
        .await?;
    let up_ticket = tx
        .prepare(
            "INSERT INTO ticket (office, id, service, number, priority, business_date, status, \
             queue_at, issued_at, called_at, started_at, finished_at, counter, recalls, \
             target_wait_s, last_event) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (office, id) DO UPDATE SET service = excluded.service, \
             status = excluded.status, called_at = excluded.called_at, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             counter = excluded.counter, recalls = excluded.recalls, \
             target_wait_s = excluded.target_wait_s, queue_at = excluded.queue_at, \
             last_event = excluded.last_event WHERE ticket.last_event < excluded.last_event",
        )
        .await?;
    let ins_rating = tx
        .prepare(
            "INSERT INTO rating (office, ticket_id, score, reason, at, counter) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (office, ticket_id) DO NOTHING",
        )
        .await?;
    let ins_skipped = tx
        .prepare("INSERT INTO skipped (stream_seq, subject, reason) VALUES ($1, $2, $3)")
        .await?;
    let mut stored = Stored::default();
    for m in batch {
        match check(m, known) {
            Err(reason) => {
                tracing::warn!(seq = m.seq, subject = %m.subject, %reason, "message skipped");
                tx.execute(&ins_skipped, &[&(m.seq as i64), &m.subject, &reason])
                    .await?;
                stored.skipped += 1;
            }
            Ok(Shipped::Event(e)) => {
                let counter = e.counter.map(|c| c as i32);
                let n = tx
                    .execute(
                        &ins_event,
                        &[
                            &e.office,
                            &e.id,
                            &e.at,
                            &e.kind,
                            &e.ticket.id,
                            &counter,
                            &e.officer,
                            &e.data,
                            &(m.seq as i64),
                        ],
                    )
                    .await?;
                if n == 0 {
                    stored.duplicates += 1;
                    continue;
                }
                stored.events += 1;
                let t = &e.ticket;
                tx.execute(
                    &up_ticket,
                    &[
                        &e.office,
                        &t.id,
                        &t.service,
                        &t.number,
                        &t.priority,
                        &t.business_date,
                        &t.status,
                        &t.queue_at,
                        &t.issued_at,
                        &t.called_at,
                        &t.started_at,
                        &t.finished_at,
                        &t.counter.map(|c| c as i32),
                        &(t.recalls as i32),
                        &(t.target_wait_s as i32),
                        &e.id,
                    ],
                )
                .await?;
            }
            Ok(Shipped::Rating(r)) => {
                stored.ratings += tx
                    .execute(
                        &ins_rating,
                        &[
                            &r.office,
                            &r.ticket_id,
                            &(r.score as i16),
                            &r.reason,
                            &r.at,
                            &r.counter.map(|c| c as i32),
                        ],
                    )
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(stored)
}

/// Keeps an office's latest state.
pub async fn put_state(pg: &Client, state: &OfficeState) -> anyhow::Result<()> {
    pg.execute(
        "INSERT INTO office_state (office, state, received_at) VALUES ($1, $2, now()) \
         ON CONFLICT (office) DO UPDATE SET state = excluded.state, received_at = now()",
        &[&state.office, &serde_json::to_string(state)?],
    )
    .await?;
    Ok(())
}

/// Every office's latest state.
pub async fn states(pg: &Client) -> anyhow::Result<Vec<OfficeState>> {
    let rows = pg.query("SELECT state FROM office_state", &[]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| serde_json::from_str(r.get::<_, &str>(0)).ok())
        .collect())
}

fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

/// The report rows of `office`'s tickets of the service days `from..=to`, rebuilt as the office
/// reads its own ([`motcua::Store::report_rows`]), in ticket order, each with its target wait.
pub async fn report_rows(
    pg: &Client,
    office: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<(ReportRow, f64)>> {
    let rows = pg
        .query(
            "SELECT t.id, t.service, t.number, t.priority, t.business_date, t.status, t.queue_at, \
             t.issued_at, t.called_at, t.started_at, t.finished_at, t.counter, t.recalls, \
             t.target_wait_s, \
             (SELECT MIN(e.at) FROM event e WHERE e.office = t.office AND e.ticket_id = t.id \
              AND e.kind = 'called'), \
             (SELECT e.officer FROM event e WHERE e.office = t.office AND e.ticket_id = t.id \
              AND e.officer IS NOT NULL ORDER BY e.id DESC LIMIT 1), \
             r.score, r.reason \
             FROM ticket t LEFT JOIN rating r ON r.office = t.office AND r.ticket_id = t.id \
             WHERE t.office = $1 AND t.business_date BETWEEN $2 AND $3 ORDER BY t.id",
            &[&office, &from, &to],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let status: String = r.get(5);
        let Some(status) = motcua::Status::parse(&status) else {
            tracing::warn!(
                office,
                status,
                "ticket with an unknown status left out of figures"
            );
            continue;
        };
        let service: String = r.get(1);
        let ticket = motcua::Ticket {
            id: r.get(0),
            origin_service: service.clone(),
            service,
            business_date: r.get(4),
            seq: 1,
            number: r.get(2),
            priority: r.get(3),
            status,
            queue_at: from_ms(r.get(6)),
            issued_at: from_ms(r.get(7)),
            called_at: r.get::<_, Option<i64>>(8).map(from_ms),
            started_at: r.get::<_, Option<i64>>(9).map(from_ms),
            finished_at: r.get::<_, Option<i64>>(10).map(from_ms),
            counter: r.get::<_, Option<i32>>(11).map(|c| c as u32),
            recalls: r.get::<_, i32>(12) as u32,
            waiting_ahead: 0,
            token: String::new(),
            printed_at: None,
        };
        let target = f64::from(r.get::<_, i32>(13));
        out.push((
            ReportRow {
                ticket,
                first_called_at: r.get::<_, Option<i64>>(14).map(from_ms),
                officer: r.get(15),
                rating: r.get::<_, Option<i16>>(16).map(|s| s as u8),
                reason: r.get(17),
            },
            target,
        ));
    }
    Ok(out)
}

/// An office's figures over `from..=to`, computed by the office's own report code.
pub async fn figures(
    pg: &Client,
    office: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Figures> {
    let rows = report_rows(pg, office, from, to).await?;
    let targets: std::collections::HashMap<i64, f64> =
        rows.iter().map(|(r, t)| (r.ticket.id, *t)).collect();
    let rows: Vec<ReportRow> = rows.into_iter().map(|(r, _)| r).collect();
    Ok(motcua::report::figures(&rows, |r| targets[&r.ticket.id]))
}

/// Events the centre holds per office.
pub async fn event_counts(pg: &Client) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let rows = pg
        .query(
            "SELECT office, COUNT(*), MAX(id) FROM event GROUP BY office ORDER BY office",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// A leader's account.
#[derive(Debug, Clone)]
pub struct Leader {
    /// Sign-in name.
    pub login: String,
    /// argon2 hash of the password.
    pub password_hash: String,
    /// "province" (every office) or "office" (only `offices`).
    pub role: String,
    /// The offices an "office" viewer sees.
    pub offices: Vec<String>,
}

/// The leader signing in as `login`.
pub async fn leader(pg: &Client, login: &str) -> anyhow::Result<Option<Leader>> {
    let row = pg
        .query_opt(
            "SELECT login, password_hash, role, offices FROM leader WHERE login = $1",
            &[&login],
        )
        .await?;
    Ok(row.map(|r| Leader {
        login: r.get(0),
        password_hash: r.get(1),
        role: r.get(2),
        offices: r.get(3),
    }))
}

/// Adds or replaces a leader's account.
pub async fn put_leader(pg: &Client, l: &Leader) -> anyhow::Result<()> {
    pg.execute(
        "INSERT INTO leader (login, password_hash, role, offices) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash, \
         role = excluded.role, offices = excluded.offices",
        &[&l.login, &l.password_hash, &l.role, &l.offices],
    )
    .await?;
    Ok(())
}
