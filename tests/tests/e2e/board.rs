//! The board as a separate process following the shared database: calls made by `counter call`
//! appear in order, none lost; calls made while the board was stopped are replayed silently.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use motcua_e2e::Office;
use motcua_e2e::console::{add_device, serve_on};

struct Board {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Board {
    fn start(office: &Office) -> Board {
        Board::spawn(office.command("display-board").args(["--mute", "follow"]))
    }

    /// A board on the LAN following `counter serve` at `url` with a device token.
    fn start_remote(office: &Office, url: &str, token: &str) -> Board {
        Board::spawn(
            office
                .command("display-board")
                .args(["--mute", "--server", url, "follow"])
                .env("MOTCUA_DEVICE_TOKEN", token)
                // Renew the event stream often: renewals during the test must lose nothing.
                .env("MOTCUA_STREAM_RENEW_MS", "300"),
        )
    }

    fn spawn(command: &mut std::process::Command) -> Board {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the board");
        let out: ChildStdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx
                    .send(serde_json::from_str(&line).expect("JSON line"))
                    .is_err()
                {
                    break;
                }
            }
        });
        Board { child, lines }
    }

    /// The next `n` calls the board printed (waits for each, at most 20 s).
    fn next(&self, n: usize) -> Vec<serde_json::Value> {
        (0..n)
            .map(|i| {
                self.lines
                    .recv_timeout(Duration::from_secs(20))
                    .unwrap_or_else(|_| panic!("the board showed only {i} of {n} calls"))
            })
            .collect()
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn numbers(v: &[serde_json::Value]) -> Vec<String> {
    v.iter()
        .map(|c| c["number"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn calls_appear_in_order_and_calls_made_while_stopped_are_replayed_silently() {
    let office = Office::new();
    office.issue(&["TP"; 12]);
    // Two calls before the board ever started.
    let before: Vec<String> = vec![office.call(1), office.call(3)];
    let board = Board::start(&office);
    let replayed = board.next(2);
    assert_eq!(numbers(&replayed), before);
    assert!(
        replayed.iter().all(|c| c["replayed"] == true),
        "old calls are not announced again"
    );

    // Live calls, some in quick succession from different counters.
    let mut live = Vec::new();
    for c in [1, 3, 1, 3, 1] {
        live.push(office.call(c));
    }
    let recall = office.run("counter", &["recall", "--counter", "1", "--json"]);
    assert!(recall.status.success());
    let shown = board.next(6);
    assert_eq!(numbers(&shown[..5]), live);
    assert!(
        shown[..5]
            .iter()
            .all(|c| c["replayed"] == false && c["recall"] == false)
    );
    assert_eq!(
        shown[5]["number"].as_str().unwrap(),
        live[4],
        "the recall is shown (and spoken) again"
    );
    assert_eq!(shown[5]["recall"], true);
    let ids: Vec<i64> = shown
        .iter()
        .map(|c| c["event_id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in event order");
    drop(board);

    // While the board is off.
    let offline = [office.call(3), office.call(1)];
    let board = Board::start(&office);
    let all = board.next(2 + 6 + 2);
    let replayed: Vec<String> = numbers(&all);
    let mut expected = before.clone();
    expected.extend(live.iter().cloned());
    expected.push(live[4].clone());
    expected.extend(offline.iter().cloned());
    assert_eq!(
        replayed, expected,
        "everything of the day, in order, none lost"
    );
    assert!(all.iter().all(|c| c["replayed"] == true));
    // And it follows live again.
    let after = office.call(1);
    assert_eq!(numbers(&board.next(1)), [after]);
}

#[test]
fn a_board_on_the_lan_follows_the_server_across_its_restart() {
    let office = Office::new();
    let token = add_device(&office, "board-hall", "board");
    office.issue(&["TP"; 10]);
    let before = office.call(1);
    // A fixed address, so the restarted server is where the board looks for it.
    let addr = motcua_e2e::free_addr().to_string();
    let server = serve_on(&office, &addr);
    let board = Board::start_remote(&office, &server.base, &token);
    let first = board.next(1);
    assert_eq!(numbers(&first), [before]);
    assert_eq!(first[0]["replayed"], true, "made before the board started");

    let live = [office.call(1), office.call(3)];
    let shown = board.next(2);
    assert_eq!(numbers(&shown), live);
    assert!(shown.iter().all(|c| c["replayed"] == false));

    // The server goes away; the office goes on calling (the CLI writes the database).
    drop(server);
    let offline = [office.call(3), office.call(1)];
    let server = serve_on(&office, &addr);
    let missed = board.next(2);
    assert_eq!(
        numbers(&missed),
        offline,
        "missed calls arrive after the restart"
    );
    assert!(
        missed.iter().all(|c| c["replayed"] == false),
        "calls missed for a few seconds are still announced"
    );
    let after = office.call(1);
    let again = board.next(1);
    assert_eq!(numbers(&again), [after]);

    let ids: Vec<i64> = first
        .iter()
        .chain(&shown)
        .chain(&missed)
        .chain(&again)
        .map(|c| c["event_id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in order, none twice: {ids:?}"
    );
    assert!(
        board.lines.try_recv().is_err(),
        "nothing else was shown (no call twice)"
    );
    drop(server);
}
