"""TTY modem: character error rate against white noise, and decoding speed.

Run with the service's Python:

    .venv/bin/python bench/tty_modem.py            # minimodem sends when installed, else our modulator
    .venv/bin/python bench/tty_modem.py --trials 3 # fewer noise seeds per level, quicker

Noise is white Gaussian over the whole 4 kHz band at the given SNR against the signal's power, with
half a second of noise alone before and after. The noisy line then goes through μ-law and reaches
the demodulator in 20 ms chunks, as a Twilio Media Stream would deliver it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from webhooks.tty.modem import BaudotDemodulator, encode_tones, mulaw_decode, mulaw_encode

TEXT = "HELLO I WANT TO REPORT AN OFFICER 123 MAIN ST GA"
RATE = 8000
CHUNK = 160


def character_error_rate(expected: str, got: str) -> float:
    """Return the edit distance between the texts over the expected length."""
    previous = list(range(len(got) + 1))
    for i, want in enumerate(expected, 1):
        current = [i]
        for j, have in enumerate(got, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (want != have)))
        previous = current
    return previous[-1] / len(expected)


def send(text: str) -> tuple[npt.NDArray[np.float64], str]:
    """Return the tones for text and who made them: minimodem when installed, else our modulator."""
    minimodem = shutil.which("minimodem")
    if minimodem is None:
        return encode_tones(text).astype(np.float64), "our modulator (minimodem is not installed)"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sent.wav"
        subprocess.run([minimodem, "--tx", "tdd", "-R", str(RATE), "-f", str(path)], input=text.encode(), check=True)
        with wave.open(str(path)) as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return samples.astype(np.float64) / 32768, "minimodem --tx tdd"


def line(signal: npt.NDArray[np.float64], snr_db: float, seed: int) -> npt.NDArray[np.float32]:
    """Return signal with noise at snr_db, scaled to 0.9 peak, through μ-law and back."""
    padded = np.concatenate((np.zeros(RATE // 2), signal, np.zeros(RATE // 2)))
    noise_power = np.mean(signal**2) / 10 ** (snr_db / 10)
    noisy = padded + np.random.default_rng(seed).normal(0.0, np.sqrt(noise_power), padded.size)
    return mulaw_decode(mulaw_encode(noisy / np.max(np.abs(noisy)) * 0.9))


def demodulate(samples: npt.NDArray[np.float32]) -> str:
    """Return what the demodulator hears, fed 20 ms at a time."""
    demodulator = BaudotDemodulator()
    return "".join(demodulator.feed(samples[i : i + CHUNK]) for i in range(0, samples.size, CHUNK))


def main() -> None:
    """Print the CER table and the decoding speed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10, help="noise seeds per SNR (default 10)")
    args = parser.parse_args()

    signal, sender = send(TEXT)
    print(f"Sender: {sender}; text: {len(TEXT)} characters, {signal.size / RATE:.1f} s\n")
    print(f"{'SNR dB':>6}  {'mean CER':>8}  {'worst CER':>9}  {'clean runs':>10}")
    for snr in (20, 15, 10, 6, 3):
        rates = [character_error_rate(TEXT, demodulate(line(signal, snr, seed))) for seed in range(args.trials)]
        clean = sum(rate == 0 for rate in rates)
        print(f"{snr:>6}  {np.mean(rates):>8.4f}  {max(rates):>9.4f}  {f'{clean}/{args.trials}':>10}")

    # Speed: a minute of a busy line at 10 dB SNR, as 20 ms chunks and as one block.
    minute = np.tile(line(signal, 10, 0), int(np.ceil(60 * RATE / (signal.size + RATE))))[: 60 * RATE]
    start = time.perf_counter()
    demodulate(minute)
    streamed = 60 / (time.perf_counter() - start)
    start = time.perf_counter()
    BaudotDemodulator().feed(minute)
    block = 60 / (time.perf_counter() - start)
    print(f"\nDecoding speed: {streamed:.0f}x real time in 20 ms chunks, {block:.0f}x in one block")


if __name__ == "__main__":
    main()
