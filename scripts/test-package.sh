#!/usr/bin/env bash
# The install kit's test, on this machine, as root: installs target/debian/motcua_*.deb with
# dpkg -i, checks files, users and units, runs the installed server as its unit says, a kiosk
# and a board as two other users sharing the database, a backup; purges (the data stays),
# reinstalls over the kept data, and purges with the data. Run scripts/package.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-package: FAILED: $*" >&2; exit 1; }
step() { echo "test-package: $*" >&2; }
[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, adduser)"
deb=$(ls -t target/debian/motcua_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no target/debian/motcua_*.deb: run scripts/package.sh"

# systemd-analyze verify checks that every command a unit names exists: cage for the kiosk.
missing=()
for p in cage xwayland grim adduser passwd; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
pids=()
ours=0
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    # Everything under /var/lib/motcua was made by this test (it refuses to start otherwise).
    if [ "$ours" = 1 ] && dpkg -s motcua >/dev/null 2>&1; then
        MOTCUA_PURGE_DATA=yes dpkg --purge motcua >/dev/null 2>&1 || true
    fi
    rm -rf "$work" "${xdg:-}"
}
trap cleanup EXIT

if dpkg -s motcua >/dev/null 2>&1; then
    step "an earlier motcua is installed: purging it"
    dpkg --purge motcua >/dev/null
fi
[ ! -e /var/lib/motcua ] || fail "/var/lib/motcua exists already: this test would mix its data with it"
python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 8080))' 2>/dev/null \
    || fail "port 8080 (the unit's --listen) is taken on this machine"

step "dpkg -i $deb"
ours=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }

# Files in place.
for b in counter kiosk display-board; do
    [ -x "/usr/bin/$b" ] || fail "/usr/bin/$b"
    if readelf -S "/usr/bin/$b" | grep -qE '\.(debug_info|debug_line|symtab) '; then fail "/usr/bin/$b is not stripped"; fi
done
for f in /lib/systemd/system/motcua-server.service /lib/systemd/system/motcua-kiosk.service \
    /lib/systemd/system/motcua-board.service /lib/systemd/system/motcua-backup.service \
    /lib/systemd/system/motcua-backup.timer /etc/pam.d/motcua-kiosk \
    /usr/share/doc/motcua/README.md /usr/share/doc/motcua/config.md \
    /usr/share/doc/motcua/CHANGELOG.md /usr/share/doc/motcua/copyright \
    /usr/share/doc/motcua/examples/99-motcua-printer.rules; do
    [ -f "$f" ] || fail "$f is missing"
done
[ "$(stat -c '%U:%G %a' /etc/motcua/motcua.toml)" = "root:motcua 640" ] \
    || fail "/etc/motcua/motcua.toml is $(stat -c '%U:%G %a' /etc/motcua/motcua.toml)"
dpkg-query -W -f='${Conffiles}\n' motcua | grep -q '/etc/motcua/motcua.toml' \
    || fail "/etc/motcua/motcua.toml is not a conffile"
[ "$(stat -c '%U:%G %a' /var/lib/motcua)" = "motcua:motcua 2770" ] \
    || fail "/var/lib/motcua is $(stat -c '%U:%G %a' /var/lib/motcua)"
[ "$(stat -c '%G %a' /var/lib/motcua/motcua.db.wake)" = "motcua 2770" ] || fail "the wake-up folder"

# Users made.
for u in motcua motcua-kiosk motcua-board; do
    id "$u" >/dev/null 2>&1 || fail "user $u"
    id -nG "$u" | tr ' ' '\n' | grep -qx motcua || fail "$u is not in the group motcua"
done
for g in dialout lp audio; do
    id -nG motcua | tr ' ' '\n' | grep -qx "$g" || fail "motcua is not in $g"
done

# Every unit verifies clean (no output at all).
( cd /lib/systemd/system && systemd-analyze verify motcua-server.service motcua-kiosk.service \
    motcua-board.service motcua-backup.service motcua-backup.timer ) >"$work/verify.log" 2>&1 \
    || { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify warned"; }

# The installed server, as the unit's user with the unit's command line and umask.
unit_cmd() { sed -n 's/^ExecStart=//p' "/lib/systemd/system/$1"; }
as_unit() { # user, command...
    local user=$1; shift
    # setpriv execs in place (runuser would stay as a parent that does not pass SIGTERM on).
    setpriv --reuid="$user" --regid=motcua --init-groups --reset-env -- \
        sh -c 'umask 0007; exec "$@"' sh "$@"
}
start_as() { # user, stdout file, stderr file, command...: in the background, its pid kept
    local user=$1 out=$2 err=$3; shift 3
    setpriv --reuid="$user" --regid=motcua --init-groups --reset-env -- \
        sh -c 'umask 0007; exec "$@"' sh "$@" >"$out" 2>"$err" &
    pids+=($!)
}
# shellcheck disable=SC2046
start_as motcua "$work/server.out" "$work/server.err" $(unit_cmd motcua-server.service)
for _ in $(seq 200); do grep -q '^listening on ' "$work/server.out" && break; sleep 0.1; done
grep -q '^listening on http://0.0.0.0:8080' "$work/server.out" \
    || { cat "$work/server.err" >&2; fail "the installed counter serve did not listen"; }
python3 - <<'PY' || fail "the console did not answer"
import urllib.request
page = urllib.request.urlopen("http://127.0.0.1:8080/login", timeout=10).read().decode()
assert "Đăng nhập" in page, page[:300]
PY

# A board and a kiosk, each as its own user, share the database and wake each other.
start_as motcua-board "$work/board.out" "$work/board.err" \
    display-board --config /etc/motcua/motcua.toml --mute follow
board_sock() { find /var/lib/motcua/motcua.db.wake -name '*.sock' -user motcua-board | head -1; }
for _ in $(seq 200); do [ -n "$(board_sock)" ] && break; sleep 0.1; done
sock=$(board_sock)
[ -n "$sock" ] || { cat "$work/board.err" >&2; fail "the board made no wake-up socket"; }
[ "$(stat -c '%U:%G %a' "$sock")" = "motcua-board:motcua 770" ] \
    || fail "the board's wake-up socket is $(stat -c '%U:%G %a' "$sock")"
# The kiosk's user may wake the board: its datagram reaches the board's socket.
as_unit motcua-kiosk python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"w", sys.argv[1])' "$sock" || fail "the kiosk's user cannot wake the board"
as_unit motcua-kiosk kiosk --config /etc/motcua/motcua.toml issue --service TP --no-print --json \
    >"$work/issue.out" || fail "the kiosk's user could not issue"
