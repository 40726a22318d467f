"""One small widget per field of the block's configuration, bound both ways to that field.

Each editor shows its field whenever the scene changes (``show``, signals blocked) and,
only when the person changes it, emits ``edited(field, value)`` with that field alone.
"""
from .base import FieldEditor, show_number, spin_box
from .choice import CheckEditor, ChoiceEditor, FloatEditor, NumberEditor
from .pair import OptionalPairEditor, PairEditor
from .padding import PaddingEditor

__all__ = ["FieldEditor", "show_number", "spin_box", "CheckEditor", "ChoiceEditor", "FloatEditor", "NumberEditor",
           "OptionalPairEditor", "PairEditor", "PaddingEditor"]
