"""A resident's name out of the words around it (nlu/names.py; no Rasa needed)."""

from __future__ import annotations

import pytest

from nlu.names import name_from

# Written for these tests (not from tests/corpora).
NAMES = [
    ("en", "My name is Ana Ruiz", "Ana Ruiz"),
    ("en", "im Tom", "Tom"),
    ("en", "Imani Lee", "Imani Lee"),  # a name that begins like "im" stays whole
    ("es", "me llamo Rosa Díaz", "Rosa Díaz"),
    ("es", "Soyla Pérez", "Soyla Pérez"),
    ("tl", "ako po si Ben Cruz po", "Ben Cruz"),
    ("vi", "tên tôi là Hoa ạ", "Hoa"),
    ("vi", "ten toi la Tran Van Nam", "Tran Van Nam"),
    ("zh", "我叫李明", "李明"),
    ("zh", "王芳", "王芳"),
    ("km", "ខ្ញុំឈ្មោះ សុខ ដារា", "សុខ ដារា"),
    ("hmn", "kuv npe hu ua Pa Yang", "Pa Yang"),
    ("lo", "ຂ້ອຍຊື່ ສົມສີ ເດີ", "ສົມສີ"),
    ("pa", "ਮੇਰਾ ਨਾਮ ਰਾਜ ਕੌਰ ਹੈ", "ਰਾਜ ਕੌਰ"),
    ("pa", "my name is Raj Kaur", "Raj Kaur"),  # English mixed in
    ("en", "its", "its"),  # nothing after the phrase: the words as written
]


@pytest.mark.parametrize(("language", "text", "name"), NAMES)
def test_the_name_is_taken_out_of_its_phrase(language, text, name):
    assert name_from(text, [language]) == name
