"""Adding, removing and moving blocks: the loss stays at the end, a new block passes its input through."""
from __future__ import annotations

import numpy as np
import pytest

from convviz.core import lessons
from convviz.core.stack_edits import add_block, describe, move_block, remove_block


def test_an_added_block_passes_its_input_through_and_the_loss_stays_at_the_end():
    s = lessons.delta_chain()                               # block 1 selected; block 2 has the loss
    before = s.network().compute("numpy")
    s2 = add_block(s)
    assert len(s2.blocks()) == 3 and s2.selected == 1
    after = s2.network().compute("numpy")
    np.testing.assert_array_equal(after.blocks[1].p, before.blocks[0].p)     # W[q, q, 1, 1] = 1, b = 0
    assert after.loss == pytest.approx(before.loss, rel=1e-6)
    last = add_block(s.select(1))
    assert last.blocks()[-1].config.loss == "half_squared_error" and last.selected == 2


def test_moving_and_removing_keep_the_loss_on_the_last_block():
    s = lessons.delta_chain().select(1)
    moved = move_block(s, -1)
    assert moved.selected == 0 and moved.blocks()[1].config.loss == "half_squared_error"
    assert moved.blocks()[0].config.activation == "tanh"
    with pytest.raises(ValueError, match="block 1 cannot move down: it is the first of 2"):
        move_block(moved, -1)
    one = remove_block(s)
    assert len(one.blocks()) == 1 and one.config.loss == "half_squared_error" and one.config.pool == "max"
    with pytest.raises(ValueError, match="a network keeps at least one block"):
        remove_block(one)
    full = add_block(add_block(s))
    with pytest.raises(ValueError, match="at most 4 blocks"):
        add_block(full)
    text = describe(s.blocks()[0], ((1, 1, 6, 6), (1, 2, 3, 3)))
    assert text == "conv 3×3 → sigmoid → max 2×2\n1×1×6×6 → 1×2×3×3"
