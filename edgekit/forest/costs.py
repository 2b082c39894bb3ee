"""The cost of a reading packed into one integer (grammars/README.md, "Ambiguity"), so that comparing two
readings during digestion is one integer comparison."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .digest import Edge


COUNT = 12  # bits of a per-layer count field
RANK = 24  # bits of a per-layer rank field


class CostModel:
    """A reading's cost packed into one integer, so comparing two readings is one comparison.

    Most significant: uncovered input elements (`unit` each) plus rule costs (`milli` = a thousandth of
    a unit). Below it, one block per layer, layer 1 first, each (elements of the layer below left
    unwrapped by this layer, symbols of this layer, the sum of their ranks, where a matcher's rank
    orders by highest priority, then earliest declaration): today's layer-by-layer policy, now a
    tie-breaker among readings that cover the input equally well. The fields are narrow to keep the
    integer small (it is added once per automaton step); past 4096 elements in one field of one
    reading a carry can reorder ties, never the uncovered count."""

    _PARTS = ((COUNT + RANK, COUNT, "unwrapped"), (RANK, COUNT, "symbols"), (0, RANK, "rank"))

    def __init__(self, n_layers: int, ranks: list[int]) -> None:
        self.n_layers = n_layers
        width = 2 * COUNT + RANK
        self.block = [1 << (width * (n_layers - layer)) for layer in range(n_layers + 1)]
        self.milli = self.block[0]
        self.unit = 1000 * self.milli
        self.ranks = ranks
        unwrapped = [b << (COUNT + RANK) for b in self.block]
        # read[L][l]: an element of layer l read by a rule of layer L (or the top, L = n_layers + 1)
        self.read = [[sum(unwrapped[j] for j in range(lower + 1, upper)) for lower in range(upper)]
                     for upper in range(n_layers + 2)]

    def own(self, layer: int, cost_milli: int, matcher: int) -> int:
        """What one symbol of a matcher adds: its rule cost, one symbol and its rank, at its layer."""
        b = self.block[layer]
        return cost_milli * self.milli + (b << RANK) + b * self.ranks[matcher]

    def top(self, e: "Edge") -> int:
        """What an edge costs as one part of a reading of the whole input."""
        stay = self.read[self.n_layers + 1][e.layer]
        return self.unit + stay if e.matcher < 0 else e.cost + stay

    def value(self, cost: int) -> float:
        """A packed cost as a number: uncovered elements plus rule costs (the layer blocks below only
        break ties and add a fraction too small to change that number's order)."""
        return cost / self.unit

    def fields(self, cost: int) -> list[tuple[str, int]]:
        """The named fields of a packed cost, most significant first."""
        out = []
        rest = cost % self.milli
        for layer in range(self.n_layers, 0, -1):
            for shift, bits, name in reversed(self._PARTS):
                unit = self.block[layer] << shift
                out.append((f"layer {layer} {name}", (rest // unit) % (1 << bits)))
        out.append(("uncovered + rule costs", cost // self.milli))
        out.reverse()
        return out

    def why(self, lost: int, won: int) -> str:
        """Why a reading lost: the first field in which it is worse."""
        for (name, a), (_n, b) in zip(self.fields(lost), self.fields(won)):
            if a != b:
                shown = (f"{a / 1000:g} vs {b / 1000:g}" if name.startswith("uncovered") else f"{a} vs {b}")
                return f"{name}: {shown}"
        return "tie, broken by position (leftmost, longest)"
