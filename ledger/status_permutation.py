"""Where a credential sits in its status list: a keyed pseudo-random permutation of each list's
131,072 slots, so that indexes reveal neither issuance order nor how many credentials a list
holds (the Bitstring Status List specification's privacy considerations).

The n-th index handed out goes to list n // LIST_SIZE, at slot P_list(n % LIST_SIZE), where P
is a Feistel network over 18 bits (two 9-bit halves, 8 rounds) restricted to the 2^17 slots by
cycle walking: a bijection, so two credentials never share a slot. Its round functions are
HMAC-SHA256 under a key derived from the master key, bound to the list number (and tabulated:
a half has only 512 values). NIST's format-preserving modes (FF1, FF3-1) require a domain of at
least a million values, and a list is 2^17: hence this small construction over a standard PRF.

Only the writer needs the key: the index is recorded in the issuing event, so projections,
replays and rebuilds read it and never recompute it.
"""

import functools
import hashlib
import hmac

LIST_SIZE = 131_072  # entries per status list: the W3C minimum (16 KB uncompressed), 2^17

_HALF_BITS = 9
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 8


class SlotPermutation:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the permutation key must be at least 16 bytes")
        self._key = key

    @functools.lru_cache(maxsize=8)  # noqa: B019 (a handful of lists, the instance lives on)
    def _rounds(self, list_number: int) -> tuple[tuple[int, ...], ...]:
        """Each round function of the list's network, tabulated over its 2^9 inputs."""
        def f(round_number: int, half: int) -> int:
            message = f"{list_number}:{round_number}:{half}".encode()
            digest = hmac.new(self._key, message, hashlib.sha256).digest()
            return int.from_bytes(digest[:4], "big") & _HALF_MASK
        return tuple(tuple(f(r, half) for half in range(_HALF_MASK + 1))
                     for r in range(_ROUNDS))

    def _feistel(self, list_number: int, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for table in self._rounds(list_number):
            left, right = right, left ^ table[right]
        return (left << _HALF_BITS) | right

    def slot(self, list_number: int, ordinal: int) -> int:
        """The slot of the list's ordinal-th credential (both from 0)."""
        if not 0 <= ordinal < LIST_SIZE:
            raise ValueError(f"a list has {LIST_SIZE} slots")
        value = self._feistel(list_number, ordinal)
        while value >= LIST_SIZE:  # cycle walking: stays a bijection on the 2^17 slots
            value = self._feistel(list_number, value)
        return value

    def index(self, counter: int) -> int:
        """The status index (list * LIST_SIZE + slot) of the counter-th allocation."""
        list_number, ordinal = divmod(counter, LIST_SIZE)
        return list_number * LIST_SIZE + self.slot(list_number, ordinal)
