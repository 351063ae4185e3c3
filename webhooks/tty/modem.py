"""The TTY/TDD modem: 45.45-baud Baudot FSK tones to and from text, and G.711 μ-law for phone audio.

A TTY sends each character as a start bit (space, 1800 Hz), five data bits least significant first
(1 is mark, 1400 Hz), and 1 to 2 stop bits (mark). Twilio Media Streams carry the call as 8 kHz
μ-law, 160 bytes per 20 ms frame; ``mulaw_decode`` and ``mulaw_encode`` convert those frames.

The demodulator measures the energy of each tone with quadrature correlators over a half-bit
sliding window, finds the falling edge of a start bit, and reads each bit at its middle. It
compares energies with each other and with the total, never with a fixed level, so it works at any
volume; a squelch on the share of the energy that is in the two tones keeps silence, noise and
speech from producing characters.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from webhooks.tty.baudot import BaudotDecoder, BaudotEncoder

SAMPLE_RATE = 8000
BAUD = 45.45
MARK_HZ = 1400.0
SPACE_HZ = 1800.0
#: Twilio Media Streams send and expect 20 ms of 8 kHz μ-law per message.
FRAME_BYTES = 160
#: The μ-law byte for zero, used to pad a last short frame.
MULAW_SILENCE = 0xFF

FloatArray = npt.NDArray[np.float32]


def _mulaw_table() -> npt.NDArray[np.int16]:
    """Return the 16-bit value of each μ-law byte, as ITU-T G.191's reference ulaw_expand does."""
    codes = np.arange(256)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x07
    step = 4 << (exponent + 1)
    magnitude = (0x80 << exponent) + step * (inverted & 0x0F) + step // 2 - 4 * 33
    return np.where(codes < 0x80, -magnitude, magnitude).astype(np.int16)


_MULAW_TO_LINEAR = _mulaw_table()