grep -q '"number":"1001"' "$work/issue.out" || fail "issued: $(cat "$work/issue.out")"
as_unit motcua counter --config /etc/motcua/motcua.toml call --counter 1 --json >/dev/null \
    || fail "the server's user could not call"
for _ in $(seq 200); do grep -q '"number":"1001"' "$work/board.out" && break; sleep 0.1; done
grep -q '"number":"1001"' "$work/board.out" \
    || { cat "$work/board.err" >&2; fail "the board did not see the call"; }
[ -e "$sock" ] || fail "the kiosk's or the server's wake-up removed the board's socket"
for f in /var/lib/motcua/motcua.db /var/lib/motcua/motcua.db-wal /var/lib/motcua/motcua.db-shm; do
    [ "$(stat -c '%G %a' "$f")" = "motcua 660" ] || fail "$f is $(stat -c '%U:%G %a' "$f")"
done

# The kiosk unit's command line (cage, XWayland, the kiosk) as its user, on wlroots' headless
# backend instead of tty1's screen: a screenshot of the output (grim) read back by OCR shows the
# kiosk's home screen.
xdg=$(mktemp -d /tmp/motcua-kiosk-run.XXXXXX)
chown motcua-kiosk:motcua "$xdg"
# shellcheck disable=SC2046
start_as motcua-kiosk "$work/cage.out" "$work/cage.err" env XDG_RUNTIME_DIR="$xdg" \
    WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
    $(unit_cmd motcua-kiosk.service)
shot="$xdg/kiosk.png"
seen=""
for _ in $(seq 60); do
    if [ -S "$xdg/wayland-0" ] && as_unit motcua-kiosk env XDG_RUNTIME_DIR="$xdg" \
        WAYLAND_DISPLAY=wayland-0 grim "$shot" 2>/dev/null; then
        seen=$(tesseract "$shot" - -l vie 2>/dev/null || true)
        grep -q "Tư pháp" <<<"$seen" && break
    fi
    sleep 0.5
done
grep -q "Tư pháp" <<<"$seen" \
    || { cat "$work/cage.err" >&2; echo "OCR: $seen" >&2; fail "the kiosk unit showed no kiosk under cage"; }

# The daily backup, as its unit runs it.
# shellcheck disable=SC2046
as_unit motcua $(unit_cmd motcua-backup.service) >/dev/null || fail "the backup unit's command"
ls /var/lib/motcua/backups/motcua-*-v*.db >/dev/null 2>&1 || fail "no backup written"

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
# cage's clients (the kiosk, Xwayland) see their display go when cage ends and leave on their own
# a moment later: give them up to 10 s, then name whatever is still there.
for _ in $(seq 100); do
    left=$(ps -u motcua,motcua-board,motcua-kiosk -o pid=,stat=,args= 2>/dev/null | awk '$2 !~ /^Z/' || true)
    [ -z "$left" ] && break
    sleep 0.1
done
[ -z "$left" ] || fail "a motcua process outlived SIGTERM by 10 s: $left"

step "dpkg --purge (the data stays)"
dpkg --purge motcua >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
[ ! -e /usr/bin/counter ] || fail "/usr/bin/counter is still there"
[ ! -e /etc/motcua ] || fail "/etc/motcua is still there"
[ -f /var/lib/motcua/motcua.db ] || fail "purging removed the office's database"
grep -q "MOTCUA_PURGE_DATA=yes" "$work/purge.log" || fail "purge did not say where the data is kept"

step "dpkg -i again over the kept data, then purge with it"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i (again)"; }
as_unit motcua counter --config /etc/motcua/motcua.toml queue --json | grep -q '"number":"1001"' \
    || fail "the reinstalled motcua does not see the kept ticket"
MOTCUA_PURGE_DATA=yes dpkg --purge motcua >/dev/null 2>&1 || fail "dpkg --purge with the data"
[ ! -e /var/lib/motcua ] || fail "MOTCUA_PURGE_DATA=yes left /var/lib/motcua"
! id motcua >/dev/null 2>&1 || fail "MOTCUA_PURGE_DATA=yes left the user motcua"
step "ok"
