"""The Parameters group: one editor per config field (gui/editors/), each writing back only its field."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from ..core.pipeline import POOLS
from ..core.schema import MAX_PARAM
from ..core.spec import PADDING_MODES, make_conv_spec
from .editors import (CheckEditor, ChoiceEditor, FloatEditor, NumberEditor, OptionalPairEditor, PaddingEditor,
                      PairEditor)


class ConfigPanel(QtWidgets.QGroupBox):
    """``fields[name]`` edits config field ``name``; ``edited(field, value)`` when the person changes one."""

    edited = QtCore.Signal(str, object)

    def __init__(self, parent=None):
        super().__init__("Parameters", parent)
        eds = {"stride": PairEditor("stride", 1, MAX_PARAM, "stride"),
               "padding": PaddingEditor(MAX_PARAM),
               "padding_mode": ChoiceEditor("padding_mode", PADDING_MODES, "what the padded cells hold"),
               "dilation": PairEditor("dilation", 1, MAX_PARAM, "dilation"),
               "groups": NumberEditor("groups", 1, MAX_PARAM, "groups"),
               "true_convolution": CheckEditor("true_convolution", "true convolution (flip the kernel)"),
               "activation": ChoiceEditor("activation", ACTIVATIONS),
               "slope": FloatEditor("slope", tip="leaky ReLU's slope for z < 0"),
               "pool": ChoiceEditor("pool", POOLS),
               "pool_kernel": PairEditor("pool_kernel", 1, MAX_PARAM, "pool window"),
               "pool_stride": OptionalPairEditor("pool_stride", 1, MAX_PARAM, "pool stride"),
               "pool_padding": PairEditor("pool_padding", 0, MAX_PARAM, "pool padding"),
               "loss": ChoiceEditor("loss", LOSSES, "sum; one_hot: click a P cell; half_squared_error: paint "
                                                    "the target T; given: paint dP")}
        self.fields = eds
        self.stride, self.dilation = eds["stride"].spin_h, eds["dilation"].spin_h     # the spin boxes themselves
        self.padding, self.mode = eds["padding"].number, eds["padding_mode"].combo
        self.activation, self.loss = eds["activation"].combo, eds["loss"].combo
        f = QtWidgets.QFormLayout(self)
        f.addRow("stride", eds["stride"])
        f.addRow("padding", eds["padding"])
        f.addRow("pad with", eds["padding_mode"])
        f.addRow("dilation", eds["dilation"])
        f.addRow("groups", eds["groups"])
        f.addRow(eds["true_convolution"])
        act_row = QtWidgets.QHBoxLayout()
        act_row.addWidget(eds["activation"], 2)
        act_row.addWidget(QtWidgets.QLabel("slope"))
        act_row.addWidget(eds["slope"], 1)
        f.addRow("activation", act_row)
        pool_row = QtWidgets.QHBoxLayout()
        pool_row.addWidget(eds["pool"])
        pool_row.addWidget(eds["pool_kernel"])
        f.addRow("pooling", pool_row)
        f.addRow("pool stride", eds["pool_stride"])
        f.addRow("pool padding", eds["pool_padding"])
        f.addRow("loss", eds["loss"])
        for ed in eds.values():
            ed.edited.connect(self.edited)

    def show_config(self, config, kernel_hw: tuple[int, int]) -> None:
        """Show every field as ``config`` holds it (padding with what it resolves to for this kernel)."""
        self.fields["pool_stride"].default = config.pool_kernel      # what a stride of None comes to
        self.fields["slope"].setEnabled(config.activation == "leaky_relu")
        for name, editor in self.fields.items():
            if name == "padding":
                editor.show_padding(config.padding, _resolved_padding(config, kernel_hw))
            else:
                editor.show_value(getattr(config, name))


def _resolved_padding(config, kernel_hw) -> tuple | None:
    """(top, bottom, left, right) that 'same' / 'valid' come to for this kernel; None if they cannot."""
    try:
        return make_conv_spec(kernel_hw, **config.conv_args()).padding
    except ValueError:
        return None