def to_int16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Return float samples in [-1, 1] as 16-bit PCM, clipping; int16 input is returned as is."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array
    return np.clip(np.round(array.astype(np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def to_float(samples: npt.ArrayLike) -> FloatArray:
    """Return samples as float32 in [-1, 1]; integer input is read as 16-bit PCM."""
    array = np.asarray(samples)
    if np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float32) / np.float32(32768.0)).astype(np.float32)
    return array.astype(np.float32)


def mulaw_encode(samples: npt.ArrayLike) -> bytes:
    """Return G.711 μ-law bytes for samples (float in [-1, 1] or int16), as ITU-T G.191 rounds."""
    pcm = to_int16(samples).astype(np.int32)
    # NOTE: G.191 takes the one's complement of negatives, so -1 encodes like 0 with the sign set.
    magnitude = np.where(pcm < 0, ~pcm, pcm)
    biased = np.minimum((magnitude >> 2) + 33, 0x1FFF)
    segment = np.zeros_like(biased)
    for bit in range(7):
        segment += (biased >> (6 + bit)) > 0
    mantissa = (biased >> (segment + 1)) & 0x0F
    code = ((7 - segment) << 4) | (0x0F - mantissa)
    code = np.where(pcm >= 0, code | 0x80, code)
    return bytes(code.astype(np.uint8).tobytes())


def mulaw_decode(data: bytes) -> FloatArray:
    """Return float32 samples in [-1, 1] for G.711 μ-law bytes."""
    codes = np.frombuffer(data, dtype=np.uint8)
    return to_float(_MULAW_TO_LINEAR[codes])


def split_frames(data: bytes, size: int = FRAME_BYTES) -> list[bytes]:
    """Return μ-law bytes cut into frames of size bytes, the last padded with silence."""
    frames = [data[i : i + size] for i in range(0, len(data), size)]
    if frames and len(frames[-1]) < size:
        frames[-1] += bytes([MULAW_SILENCE]) * (size - len(frames[-1]))
    return frames


class BaudotModulator:
    """Turn text into phase-continuous Baudot FSK tones, one transmission (burst) per call.

    Phase and bit timing carry over between calls, so consecutive calls with ``burst=False`` join
    into one seamless signal.
    """

    def __init__(
        self,
        *,
        sample_rate: int = SAMPLE_RATE,
        baud: float = BAUD,
        mark_hz: float = MARK_HZ,
        space_hz: float = SPACE_HZ,
        stop_bits: float = 1.5,
        amplitude: float = 0.5,
        lead_in: float = 0.15,
        hold: float = 0.03,
    ) -> None:
        """Set the line parameters.

        Args:
            sample_rate: Samples per second of the output.
            baud: Bits per second; US TTYs use 45.45.
            mark_hz: Tone of a 1 bit and of the idle line.
            space_hz: Tone of a 0 bit and of the start bit.
            stop_bits: Mark time after each character, in bits; TTYs send 1.5, minimodem 2.
            amplitude: Peak level, 1.0 being full scale.
            lead_in: Seconds of mark before the first character, so a receiver locks on.
            hold: Seconds of mark after the last character, so the last stop bit is whole.
        """
        if not 1.0 <= stop_bits <= 2.0:
            raise ValueError("stop_bits must be between 1 and 2")
        self.sample_rate = sample_rate
        self.baud = baud
        self.mark_hz = mark_hz
        self.space_hz = space_hz
        self.stop_bits = stop_bits
        self.amplitude = amplitude
        self.lead_in = lead_in
        self.hold = hold
        self.encoder = BaudotEncoder()
        self._phase = 0.0
        self._clock = 0.0  # how far, in samples, the last call's bit timing ran past its last sample

    def modulate(self, text: str, *, burst: bool = True) -> FloatArray:
        """Return float32 samples sending text.

        Args:
            text: Any text; ``transliterate`` decides what Baudot can carry.
            burst: Start a new transmission: lead-in carrier, a sync shift code, and hold-over
                carrier at the end. False continues the previous call's transmission.
        """
        if burst:
            self.encoder.reset()
        return self.modulate_codes(self.encoder.encode(text), burst=burst)

    def modulate_codes(self, codes: list[int], *, burst: bool = True) -> FloatArray:
        """Return float32 samples sending Baudot codes as they are, without shift handling."""
        # Each segment is (is_mark, length in bits); consecutive bits of one tone stay one segment.
        segments: list[tuple[bool, float]] = []
        if burst and self.lead_in > 0:
            segments.append((True, self.lead_in * self.baud))
        for code in codes:
            segments.append((False, 1.0))
            segments += [(bool(code >> bit & 1), 1.0) for bit in range(5)]
            segments.append((True, self.stop_bits))
        if burst and self.hold > 0:
            segments.append((True, self.hold * self.baud))
        if not segments:
            return np.zeros(0, dtype=np.float32)
        samples_per_bit = self.sample_rate / self.baud
        ends = self._clock + np.cumsum([bits for _, bits in segments]) * samples_per_bit
        bounds = np.concatenate(([0], np.round(ends).astype(np.int64)))
        lengths = np.diff(bounds)
        self._clock = float(ends[-1] - bounds[-1])
        freqs = np.repeat([self.mark_hz if mark else self.space_hz for mark, _ in segments], lengths)
        # Integrating the frequency keeps the phase continuous across bit edges and calls.
        phase = self._phase + np.concatenate(([0.0], np.cumsum(2 * np.pi * freqs / self.sample_rate)))
        self._phase = float(phase[-1] % (2 * np.pi))
        return (self.amplitude * np.sin(phase[:-1])).astype(np.float32)


def encode_tones(
    text: str, sample_rate: int = SAMPLE_RATE, stop_bits: float = 1.5, *, amplitude: float = 0.5, lead_in: float = 0.15
) -> FloatArray:
    """Return float32 samples of one TTY transmission of text."""
    modulator = BaudotModulator(sample_rate=sample_rate, stop_bits=stop_bits, amplitude=amplitude, lead_in=lead_in)
    return modulator.modulate(text)


class BaudotDemodulator:
    """Turn Baudot FSK audio into text, fed chunks of any size as they arrive.

    ``feed`` returns the text of the characters completed so far. ``frames`` counts the well-formed
    characters received (shift codes included), ``carrier`` tells whether TTY tones are on the line.
    """

    def __init__(
        self,
        *,
        sample_rate: int = SAMPLE_RATE,
        baud: float = BAUD,
        mark_hz: float = MARK_HZ,
        space_hz: float = SPACE_HZ,
        squelch: float = 0.3,
        unshift_on_space: bool = True,
    ) -> None:
        """Set the line parameters.

        Args:
            sample_rate: Samples per second of the input.
            baud: Bits per second; US TTYs use 45.45.
            mark_hz: Tone of a 1 bit.
            space_hz: Tone of a 0 bit.
            squelch: Share of the energy the two tones must hold, on average over a character's bit
                middles, for it to count (and half of it at each middle); a clean tone scores about
                1, white noise about 0.05, a TTY at 3 dB SNR about 0.6.
            unshift_on_space: Return to letters after a space, as TTYs do.
        """
        self.sample_rate = sample_rate
        self.squelch = squelch
        self.decoder = BaudotDecoder(unshift_on_space=unshift_on_space)
        self.frames = 0
        self._bit = sample_rate / baud
        # NOTE: a half-bit window: at the bit middle it sees only that bit even with a quarter bit of
        # timing error, and its passband (±90 Hz to the first null) tolerates a drifting TTY.
        self._window = max(2, round(self._bit / 2))
        self._omega = 2 * np.pi * np.array([mark_hz, space_hz]) / sample_rate
        self._received = 0  # samples fed so far
        self._tail: npt.NDArray[np.complex128] = np.zeros((3, self._window - 1), dtype=np.complex128)
        # Energies of the windows starting at _first, _first + 1, ...: mark, space, total.
        self._first = -(self._window - 1)
        self._mark: npt.NDArray[np.float64] = np.zeros(0)
        self._space: npt.NDArray[np.float64] = np.zeros(0)
        self._total: npt.NDArray[np.float64] = np.zeros(0)
        self._search = self._first  # first window start not yet searched for a start bit
        self._before = 0  # tone of the last toned window before _search: 1 mark, -1 space, 0 none
        self._edge: int | None = None  # window start where a start bit's space took over

    @property
    def carrier(self) -> bool:
        """Return whether the last bit's worth of audio is mostly TTY tone."""
        span = min(len(self._total), round(self._bit))
        if span == 0:
            return False
        tone = self._mark[-span:] + self._space[-span:]
        return bool(np.mean(_share(tone, self._total[-span:])) >= self.squelch)

    def feed(self, samples: npt.ArrayLike) -> str:
        """Return the text of the characters that the new samples complete."""
        array = np.asarray(samples)
        chunk = array.astype(np.float64).ravel()
        if np.issubdtype(array.dtype, np.integer):
            chunk /= 32768.0
        if chunk.size == 0:
            return ""
        self._measure(chunk)
        return "".join(self.decoder.push(code) for code in self._frames())

    def _measure(self, chunk: npt.NDArray[np.float64]) -> None:
        """Append the tone and total energies of every window that ends in chunk."""
        index = np.arange(self._received, self._received + chunk.size, dtype=np.float64)
        self._received += chunk.size
        # The reference phase follows the absolute sample index, so it is continuous across chunks.
        mixed = np.empty((3, chunk.size), dtype=np.complex128)
        mixed[:2] = chunk * np.exp(-1j * np.outer(self._omega, index))
        mixed[2] = chunk * chunk
        joined = np.concatenate((self._tail, mixed), axis=1)
        self._tail = joined[:, joined.shape[1] - (self._window - 1) :]
        # NOTE: direct sums, not differences of a running sum, whose rounding after a loud passage
        # would turn digital silence into tiny energies of arbitrary ratio.
        box = np.ones(self._window)
        sums = np.stack([np.convolve(row, box, mode="valid") for row in joined])
        # A tone of amplitude A correlates to A·W/2 and has power A²/2: scale both so a pure tone's
        # share of the total is 1.
        energy = 2 * np.abs(sums[:2]) ** 2 / self._window
        self._mark = np.concatenate((self._mark, energy[0]))
        self._space = np.concatenate((self._space, energy[1]))
        self._total = np.concatenate((self._total, np.maximum(sums[2].real, 0.0)))

    def _frames(self) -> list[int]:
        """Return the codes of the characters whose frames are now complete, and trim the buffer."""
        codes: list[int] = []
        last = self._first + len(self._mark)  # one past the last window start measured
        middles = np.round((np.arange(7) + 0.5) * self._bit).astype(np.int64)
        while True:
            if self._edge is None:
                self._edge = self._find_edge(last)
                if self._edge is None:
                    break
            points = self._edge + middles
            if points[-1] >= last:
                break  # the stop bit has not arrived yet
            at = points - self._first
            mark, space = self._mark[at], self._space[at]
            bits = mark > space
            # NOTE: every bit must be mostly tone, not just the average: a frame whose start bit fell
            # in noise just before a carrier came up would otherwise read as a character.
            share = _share(mark + space, self._total[at])
            toned = float(np.mean(share)) >= self.squelch and float(np.min(share)) >= self.squelch / 2
            if not bits[0] and bits[6] and toned:
                codes.append(int(sum(int(bit) << i for i, bit in enumerate(bits[1:6]))))
                self.frames += 1
                # Hunt again from the stop bit's middle: the next start bit's edge is after it.
                self._search, self._before = int(points[-1]), 1
            else:
                # Not a character: look for another edge just after this one.
                self._search, self._before = self._edge + 1, 0
            self._edge = None
        keep = min(self._search, self._edge if self._edge is not None else self._search) - 1
        if keep > self._first:
            drop = keep - self._first
            self._mark, self._space, self._total = self._mark[drop:], self._space[drop:], self._total[drop:]
            self._first = keep
        return codes

    def _find_edge(self, last: int) -> int | None:
        """Return the first window start where space takes over from mark, searching up to last."""
        # A few characters at a time, so one long chunk does not cost a pass over it per character.
        span = round(8 * self._bit)
        while self._search < last:
            start, end = self._search - self._first, min(last, self._search + span) - self._first
            mark, space = self._mark[start:end], self._space[start:end]
            # Only windows that are mostly tone count, so noise and speech offer few false edges; a
            # window straddling a clean edge still holds half the tone energy.
            toned = mark + space > self.squelch / 2 * self._total[start:end]  # False in digital silence
            tone = np.where(toned, np.where(mark > space, 1, -1), 0)
            # Carry the last toned window's tone forward over untoned ones.
            latest = np.maximum.accumulate(np.where(toned, np.arange(tone.size), -1))
            held = np.where(latest >= 0, tone[np.maximum(latest, 0)], self._before)
            previous = np.concatenate(([self._before], held[:-1]))
            falls = np.flatnonzero((tone == -1) & (previous == 1))
            if falls.size:
                # This window straddles the edge, half mark and half space: the edge is half a window
                # on, so a bit's middle window starts (bit + 0.5) bits after this one (see ``_frames``).
                return self._search + int(falls[0])
            self._search, self._before = self._first + end, int(held[-1])
        return None


def _share(tone: npt.NDArray[np.float64], total: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return tone energy as a share of total energy, 0 where there is no energy at all."""
    return np.divide(tone, total, out=np.zeros_like(tone), where=total > 0)


def looks_like_baudot(samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE, *, min_frames: int = 2) -> bool:
    """Return whether the audio carries at least min_frames well-formed Baudot characters."""
    demodulator = BaudotDemodulator(sample_rate=sample_rate)
    demodulator.feed(samples)
    return demodulator.frames >= min_frames
