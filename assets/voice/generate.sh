#!/usr/bin/env bash
# Makes the Vietnamese announcement clips with espeak-ng and sox (Debian packages espeak-ng, sox),
# then levels each with `display-board voice level`: silence trimmed, −18 LUFS, true peaks at or
# under −1 dBFS, 16-bit mono 22050 Hz, no dither, so a rerun on the same versions writes the
# same bytes. The phrases come from `display-board voice phrases` (the recording script offices
# read for their own voice, docs/voice.md).
#
#   assets/voice/generate.sh [OUTDIR]      (default: assets/voice/vi)
#
# DISPLAY_BOARD=path/to/display-board uses that binary instead of building one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:-$here/vi}" && cd "${1:-$here/vi}" && pwd)
board=${DISPLAY_BOARD:-}
if [ -z "$board" ]; then
    cargo build -q --manifest-path "$root/Cargo.toml" -p display-board --bin display-board
    board="${CARGO_TARGET_DIR:-$root/target}/debug/display-board"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# espeak-ng's voice and speed (words per minute), chosen by measurement (docs/voice.md): the
# digits and letters, which carry the number, at 130 in the northern voice, but 7 and 8 in the
# southern one (the northern "bảy" is heard as "hai" and "tám" as "năm"), 1 in the central one
# at 150 (the northern "một" was heard as "không" at the start of a number), 2 and 3 at 150
# (shorter, as well heard); the call's fixed phrases, which every listener knows, at 240 and the
# words of a number read whole at 170, so that a call with the number said twice stays short.
# A respelling is what espeak-ng reads for a phrase whose written form it says badly (none so far).
VOICE=vi
SPEED=130
declare -A voice=([so_1]=vi-vn-x-central [so_7]=vi-vn-x-south [so_8]=vi-vn-x-south)
declare -A speed=([so_1]=150 [so_2]=150 [so_3]=150 [moi_cong_dan]=240 [den_quay_so]=240
    [so_nghin]=170 [so_tram]=170 [so_linh]=170 [so_muoi]=170 [so_10]=170 [so_mot]=170 [so_lam]=170
    [quay]=170)
declare -A respell=()

while IFS=$'\t' read -r file text; do
    stem=${file%.wav}
    espeak-ng -v "${voice[$stem]:-$VOICE}" -s "${speed[$stem]:-$SPEED}" -w "$tmp/$stem.espeak.wav" "${respell[$stem]:-$text}"
    sox -D "$tmp/$stem.espeak.wav" -r 22050 -c 1 -e floating-point -b 32 "$tmp/$stem.raw.wav" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    "$board" voice level "$tmp/$stem.raw.wav" "$out/$file"
done < <("$board" voice phrases)

# The chime: two soft tones, E5 then C5, made one after the other and joined (in one sox command
# `:` would start a second effects chain, and an effect after it would change only one tone),
# then levelled like the speech so that it is no louder than the voice.
f32=(-r 22050 -c 1 -e floating-point -b 32)
sox -D -n "${f32[@]}" "$tmp/tone1.wav" synth 0.16 sine 659.25 fade q 0.01 0.16 0.1
sox -D -n "${f32[@]}" "$tmp/tone2.wav" synth 0.26 sine 523.25 fade q 0.01 0.26 0.16
sox -D "$tmp/tone1.wav" "$tmp/tone2.wav" "$tmp/chime.raw.wav"
"$board" voice level "$tmp/chime.raw.wav" "$out/chime.wav"

# Where the clips come from, beside them.
cat >"$out/SOURCE" <<SOURCE
Made by assets/voice/generate.sh (motcua, GPL-3.0-or-later) with:
- $(espeak-ng --version | head -n 1)
  (GPL-3.0-or-later): voice $VOICE at $SPEED words a minute, except
  $(for k in "${!voice[@]}"; do echo "$k=${voice[$k]}"; done | sort | tr '\n' ' ')
  $(for k in "${!speed[@]}"; do echo "$k=${speed[$k]}"; done | sort | tr '\n' ' ')
- $(sox --version 2>&1 | head -n 1 | sed 's/^sox: *//') (GPL-2.0-or-later / LGPL-2.1)
- levelled by \`display-board voice level\`: −18 LUFS (K-weighted, ungated), true peak ≤ −1 dBFS,
  16-bit mono 22050 Hz, no dither.
Respelled for espeak-ng: ${!respell[*]}
SOURCE
