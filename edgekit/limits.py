"""The resource limits edgekit enforces on untrusted input, in one place (SECURITY.md lists them).

Each limit bounds memory or time that a hostile or broken input could otherwise claim; going over one is a
clear EdgekitError naming the input and the limit, never a crash. The modules that enforce them should
import them from here (see SECURITY.md); tests/reliability/test_limits.py checks that the enforced values
are these and that each one is enforced."""
from __future__ import annotations

MAX_LINE_BYTES = 1 << 20
"""One input record (a line of a CLI input or of a training file), in bytes."""

MAX_TEXT_CHARS = 1_000_000
"""One text given to a learned head's featurizer, in characters."""

MAX_GRAMMAR_BYTES = 8 << 20
"""One grammar set: all its .forest and list files together, in bytes."""

MAX_NESTING = 64
"""The deepest nesting in one grammar statement: brackets in a template; parentheses, operators, calls and
the operands of one operator chain in an expression (the loader and compiler recurse that deep)."""

MAX_PRIORITY = 1_000_000
"""The largest `priority` a lexicon or rule may declare."""

MAX_REPEAT = 64
"""The largest upper bound of a template repeat `{m,n}`."""

MAX_PERMUTATION = 6
"""The most items of one permutation `(a; b; c)` (in .forest and Home Assistant templates): 720 orders at most."""

MAX_SPAN = 64
"""The most input elements (tokens, data spans) one rule match can cover; keeps digestion linear in the input."""

MAX_THREADS_PER_START = 4
"""Where more than MAX_SPAN automaton threads are alive at one input position, a layer keeps the cheapest
MAX_THREADS_PER_START of each match start (ties to the earliest made): a beam that keeps digestion linear
when many paths of one start meet (a long run of ambiguous words); ordinary text never reaches it."""

MAX_RESTRICTED_AUTOMATA = 256
"""Per forest, layer automata kept restricted to the rules an input can match (each with its own DFA
cache); past it they are dropped and rebuilt on demand."""

MAX_LAYER_PLANS = 4096
"""Per forest, how each layer reads a lattice with a given set of typesets (which automaton, which edges)
is cached; past it the cache is dropped and rebuilt on demand."""

MAX_READINGS = 64
"""The most readings `Forest.parse(text, n=...)` returns: each layer keeps n derivations per thread, and
keeping them sorted costs about n x n per step."""

MAX_CLASSES = 1024
"""The most classes (labels) one learned head holds; its memory grows with features x classes."""

MAX_AUTOMATON_POSITIONS = 50_000
"""The most positions (literals and references, repeats unrolled) in one layer's compiled automaton."""

MAX_AUTOMATON_TRANSITIONS = 2_000_000
"""The most position-to-position transitions in one layer's compiled automaton."""

MAX_DFA_STATES = 20_000
"""Determinized states one layer keeps cached; past it the cache is dropped and rebuilt on demand."""

MAX_PATH_CACHE = 1024
"""Capture bindings (per rule and automaton path) one layer automaton keeps cached; past it they are dropped."""

MAX_TOKEN_CACHE = 16_384
"""Distinct token texts whose typeset is cached; past it the cache is dropped (bounded memory)."""

MAX_TYPESETS = 4096
"""Typesets (the sets of classes an element counts as) interned for tokens, beyond those of the grammar's
own symbols; past it they are dropped, with every cache keyed by them, between two digestions."""

MAX_DECIDER_CACHE = 8192
"""Character n-gram hashes a decided class keeps cached (bounded memory)."""

MAX_FEATURES = 1 << 20
"""The widest feature vector a learned head (or its text featurizer) takes."""

MAX_NGRAM = 8
"""The longest word n-gram a text featurizer hashes."""

MAX_STATE_BYTES = 1 << 30
"""The most memory one learned head's arrays may take, checked from its parameters before allocating."""
