"""The TTY modem: Baudot codes, μ-law, and tones that minimodem, a real TDD peer, sends and reads."""

from __future__ import annotations

import functools
import shutil
import subprocess
import warnings
import wave
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
import pytest

from webhooks.tty.baudot import FIGS, LTRS, SPACE, BaudotDecoder, BaudotEncoder, decode, encode, transliterate
from webhooks.tty.modem import (
    BaudotDemodulator,
    BaudotModulator,
    encode_tones,
    looks_like_baudot,
    mulaw_decode,
    mulaw_encode,
    split_frames,
    to_int16,
)

TEXT = "HELLO I WANT TO REPORT AN OFFICER 123 MAIN ST GA"
# Every character the US TTY tables carry, and the shift cases: figures after a space, letters
# after figures, two spaces in figures.
EVERY_CHARACTER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 -?:$!&#'()\".,/; 3-A 12 AB 1  2 Q"
RATE = 8000
A, B, Q, ONE, TWO = 0x03, 0x19, 0x17, 0x17, 0x13


def character_error_rate(expected: str, got: str) -> float:
    """Return the edit distance between the texts over the expected length."""
    previous = list(range(len(got) + 1))
    for i, want in enumerate(expected, 1):
        current = [i]
        for j, have in enumerate(got, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (want != have)))
        previous = current
    return previous[-1] / len(expected)


