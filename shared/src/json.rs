//! The JSON shapes of CONTRACT.md, built from domain values.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::config::Config;
use crate::queue::Ticket;
use crate::store::{Event, QueueState};

/// RFC 3339 with the office's UTC offset, whole seconds.
pub fn office_time(t: DateTime<Utc>, cfg: &Config) -> String {
    t.with_timezone(&cfg.office.timezone)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The citizen's status page address for a ticket, when `[status]` is configured.
pub fn status_url(t: &Ticket, cfg: &Config) -> Option<String> {
    cfg.status
        .as_ref()
        .map(|s| format!("{}/t/{}", s.base_url, t.token))
}

/// The ticket object `T` of CONTRACT.md.
pub fn ticket(t: &Ticket, cfg: &Config) -> Value {
    let time = |v: Option<DateTime<Utc>>| v.map(|v| office_time(v, cfg));
    let mut v = json!({
        "id": t.id,
        "number": t.number,
        "service": t.service,
        "service_name": cfg.service(&t.service).map(|s| s.name.as_str()).ok(),
        "origin_service": t.origin_service,
        "priority": t.priority,
        "status": t.status.as_str(),
        "business_date": t.business_date.to_string(),
        "issued_at": office_time(t.issued_at, cfg),
        "called_at": time(t.called_at),
        "started_at": time(t.started_at),
        "finished_at": time(t.finished_at),
        "counter": t.counter,
        "recalls": t.recalls,
        "waiting_ahead": t.waiting_ahead,
        "printed": t.printed_at.is_some(),
    });
    if let Some(url) = status_url(t, cfg) {
        v["status_url"] = Value::String(url);
    }
    v
}

/// One event of the log.
pub fn event(e: &Event, cfg: &Config) -> Value {
    let mut v = serde_json::to_value(&e.kind).expect("event kinds serialise");
    v["id"] = json!(e.id);
    v["at"] = json!(office_time(e.at, cfg));
    v["ticket_id"] = json!(e.ticket_id);
    v["number"] = json!(e.number);
    v["service"] = json!(e.service);
    v["counter"] = json!(e.counter);
    v
}

/// An event read back from its JSON form ([`event`]), e.g. by a board following a server's
/// `/api/events`. `None` when a field is missing or malformed.
pub fn event_from(v: &Value) -> Option<Event> {
    Some(Event {
        id: v["id"].as_i64()?,
        at: DateTime::parse_from_rfc3339(v["at"].as_str()?)
            .ok()?
            .with_timezone(&Utc),
        kind: serde_json::from_value(v.clone()).ok()?,
        ticket_id: v["ticket_id"].as_i64()?,
        number: v["number"].as_str()?.to_string(),
        service: v["service"].as_str()?.to_string(),
        counter: match &v["counter"] {
            Value::Null => None,
            c => Some(u32::try_from(c.as_u64()?).ok()?),
        },
    })
}

/// The queue state.
pub fn state(s: &QueueState, cfg: &Config) -> Value {
    json!({
        "business_date": s.business_date.to_string(),
        "last_event_id": s.last_event_id,
        "waiting": s.waiting.iter().map(|(code, n)| json!({"service": code, "waiting": n})).collect::<Vec<_>>(),
        "counters": s.counters.iter().map(|(n, t)| json!({
            "counter": n,
            "paused": s.paused.contains(n),
            "ticket": t.as_ref().map(|t| ticket(t, cfg)),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::EventKind;

    #[test]
    fn events_read_back_from_json() {
        let cfg = crate::config::Config::parse(
            "[office]\nname = \"X\"\ndatabase = \"x.db\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\
             [[services]]\ncode = \"TP\"\nname = \"Tư pháp\"\n\
             [[counters]]\nnumber = 3\nname = \"Quầy 3\"\nservices = [\"TP\"]\n",
            std::path::Path::new("motcua.toml"),
        )
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-24T08:30:05+07:00")
            .unwrap()
            .with_timezone(&Utc);
        for (kind, counter) in [
            (EventKind::Called, Some(3)),
            (EventKind::Issued, None),
            (EventKind::Transferred { from: "DD".into() }, Some(3)),
        ] {
            let e = Event {
                id: 42,
                at,
                kind,
                ticket_id: 7,
                number: "1005".into(),
                service: "TP".into(),
                counter,
            };
            assert_eq!(event_from(&event(&e, &cfg)), Some(e));
        }
        assert_eq!(event_from(&json!({"id": 1, "kind": "called"})), None);
        assert_eq!(
            event_from(
                &json!({"id": 1, "kind": "exploded", "at": "2026-11-24T08:30:05+07:00",
                "ticket_id": 1, "number": "1", "service": "TP", "counter": null})
            ),
            None
        );
    }
}
