import itertools
import random

import pytest

from intake.cases import tracking


def _sample_numbers(count: int) -> list[str]:
    rng = random.Random(20261123)
    numbers = []
    for _ in range(count):
        body = "".join(rng.choice("0123456789") for _ in range(9))
        numbers.append(body + tracking.damm_check_digit(body))
    return numbers


def test_damm_matches_the_published_example():
    # Damm's worked example: the check digit of 572 is 4.
    assert tracking.damm_check_digit("572") == "4"
    assert tracking.is_valid("5724")
    assert not tracking.is_valid("5727")


@pytest.mark.parametrize("number", _sample_numbers(300))
def test_every_single_digit_error_is_caught(number):
    for position in range(len(number)):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            assert not tracking.is_valid(typo), (number, typo)


@pytest.mark.parametrize("number", _sample_numbers(300))
def test_every_adjacent_transposition_is_caught(number):
    for i in range(len(number) - 1):
        if number[i] == number[i + 1]:
            continue
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        assert not tracking.is_valid(swapped), (number, swapped)


def test_new_numbers_are_valid_random_and_ten_digits():
    numbers = [tracking.new_tracking_number() for _ in range(2000)]
    assert all(len(n) == 10 and tracking.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    as_ints = sorted(int(n[:9]) for n in numbers)
    gaps = {b - a for a, b in itertools.pairwise(as_ints)}
    assert len(gaps) > 100, "numbers look sequential"
    # Every digit appears in the first position: no fixed prefix to guess.
    assert {n[0] for n in numbers} == set("0123456789")


def test_format_groups_for_reading_aloud():
    assert tracking.format_tracking_number("4821937705") == "482-193-7705"


@pytest.mark.parametrize(
    "typed",
    [
        "482-193-7703",
        " 482 193 7703 ",
        "4821937703",
        "４８２－１９３－７７０３",  # full-width, from a CJK keyboard
        "៤៨២-១៩៣-៧៧០៣",  # Khmer digits
        "໔໘໒-໑໙໓-໗໗໐໓",  # Lao digits
        "੪੮੨-੧੯੩-੭੭੦੩",  # Gurmukhi digits
    ],
)
def test_parse_accepts_any_keypad_digits(typed):
    assert tracking.is_valid("4821937703")
    assert tracking.parse_tracking_number(typed) == "4821937703"


@pytest.mark.parametrize("typed", ["", "482-193-7705", "48219377", "482193770312", "482-abc-7704", "482/193/7704"])
def test_parse_refuses_what_is_not_a_tracking_number(typed):
    assert tracking.parse_tracking_number(typed) is None


def test_pins_are_six_random_digits():
    pins = [tracking.new_pin() for _ in range(500)]
    assert all(len(p) == 6 and p.isdigit() for p in pins)
    assert len(set(pins)) > 450