def with_noise(samples: npt.ArrayLike, snr_db: float, seed: int = 7) -> npt.NDArray[np.float64]:
    """Return samples padded with half a second each side, plus white noise at snr_db below them."""
    signal = np.asarray(samples, dtype=np.float64)
    if np.issubdtype(np.asarray(samples).dtype, np.integer):
        signal = signal / 32768
    power = float(np.mean(signal**2))
    padded = np.concatenate((np.zeros(RATE // 2), signal, np.zeros(RATE // 2)))
    rng = np.random.default_rng(seed)
    noisy = padded + rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), padded.size)
    return noisy / np.max(np.abs(noisy)) * 0.9


def demodulate(samples: npt.ArrayLike, chunk: int = 160) -> str:
    """Return what our demodulator hears, fed as Twilio does, in 20 ms chunks."""
    array = np.asarray(samples)
    demodulator = BaudotDemodulator()
    return "".join(demodulator.feed(array[i : i + chunk]) for i in range(0, array.size, chunk))


def speech_like(seconds: float, seed: int) -> npt.NDArray[np.float64]:
    """Return a voiced, gliding, formant-shaped signal with bursts of hiss, as speech is."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 130 + 40 * np.sin(2 * np.pi * 0.7 * t) + 15 * np.sin(2 * np.pi * 3.1 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    vowels = np.array([[730, 1090, 2440], [270, 2290, 3010], [530, 1840, 2480], [570, 840, 2410], [660, 1720, 2410]])
    formants = vowels[rng.integers(0, len(vowels), int(seconds * 4) + 1)[(t * 4).astype(int)]]
    voiced = np.zeros_like(t)
    for k in range(1, 30):
        gain = sum(np.exp(-(((k * pitch - formants[:, i]) / (80 + 40 * i)) ** 2)) / (i + 1) for i in range(3))
        voiced += np.where(k * pitch < RATE / 2, gain * np.sin(k * phase), 0.0)
    hiss = rng.normal(0, 0.3, t.size) * (np.sin(2 * np.pi * 1.3 * t) > 0.8)
    out = voiced * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2) + hiss
    return 0.3 * out / np.max(np.abs(out))


# --- Baudot codes -------------------------------------------------------------------------------


def test_text_round_trips_through_codes() -> None:
    assert decode(encode(EVERY_CHARACTER + "\a")) == EVERY_CHARACTER + "\a"


def test_a_transmission_starts_with_the_shift_of_its_first_character() -> None:
    assert encode("AB") == [LTRS, A, B]
    assert encode("12") == [FIGS, ONE, TWO]
    assert encode(" ") == [LTRS, SPACE]
    assert encode("") == []


def test_shift_codes_are_sent_only_when_the_shift_changes() -> None:
    assert encode("A1B") == [LTRS, A, FIGS, ONE, LTRS, B]
    assert encode("A B") == [LTRS, A, SPACE, B]


def test_figures_after_a_space_shift_again_for_unshift_on_space_receivers() -> None:
    assert encode("1 2") == [FIGS, ONE, SPACE, FIGS, TWO]


def test_letters_after_figures_and_a_space_shift_back_for_receivers_without_unshift_on_space() -> None:
    assert encode("1 A") == [FIGS, ONE, SPACE, LTRS, A]


def test_the_encoder_keeps_its_shift_across_calls_until_reset() -> None:
    encoder = BaudotEncoder()
    assert encoder.encode("A") == [LTRS, A]
    assert encoder.encode("B") == [B]
    encoder.reset()
    assert encoder.encode("B") == [LTRS, B]


def test_a_newline_is_sent_as_carriage_return_and_line_feed() -> None:
    assert encode("A\nB") == [LTRS, A, 0x08, 0x02, B]
    assert decode(encode("A\r\nB\rC")) == "A\nB\nC"


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Café crème, señor", "CAFE CREME, SENOR"),
        ("Straße Ærø", "STRASSE AERO"),
        ("jo@example.org 50% 2+2=4", "JO AT EXAMPLE.ORG 50 PERCENT 2 PLUS 2 EQUALS 4"),
        ("“quoted” – it’s [done]…", '"QUOTED" - IT\'S (DONE)...'),
        ("tab\there\x00\x1b", "TAB HERE"),
        ("Привет, мир 🙂*", "?, ? ?"),
    ],
)
def test_text_is_transliterated_to_what_baudot_carries(text: str, sent: str) -> None:
    assert transliterate(text) == sent
    assert decode(encode(text)) == sent


def test_the_decoder_unshifts_on_space_like_a_tty() -> None:
    assert BaudotDecoder().decode([FIGS, ONE, SPACE, Q]) == "1 Q"
    assert BaudotDecoder(unshift_on_space=False).decode([FIGS, ONE, SPACE, Q]) == "1 1"


def test_the_decoder_reads_the_us_tty_figures_not_ita2() -> None:
    # ITA2 has the bell on J, the apostrophe on S, "+" on Z and "=" on V.
    assert decode([FIGS, 0x0B, 0x05, 0x11, 0x1E, 0x14]) == "'\a\";#"


def test_the_decoder_keeps_its_shift_between_calls() -> None:
    decoder = BaudotDecoder()
    assert decoder.push(FIGS) == ""
    assert decoder.push(ONE) == "1"
    assert decoder.decode([0x08]) + decoder.decode([0x02, 0x02]) == "\n\n"


# --- μ-law --------------------------------------------------------------------------------------


def _audioop() -> ModuleType:
    """Return the standard library's audioop, the reference G.711 of CPython (gone in 3.13)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop")


def test_mulaw_decoding_matches_the_g711_reference() -> None:
    audioop = _audioop()
    every_code = bytes(range(256))
    expected = np.frombuffer(audioop.ulaw2lin(every_code, 2), dtype=np.int16)
    assert np.array_equal(to_int16(mulaw_decode(every_code)), expected)


def test_mulaw_encoding_matches_the_g711_reference() -> None:
    audioop = _audioop()
    every_value = np.arange(-32768, 32768, dtype=np.int16)
    ours = np.frombuffer(mulaw_encode(every_value), dtype=np.uint8)
    # audioop rounds negatives by arithmetic shift, G.191 by one's complement: compare the positive
    # half, and check that negatives mirror it as G.191 defines.
    positive = every_value >= 0
    expected = np.frombuffer(audioop.lin2ulaw(every_value.tobytes(), 2), dtype=np.uint8)
    assert np.array_equal(ours[positive], expected[positive])
    mirrored = np.frombuffer(mulaw_encode(~every_value), dtype=np.uint8)
    assert np.array_equal(mirrored, ours ^ 0x80)


def test_mulaw_round_trip_error_is_within_half_a_step() -> None:
    every_value = np.arange(-32768, 32768, dtype=np.int16)
    back = to_int16(mulaw_decode(mulaw_encode(every_value))).astype(np.int64)
    error = np.abs(back - every_value)
    assert np.all(error <= np.abs(every_value.astype(np.int64)) / 32 + 5)
    codes = np.arange(256, dtype=np.uint8)
    again = np.frombuffer(mulaw_encode(mulaw_decode(codes.tobytes())), dtype=np.uint8)
    assert np.array_equal(again[codes != 0x7F], codes[codes != 0x7F])  # 0x7F is the other zero


def test_mulaw_keeps_a_quiet_tone_clear() -> None:
    tone = 0.25 * np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE)
    error = mulaw_decode(mulaw_encode(tone)) - tone
    assert 10 * np.log10(np.mean(tone**2) / np.mean(error**2)) > 35


def test_split_frames_pads_the_last_frame_with_silence() -> None:
    frames = split_frames(bytes(400))
    assert [len(f) for f in frames] == [160, 160, 160]
    assert frames[-1][80:] == b"\xff" * 80
    assert split_frames(b"") == []


