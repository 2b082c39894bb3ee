"""The Unicode ranges both tokenizers (forest/tokenize.py, hass/text.py) build their character classes from,
each a regex class body without brackets: the scripts written without spaces, the combining marks that
Python's \\w does not count as word characters, the joiners and the danda. How each tokenizer uses them,
and where the two differ on purpose, is said where it builds its regex."""
from __future__ import annotations

# CJK radicals, ideographs, kana, bopomofo and hangul: written without spaces, read one character at a time.
CJK = ("\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
       "\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f")
# Thai, Lao, Myanmar and Khmer (whole blocks): written without spaces between words, like CJK.
SOUTHEAST_ASIAN = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
# Every script written without spaces.
UNSPACED = CJK + SOUTHEAST_ASIAN
# The vowel signs, tone marks and viramas of SOUTHEAST_ASIAN (Unicode categories Mn/Mc; Lao \u0ece from Unicode 15).
SOUTHEAST_ASIAN_MARKS = ("\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ece\u102b-\u103e\u1056-\u1059"
                         "\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d"
                         "\u17b4-\u17d3\u17dd")
# Combining diacritics (with their extended, supplement, for-symbols and half-mark blocks), Cyrillic, Hebrew
# and Arabic marks: they continue the word before them.
COMBINING_MARKS = ("\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0483-\u0489\u0591-\u05c7"
                   "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed")
# The Indic blocks, Devanagari to Sinhala, but the danda: their letters, vowel signs, viramas and digits all
# continue a word.
INDIC = "\u0900-\u0963\u0966-\u0dff"
# Devanagari danda and double danda: the sentence and verse stops of the Indic scripts.
DANDA = "\u0964\u0965"
# Zero-width non-joiner and joiner: written inside Persian and Indic words.
JOINERS = "\u200c\u200d"
