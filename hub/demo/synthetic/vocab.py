"""The embedded vocabularies in array form, indexed the way the generator draws them."""

from __future__ import annotations

import pyarrow as pa

from hub.demo.synthetic.arrays import WeightedTable
from hub.demo.synthetic.names import (
    FEMALE_FORENAMES,
    FEMALE_WEIGHTS,
    MALE_FORENAMES,
    MALE_WEIGHTS,
    NICKNAMES,
    SURNAME_WEIGHTS,
    SURNAMES,
)
from hub.demo.synthetic.places import INWARD_LETTERS, TOWNS

NICK_SLOTS = 4


def _forenames() -> tuple[list[str], list[int], list[int]]:
    names = [*MALE_FORENAMES, *FEMALE_FORENAMES]
    known = set(names)
    names += sorted({s for shorts in NICKNAMES.values() for s in shorts} - known)
    position = {n: i for i, n in enumerate(names)}
    nick = []
    for i, name in enumerate(names):
        shorts = NICKNAMES.get(name, ())
        nick += [position[shorts[k % len(shorts)]] if shorts else i for k in range(NICK_SLOTS)]
    m, f = len(MALE_FORENAMES), len(FEMALE_FORENAMES)
    following = [(i + 1) % m for i in range(m)] + [m + (i + 1) % f for i in range(f)]
    return names, nick, following + list(range(m + f, len(names)))


_names, _nick, _following = _forenames()
FORENAMES = pa.array(_names)
FEMALE_OFFSET = len(MALE_FORENAMES)
# NICKNAME_OF[i * NICK_SLOTS + k]: a short form of forename i (i itself when it has none).
NICKNAME_OF = pa.array(_nick, pa.int64())
# NEXT_SAME_SEX[i]: another forename of the same sex, to give twins different names.
NEXT_SAME_SEX = pa.array(_following, pa.int64())
MALE_TABLE = WeightedTable(MALE_WEIGHTS)
FEMALE_TABLE = WeightedTable(FEMALE_WEIGHTS)

SURNAME_ARRAY = pa.array(SURNAMES)
# A million slots: the rarest surnames hold about one in 75,000 people.
SURNAME_TABLE = WeightedTable(SURNAME_WEIGHTS, size=1 << 20)

_districts = [
    (t, d, town.weight / len(town.districts))
    for t, town in enumerate(TOWNS)
    for d in town.districts
]
DISTRICT_TOWN = pa.array([t for t, _, _ in _districts], pa.int64())
DISTRICTS = pa.array([d for _, d, _ in _districts])
DISTRICT_TABLE = WeightedTable([w for _, _, w in _districts])
TOWN_NAMES = pa.array([t.name for t in TOWNS])
TEAMS = tuple(dict.fromkeys(t.team for t in TOWNS))
TOWN_TEAM = pa.array([TEAMS.index(t.team) for t in TOWNS], pa.int64())
# Inward codes: a digit then two letters, 4,000 of them.
INWARD_CODES = pa.array(
    [f"{n}{a}{b}" for n in range(10) for a in INWARD_LETTERS for b in INWARD_LETTERS]
)