# --- Our modulator to our demodulator -----------------------------------------------------------


@pytest.mark.parametrize("stop_bits", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("sample_rate", [8000, 16000])
def test_our_tones_round_trip(stop_bits: float, sample_rate: int) -> None:
    tones = encode_tones(EVERY_CHARACTER, sample_rate=sample_rate, stop_bits=stop_bits)
    assert tones.dtype == np.float32 and np.max(np.abs(tones)) <= 0.5 + 1e-6
    assert BaudotDemodulator(sample_rate=sample_rate).feed(tones) == EVERY_CHARACTER


def test_chunk_size_does_not_change_what_is_heard() -> None:
    tones = encode_tones("GA 12 SK")
    sizes = np.random.default_rng(3).integers(1, 400, tones.size)
    demodulator = BaudotDemodulator()
    heard, start = "", 0
    for size in sizes:
        if start >= tones.size:
            break
        heard += demodulator.feed(tones[start : start + size])
        start += int(size)
    assert heard == "GA 12 SK"
    assert demodulator.frames == len(encode("GA 12 SK"))


def test_twilio_media_frames_round_trip() -> None:
    frames = split_frames(mulaw_encode(encode_tones(TEXT)))
    demodulator = BaudotDemodulator()
    assert "".join(demodulator.feed(mulaw_decode(frame)) for frame in frames) == TEXT


def test_the_signal_is_phase_continuous_across_bits_and_calls() -> None:
    modulator = BaudotModulator(amplitude=1.0)
    samples = np.concatenate([modulator.modulate("RY"), modulator.modulate("RY 73", burst=False)])
    # A continuous sine never moves further per sample than its highest frequency allows.
    largest_step = 2 * np.sin(np.pi * 1800 / RATE)
    assert np.max(np.abs(np.diff(samples.astype(np.float64)))) <= largest_step + 1e-4


def test_a_burst_starts_with_mark_carrier() -> None:
    samples = BaudotModulator(amplitude=1.0, lead_in=0.15).modulate("A").astype(np.float64)
    lead = samples[: int(0.15 * RATE)]
    n = np.arange(lead.size)
    mark = abs(np.sum(lead * np.exp(-2j * np.pi * 1400 * n / RATE))) / lead.size
    assert mark == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("amplitude", [1e-4, 0.01, 1.0])
def test_any_level_is_heard(amplitude: float) -> None:
    assert demodulate(encode_tones(TEXT, amplitude=amplitude)) == TEXT


def test_int16_samples_are_heard() -> None:
    assert demodulate(to_int16(encode_tones(TEXT))) == TEXT


@pytest.mark.parametrize("drift", [-30.0, 30.0])
def test_a_drifting_tty_in_noise_is_heard(drift: float) -> None:
    modulator = BaudotModulator(mark_hz=1400 + drift, space_hz=1800 + drift)
    cer = character_error_rate(TEXT, demodulate(with_noise(modulator.modulate(TEXT), 10)))
    print(f"\nCER ours→ours, {drift:+.0f} Hz drift, 10 dB SNR: {cer:.3f}")
    assert cer <= 0.02


@pytest.mark.parametrize("seed", range(5))
def test_noise_before_the_carrier_adds_no_characters(seed: int) -> None:
    assert demodulate(with_noise(encode_tones(TEXT), 10, seed=seed)) == TEXT


def test_a_receiver_that_joins_mid_transmission_catches_up() -> None:
    tones = encode_tones(TEXT)
    heard = demodulate(tones[3000:])
    assert len(heard) >= 30 and TEXT.endswith(heard[-30:])


def test_the_carrier_is_reported_while_tones_last() -> None:
    demodulator = BaudotDemodulator()
    demodulator.feed(encode_tones("GA"))
    assert demodulator.carrier
    assert demodulator.feed(np.zeros(RATE // 2)) == ""
    assert not demodulator.carrier


# --- Squelch and detection ----------------------------------------------------------------------


def _dtmf(digits: int, seed: int) -> npt.NDArray[np.float64]:
    """Return random keypad tones, 100 ms each with 100 ms gaps."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE // 10) / RATE
    keys = [(low, high) for low in (697, 770, 852, 941) for high in (1209, 1336, 1477, 1633)]
    parts = []
    for low, high in (keys[i] for i in rng.integers(0, len(keys), digits)):
        parts += [0.2 * np.sin(2 * np.pi * low * t) + 0.2 * np.sin(2 * np.pi * high * t), np.zeros(t.size)]
    return np.concatenate(parts)


@functools.cache
def _not_tty() -> dict[str, npt.NDArray[np.float64]]:
    t = np.arange(5 * RATE) / RATE
    rng = np.random.default_rng(11)
    return {
        "silence": np.zeros(t.size),
        "white noise": rng.normal(0, 0.1, t.size),
        "dial tone": 0.2 * np.sin(2 * np.pi * 350 * t) + 0.2 * np.sin(2 * np.pi * 440 * t),
        "DTMF digits": _dtmf(25, 11),
        "a steady mark tone": 0.3 * np.sin(2 * np.pi * 1400 * t),
        "a sweep across both tones": 0.3 * np.sin(2 * np.pi * np.cumsum(1200 + 160 * t) / RATE),
        "speech": speech_like(5, 1),
        "other speech": speech_like(5, 2),
    }


@pytest.mark.parametrize("name", list(_not_tty()))
def test_audio_that_is_not_a_tty_produces_no_characters(name: str) -> None:
    samples = _not_tty()[name]
    demodulator = BaudotDemodulator()
    assert demodulator.feed(samples) == ""
    assert demodulator.frames == 0
    assert not looks_like_baudot(samples)


def test_a_tty_is_recognised_from_its_first_characters() -> None:
    call = np.concatenate((speech_like(1, 3), with_noise(encode_tones("GA"), 15)))
    assert looks_like_baudot(call[: int(2.5 * RATE)])


# --- minimodem, an independent TDD implementation ------------------------------------------------


@pytest.fixture
def minimodem() -> str:
    path = shutil.which("minimodem")
    if path is None:
        pytest.skip("minimodem is not installed (apt-get install minimodem): it is the TDD peer for interop tests")
    return path


def minimodem_send(minimodem: str, text: str, tmp_path: Path) -> npt.NDArray[np.int16]:
    """Return the int16 samples minimodem sends for text in TDD mode."""
    path = tmp_path / "sent.wav"
    subprocess.run([minimodem, "--tx", "tdd", "-R", str(RATE), "-f", str(path)], input=text.encode(), check=True)
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def minimodem_hear(minimodem: str, samples: npt.ArrayLike, tmp_path: Path) -> str:
    """Return what minimodem hears in samples, in TDD mode with one stop bit."""
    path = tmp_path / "heard.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(to_int16(samples).astype("<i2").tobytes())
    command = [minimodem, "--rx", "tdd", "--stopbits", "1.0", "-R", str(RATE), "-q", "-f", str(path)]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize(
    ("condition", "bound"),
    [("clean", 0.0), ("10 dB SNR", 0.02), ("-12 dB", 0.0), ("μ-law", 0.0), ("-12 dB μ-law at 10 dB SNR", 0.02)],
)
def test_we_hear_minimodem(minimodem: str, tmp_path: Path, condition: str, bound: float) -> None:
    sent = minimodem_send(minimodem, TEXT, tmp_path).astype(np.float64) / 32768
    line = {
        "clean": lambda: sent,
        "10 dB SNR": lambda: with_noise(sent, 10),
        "-12 dB": lambda: sent * 10 ** (-12 / 20),
        "μ-law": lambda: mulaw_decode(mulaw_encode(sent)),
        "-12 dB μ-law at 10 dB SNR": lambda: mulaw_decode(mulaw_encode(with_noise(sent, 10) * 10 ** (-12 / 20))),
    }[condition]()
    cer = character_error_rate(TEXT, demodulate(line))
    print(f"\nCER minimodem→ours, {condition}: {cer:.3f}")
    assert cer <= bound


def test_we_hear_every_character_minimodem_sends(minimodem: str, tmp_path: Path) -> None:
    assert demodulate(minimodem_send(minimodem, EVERY_CHARACTER, tmp_path)) == EVERY_CHARACTER


@pytest.mark.parametrize("stop_bits", [1.0, 1.5])
def test_minimodem_hears_us(minimodem: str, tmp_path: Path, stop_bits: float) -> None:
    assert minimodem_hear(minimodem, encode_tones(TEXT, stop_bits=stop_bits), tmp_path) == TEXT


def test_minimodem_hears_every_character_we_send(minimodem: str, tmp_path: Path) -> None:
    assert minimodem_hear(minimodem, encode_tones(EVERY_CHARACTER), tmp_path) == EVERY_CHARACTER


def test_minimodem_hears_us_through_mulaw(minimodem: str, tmp_path: Path) -> None:
    assert minimodem_hear(minimodem, mulaw_decode(mulaw_encode(encode_tones(TEXT))), tmp_path) == TEXT
